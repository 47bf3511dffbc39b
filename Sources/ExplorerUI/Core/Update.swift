import Foundation
import SAEKit

/// The explorer's only state transition: a pure function of the state and an action. It never
/// reads the feature source; work that needs it is returned as effects.
public func update(_ state: ExplorerState, _ action: Action) -> (ExplorerState, [Effect]) {
    var s = state
    var effects: [Effect] = []
    Reducer.apply(action, to: &s, effects: &effects)
    return (s, effects)
}

enum Reducer {
    static func apply(_ action: Action, to s: inout ExplorerState, effects: inout [Effect]) {
        // A new user action clears the last message, except an error about a label edit still open.
        if action.isUserIntent, !(s.message?.isError == true && s.input?.isLabelEdit == true) { s.message = nil }
        switch action {
        case .quit:
            s.quitRequested = true
            effects.append(.quit)
        case .toggleHelp:
            s.showHelp.toggle()
            s.helpScroll = 0
        case .helpScroll(let d):
            s.helpScroll = max(0, s.helpScroll + d)
        case .back:
            back(&s)
        case .show(let screen):
            show(screen, &s, &effects)
        case .resize(let w, let h):
            s.width = max(0, w)
            s.height = max(0, h)
            s.list.setViewport(Layout.listViewport(height: s.height))
        case .disabled(let reason):
            s.message = StatusMessage(text: reason, isError: true)
        case .move(let d):
            navigate(&s, &effects) { $0.move(by: d) }
        case .pageUp:
            if s.screen == .list { navigate(&s, &effects) { $0.pageUp() } } else { scroll(&s, -Layout.bodyHeight(height: s.height)) }
        case .pageDown:
            if s.screen == .list { navigate(&s, &effects) { $0.pageDown() } } else { scroll(&s, Layout.bodyHeight(height: s.height)) }
        case .home:
            if s.screen == .list { navigate(&s, &effects) { $0.home() } } else { scroll(&s, Int.min / 2) }
        case .end:
            if s.screen == .list { navigate(&s, &effects) { $0.end() } } else { scroll(&s, Int.max / 2) }
        case .nextDictionary:
            guard s.dictionaries.count > 1 else { return }
            s.dict = (s.dict + 1) % s.dictionaries.count
            s.list = ListState(count: s.dictionaries[s.dict].featureCount, viewport: Layout.listViewport(height: s.height))
            s.order = nil
            reorder(&s, &effects)
            s.message = StatusMessage(text: "dictionary \(s.dictionaries[s.dict].name)", isError: false)
        case .cycleSort:
            let all = SortColumn.allCases
            let i = all.firstIndex(of: s.sort.column) ?? 0
            s.sort = SortSpec(column: all[(i + 1) % all.count], descending: s.sort.descending)
            reorder(&s, &effects)
        case .reverseSort:
            s.sort.descending.toggle()
            reorder(&s, &effects)
        case .sortBy(let column):
            s.sort = SortSpec(column: column, descending: s.sort.column == column ? !s.sort.descending : false)
            reorder(&s, &effects)
        case .nextFilter, .previousFilter:
            let cycle = FilterPreset.cycle(alphaThreshold: s.alphaThreshold)
            let i = cycle.firstIndex(of: s.filter) ?? 0
            let step = action == .nextFilter ? 1 : cycle.count - 1
            s.filter = cycle[(i + step) % cycle.count]
            reorder(&s, &effects)
        case .setFilter(let f):
            s.filter = f
            reorder(&s, &effects)
        case .beginSearch:
            s.screen = .list
            s.input = InputField(kind: .search, editor: LineEditor(s.search))
        case .beginAlphaFilter:
            s.input = InputField(kind: .alphaThreshold, editor: LineEditor(Format.number(s.alphaThreshold, 2)))
        case .beginJump:
            s.input = InputField(kind: .jump, editor: LineEditor())
        case .randomFeature:
            guard s.list.count > 0 else { return }
            let index = s.rng.next(below: s.list.count)
            navigate(&s, &effects) { $0.jump(to: index) }
        case .nextFeature:
            navigate(&s, &effects) { $0.move(by: 1) }
        case .previousFeature:
            navigate(&s, &effects) { $0.move(by: -1) }
        case .jumpToFeature(let id):
            jump(to: id, &s, &effects)
        case .scroll(let d):
            scroll(&s, d)
        case .cycleContextWindow:
            s.window = s.window.next
        case .nextMatch, .previousMatch:
            guard var c = s.compare else { return }
            let count = s.matches.peek(MatchKey(ref: c.left, other: c.other))?.value?.count ?? 0
            guard count > 0 else { return }
            c.matchIndex = (c.matchIndex + (action == .nextMatch ? 1 : count - 1)) % count
            c.scroll = 0
            s.compare = c
            requestCompare(&s, &effects)
        case .swapSides:
            guard let c = s.compare, let match = s.matches.peek(MatchKey(ref: c.left, other: c.other))?.value,
                  c.matchIndex < match.count else { return }
            s.compare = CompareState(left: FeatureRef(dict: c.other, feature: match[c.matchIndex].feature), other: c.left.dict, matchIndex: 0, scroll: 0)
            requestCompare(&s, &effects)
        case .nextOtherDictionary:
            guard var c = s.compare, s.dictionaries.count > 2 else { return }
            repeat { c.other = (c.other + 1) % s.dictionaries.count } while c.other == c.left.dict
            c.matchIndex = 0
            c.scroll = 0
            s.compare = c
            requestCompare(&s, &effects)
        case .setVerdict(let verdict):
            guard let ref = s.focusedFeature, !s.readOnlyLabels else { return }
            let key = s.key(for: ref)
            let before = s.labels[key]
            var after = before ?? FeatureLabel()
            after.verdict = verdict
            save(LabelSave(key: key, before: before, after: after.isEmpty ? nil : after, kind: .edit, field: nil), &s, &effects)
        case .editLabel(let field):
            guard let ref = s.focusedFeature, !s.readOnlyLabels else { return }
            let key = s.key(for: ref)
            let label = s.labels[key]
            s.input = InputField(kind: .label(key, field), editor: LineEditor(field == .concept ? label?.concept ?? "" : label?.notes ?? ""))
        case .undo:
            guard let change = s.undoStack.last else {
                s.message = StatusMessage(text: "nothing to undo", isError: false)
                return
            }
            save(LabelSave(key: change.key, before: s.labels[change.key], after: change.before, kind: .undo, field: nil), &s, &effects)
        case .redo:
            guard let change = s.redoStack.last else {
                s.message = StatusMessage(text: "nothing to redo", isError: false)
                return
            }
            save(LabelSave(key: change.key, before: s.labels[change.key], after: change.after, kind: .redo, field: nil), &s, &effects)
        case .export:
            effects.append(.export)
        case .edit(let op):
            edit(op, &s, &effects)
        case .contextsLoaded(let ref, let value):
            s.contexts.insert(value, for: ref)
        case .sampleLoaded(let ref, let value):
            s.samples.insert(value, for: ref)
        case .neighboursLoaded(let ref, let value):
            s.neighbours.insert(value, for: ref)
        case .matchesLoaded(let key, let value):
            s.matches.insert(value, for: key)
            requestCompare(&s, &effects)
        case .orderComputed(let request, let order):
            guard request == s.currentOrderRequest else { return }
            let keep = s.selectedFeature?.feature
            s.order = order
            s.orderPending = false
            s.list.setCount(order?.count ?? s.dictionaries[s.dict].featureCount)
            if let keep, let row = row(of: keep, in: s) { s.list.jump(to: row) } else { s.list.home() }
            if s.list.count == 0 { s.message = StatusMessage(text: "no feature matches", isError: false) }
        case .overviewComputed(let dict, let value):
            s.overview[dict] = value
        case .labelSaved(let request, let stored):
            s.savesInFlight = max(0, s.savesInFlight - 1)
            s.labels[request.key] = stored
            let change = LabelChange(key: request.key, before: request.before, after: stored)
            switch request.kind {
            case .edit:
                s.undoStack.append(change)
                s.redoStack.removeAll()
            case .undo:
                if let last = s.undoStack.popLast() { s.redoStack.append(last) }
            case .redo:
                if let last = s.redoStack.popLast() { s.undoStack.append(last) }
            }
            if let input = s.input, case .label(let key, _) = input.kind, key == request.key, request.field != nil { s.input = nil }
            let verb = request.kind == .edit ? "saved" : request.kind == .undo ? "undone" : "redone"
            s.message = StatusMessage(text: "label of feature \(request.key.feature) \(verb)", isError: false)
        case .labelSaveFailed(let request, let error):
            s.savesInFlight = max(0, s.savesInFlight - 1)
            if var input = s.input, case .label(let key, _) = input.kind, key == request.key {
                input.saving = false
                s.input = input
            }
            s.message = StatusMessage(text: "label of feature \(request.key.feature) NOT saved: \(error)", isError: true)
        case .clampScroll(let limit):
            if s.showHelp {
                s.helpScroll = min(s.helpScroll, limit)
            } else if s.screen == .detail {
                s.detailScroll = min(s.detailScroll, limit)
            } else if s.screen == .compare, var c = s.compare {
                c.scroll = min(c.scroll, limit)
                s.compare = c
            }
        case .showMessage(let text, let isError):
            s.message = StatusMessage(text: text, isError: isError)
        }
    }

    // MARK: helpers

    static func back(_ s: inout ExplorerState) {
        if s.showHelp {
            s.showHelp = false
            return
        }
        switch s.screen {
        case .list:
            if !s.search.isEmpty || s.filter != .all { s.message = StatusMessage(text: "press / then Esc to clear the search, f to change the filter", isError: false) }
        case .detail:
            s.screen = .list
        case .overview:
            let target = s.previousScreen
            s.screen = target == .overview || (target == .compare && s.compare == nil) ? .list : target
        case .compare:
            s.screen = s.previousScreen == .detail ? .detail : .list
            s.compare = nil
        }
    }

    static func show(_ screen: Screen, _ s: inout ExplorerState, _ effects: inout [Effect]) {
        guard screen != s.screen else { return }
        switch screen {
        case .list:
            s.screen = .list
        case .detail:
            guard s.selectedFeature != nil else { return }
            s.previousScreen = s.screen
            s.screen = .detail
            s.detailScroll = 0
            requestDetail(&s, &effects)
        case .compare:
            guard s.dictionaries.count > 1, let ref = s.selectedFeature else { return }
            s.previousScreen = s.screen
            s.screen = .compare
            s.compare = CompareState(left: ref, other: ref.dict == 0 ? 1 : 0, matchIndex: 0, scroll: 0)
            requestCompare(&s, &effects)
        case .overview:
            s.previousScreen = s.screen
            s.screen = .overview
            for d in s.dictionaries.indices where s.overview[d] == nil {
                s.overview[d] = .loading
                effects.append(.computeOverview(d))
            }
        }
    }

    /// Applies a list movement and fetches what the current screen needs for the new feature.
    static func navigate(_ s: inout ExplorerState, _ effects: inout [Effect], _ body: (inout ListState) -> Void) {
        body(&s.list)
        s.detailScroll = 0
        if s.screen == .detail { requestDetail(&s, &effects) }
    }

    static func scroll(_ s: inout ExplorerState, _ d: Int) {
        switch s.screen {
        case .list: s.list.move(by: d)
        case .detail: s.detailScroll = max(0, s.detailScroll &+ d)
        case .compare: if var c = s.compare { c.scroll = max(0, c.scroll &+ d); s.compare = c }
        case .overview: break
        }
    }

    static func requestDetail(_ s: inout ExplorerState, _ effects: inout [Effect]) {
        guard let ref = s.selectedFeature else { return }
        requestContexts(ref, &s, &effects)
        if s.samples.peek(ref) == nil {
            s.samples.insert(.loading, for: ref)
            effects.append(.loadSample(ref))
        } else {
            s.samples.touch(ref)
        }
        if s.neighbours.peek(ref) == nil {
            s.neighbours.insert(.loading, for: ref)
            effects.append(.loadNeighbours(ref))
        } else {
            s.neighbours.touch(ref)
        }
    }

    static func requestContexts(_ ref: FeatureRef, _ s: inout ExplorerState, _ effects: inout [Effect]) {
        if s.contexts.peek(ref) == nil {
            s.contexts.insert(.loading, for: ref)
            effects.append(.loadContexts(ref))
        } else {
            s.contexts.touch(ref)
        }
    }

    static func requestCompare(_ s: inout ExplorerState, _ effects: inout [Effect]) {
        guard s.screen == .compare, let c = s.compare else { return }
        requestContexts(c.left, &s, &effects)
        let key = MatchKey(ref: c.left, other: c.other)
        guard let loaded = s.matches.peek(key) else {
            s.matches.insert(.loading, for: key)
            effects.append(.loadMatches(key))
            return
        }
        if let list = loaded.value, c.matchIndex < list.count {
            requestContexts(FeatureRef(dict: c.other, feature: list[c.matchIndex].feature), &s, &effects)
        }
    }

    static func reorder(_ s: inout ExplorerState, _ effects: inout [Effect]) {
        if s.isIdentityOrder {
            let keep = s.selectedFeature?.feature
            s.order = nil
            s.orderPending = false
            s.list.setCount(s.dictionaries[s.dict].featureCount)
            if let keep { s.list.jump(to: keep) }
        } else {
            s.orderPending = true
            effects.append(.computeOrder(s.currentOrderRequest))
        }
    }

    /// Row of feature `id` in the current order (linear in the list length, only on jumps).
    static func row(of id: Int, in s: ExplorerState) -> Int? {
        guard let order = s.order else { return id >= 0 && id < s.list.count ? id : nil }
        let target = Int32(truncatingIfNeeded: id)
        return order.firstIndex(of: target)
    }

    static func jump(to id: Int, _ s: inout ExplorerState, _ effects: inout [Effect]) {
        let count = s.dictionaries[s.dict].featureCount
        guard id >= 0, id < count else {
            s.message = StatusMessage(text: "no feature \(id): \(s.dictionaries[s.dict].name) has features 0-\(count - 1)", isError: true)
            return
        }
        guard let row = row(of: id, in: s) else {
            s.message = StatusMessage(text: "feature \(id) is hidden by the filter or search", isError: true)
            return
        }
        if s.screen == .compare || s.screen == .overview { s.screen = .list }
        s.list.jump(to: row)
        s.detailScroll = 0
        if s.screen == .detail { requestDetail(&s, &effects) }
    }

    static func save(_ request: LabelSave, _ s: inout ExplorerState, _ effects: inout [Effect]) {
        if request.before == request.after, request.kind == .edit {
            if request.field != nil { s.input = nil }
            return
        }
        s.savesInFlight += 1
        s.message = StatusMessage(text: "saving label of feature \(request.key.feature)…", isError: false)
        effects.append(.saveLabel(request))
    }

    static func edit(_ op: EditOp, _ s: inout ExplorerState, _ effects: inout [Effect]) {
        guard var input = s.input else { return }
        if input.saving, op != .cancel { return }
        switch op {
        case .insert(let text): input.editor.insert(text)
        case .backspace: input.editor.backspace()
        case .deleteForward: input.editor.deleteForward()
        case .left: input.editor.left()
        case .right: input.editor.right()
        case .home: input.editor.home()
        case .end: input.editor.end()
        case .killToStart: input.editor.killToStart()
        case .killToEnd: input.editor.killToEnd()
        case .cancel:
            s.input = nil
            if input.kind == .search, !s.search.isEmpty {
                s.search = ""
                reorder(&s, &effects)
            }
            return
        case .submit:
            switch input.kind {
            case .search:
                s.input = nil
            case .alphaThreshold:
                s.input = nil
                let text = input.editor.text.trimmingCharacters(in: .whitespaces)
                if let value = Float(text), value.isFinite {
                    s.alphaThreshold = value
                    s.filter = .alphaAbove(value)
                    reorder(&s, &effects)
                } else {
                    s.message = StatusMessage(text: "not a number: \(text)", isError: true)
                }
            case .jump:
                s.input = nil
                let text = input.editor.text.trimmingCharacters(in: .whitespaces)
                if let id = Int(text.hasPrefix("#") ? String(text.dropFirst()) : text) {
                    jump(to: id, &s, &effects)
                } else if !text.isEmpty {
                    s.message = StatusMessage(text: "not a feature number: \(text)", isError: true)
                }
            case .label(let key, let field):
                let before = s.labels[key]
                var after = before ?? FeatureLabel()
                if field == .concept { after.concept = input.editor.text } else { after.notes = input.editor.text }
                input.saving = true
                s.input = input
                save(LabelSave(key: key, before: before, after: after.isEmpty ? nil : after, kind: .edit, field: field), &s, &effects)
            }
            return
        }
        s.input = input
        if input.kind == .search, s.search != input.editor.text {
            s.search = input.editor.text
            reorder(&s, &effects)
        }
    }
}

extension Action {
    /// True for actions that come from the user (keys), false for results of effects and resizes.
    var isUserIntent: Bool {
        switch self {
        case .resize, .contextsLoaded, .sampleLoaded, .matchesLoaded, .neighboursLoaded, .orderComputed, .overviewComputed, .labelSaved, .labelSaveFailed, .showMessage, .clampScroll:
            false
        default:
            true
        }
    }
}

extension InputField {
    var isLabelEdit: Bool {
        if case .label = kind { return true }
        return false
    }
}
