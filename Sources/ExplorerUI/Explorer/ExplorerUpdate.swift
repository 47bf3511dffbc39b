import Foundation
import SAEKit

/// The explorer's only state transition: a pure function of the state and an action. It never
/// reads a feature source; work that needs one is returned as effects.
enum ExplorerReducer {
    static func apply(_ action: ExplorerAction, to s: inout ExplorerState, effects: inout [ExplorerEffect]) {
        // A new user action clears the last message, except an error about a label edit still open
        // and a sticky one (a failed save), which only Esc or another message replaces.
        if action.isUserIntent, !(s.message?.isError == true && s.input?.isLabelEdit == true),
            s.message?.sticky != true || action == .back
        {
            s.message = nil
        }
        switch action {
        case .quit:
            s.quitRequested = true
        case .toggleHelp:
            s.toggleHelp()
        case .helpScroll(let d):
            s.scrollHelp(by: d, limit: ExplorerViews.helpScrollLimit(s))
        case .back:
            back(&s, &effects)
        case .show(let screen):
            show(screen, &s, &effects)
        case .resize(let w, let h):
            s.resize(width: w, height: h)
            s.list.setViewport(ExplorerLayout.listViewport(height: s.height))
            for (i, route) in s.routes.enumerated() {
                guard case .pairs(var p) = route else { continue }
                p.list.setViewport(ExplorerLayout.pairsViewport(height: s.height))
                s.routes[i] = .pairs(p)
            }
        case .disabled(let reason):
            s.message = StatusMessage(text: reason, isError: true)
        case .move(let d):
            navigate(&s, &effects) { $0.move(by: d) }
        case .pageUp:
            if s.hasList { navigate(&s, &effects) { $0.pageUp() } } else { scroll(&s, -ExplorerLayout.bodyHeight(height: s.height)) }
        case .pageDown:
            if s.hasList { navigate(&s, &effects) { $0.pageDown() } } else { scroll(&s, ExplorerLayout.bodyHeight(height: s.height)) }
        case .home:
            if s.hasList { navigate(&s, &effects) { $0.home() } } else { scroll(&s, Int.min / 2) }
        case .end:
            if s.hasList { navigate(&s, &effects) { $0.end() } } else { scroll(&s, Int.max / 2) }
        case .nextDictionary:
            guard s.tables.count > 1 else { return }
            s.dict = (s.dict + 1) % s.tables.count
            s.list = ListState(count: s.tables[s.dict].featureCount, viewport: ExplorerLayout.listViewport(height: s.height))
            s.order = nil
            reorder(&s, &effects)
            s.message = StatusMessage(text: "dictionary \(s.tables[s.dict].descriptor.name)", isError: false)
        case .cycleSort where s.screen == .pairs, .reverseSort where s.screen == .pairs, .nextFilter where s.screen == .pairs,
            .previousFilter where s.screen == .pairs:
            Pairs.query(action, &s, &effects)
        case .cycleSort:
            let all = ListColumns.sortCycle
            let next = all[((all.firstIndex(of: s.query.sort) ?? 0) + 1) % all.count]
            s.query.sort = next
            s.query.descending = next.descendingByDefault
            reorder(&s, &effects)
        case .reverseSort:
            s.query.descending.toggle()
            reorder(&s, &effects)
        case .sortBy(let column):
            s.query.descending = s.query.sort == column ? !s.query.descending : column.descendingByDefault
            s.query.sort = column
            reorder(&s, &effects)
        case .nextFilter, .previousFilter:
            let cycle = FilterPresets.cycle(alphaThreshold: s.alphaThreshold)
            let i = cycle.firstIndex(of: s.query.filter) ?? 0
            let step = action == .nextFilter ? 1 : cycle.count - 1
            s.query.filter = cycle[(i + step) % cycle.count]
            reorder(&s, &effects)
        case .setFilter(let f):
            s.query.filter = f
            reorder(&s, &effects)
        case .beginSearch:
            s.routes = [.list]
            s.input = InputField(kind: .search, editor: LineEditor(s.query.search))
        case .toggleWholeWord:
            s.query.wholeWord.toggle()
            if !s.query.search.isEmpty { reorder(&s, &effects) }
        case .beginAlphaFilter:
            s.input = InputField(kind: .alphaThreshold, editor: LineEditor(Format.number(s.alphaThreshold, 2), selectAll: true))
        case .beginJump:
            s.input = InputField(kind: .jump, editor: LineEditor())
        case .beginMinimumActive:
            s.routes = [.list]
            s.input = InputField(kind: .minimumActive, editor: LineEditor(String(s.query.minimumActive), selectAll: true))
        case .answerHiddenJump(let clear):
            guard let id = s.hiddenJump else { return }
            s.hiddenJump = nil
            s.message = nil
            guard clear else { return }
            s.query.filter = .all
            s.query.search = ""
            s.query.minimumActive = 0
            reorder(&s, &effects)
            // A sorted list is reordered on the worker: jump once the new order arrives.
            if s.orderPending { s.jumpAfterOrder = id } else { jump(to: id, &s, &effects) }
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
        case .nextMatch, .previousMatch, .swapSides, .nextOtherDictionary, .focus, .openSelection:
            if s.screen == .pairs, action == .openSelection {
                Pairs.openSelection(&s, &effects)
            } else {
                Compare.apply(action, &s, &effects)
            }
        case .cycleRanking:
            if s.screen == .pairs { Pairs.cycleRanking(&s, &effects) } else { Compare.apply(action, &s, &effects) }
        case .swapPairDirection:
            Pairs.swapDirection(&s, &effects)
        case .setVerdict, .editLabel, .undo, .redo, .labelSaved, .labelSaveFailed:
            Labels.apply(action, &s, &effects)
        case .export:
            effects.append(.export)
        case .copyContexts:
            guard let ref = s.focusedFeature else { return }
            let st = s.stats(ref)
            let name = s.tables[ref.dict].descriptor.name
            let activity = st.activeCount.map { "\($0) active tokens" } ?? "density " + Format.percent(st.density)
            effects.append(.writeContexts(ref, name: name, header: "\(name) feature \(ref.feature): \(activity)"))
            s.message = StatusMessage(text: "writing the contexts of #\(ref.feature)…", isError: false)
        case .edit(let op):
            Prompts.edit(op, &s, &effects)
        case .contextsLoaded(let ref, let value):
            s.contexts.insert(value, for: ref)
            requestCompare(&s, &effects)
        case .sampleLoaded(let ref, let value):
            s.samples.insert(value, for: ref)
        case .neighboursLoaded(let ref, let value):
            s.neighbours.insert(value, for: ref)
        case .matchesLoaded(let key, let value):
            s.matches.insert(value, for: key)
            requestCompare(&s, &effects)
        case .evidenceLoaded(let key, let value):
            s.evidence.insert(value, for: key)
        case .pairTableComputed, .pairOrderComputed:
            Pairs.loaded(action, &s, &effects)
        case .orderComputed(let request, let order):
            guard request == s.currentOrderRequest else { return }
            let keep = s.selectedFeature?.feature
            let selectedRow = s.list.selected
            s.order = order
            s.orderPending = false
            s.list.setCount(order?.count ?? s.tables[s.dict].featureCount)
            if let id = s.jumpAfterOrder {
                s.jumpAfterOrder = nil
                jump(to: id, &s, &effects)
            } else if s.movedWhileOrdering {
                s.list.jump(to: selectedRow)
            } else if let keep, let row = row(of: keep, in: s) {
                s.list.jump(to: row)
            } else {
                s.list.home()
            }
            s.movedWhileOrdering = false
            if s.list.count == 0 { s.message = StatusMessage(text: "no feature matches", isError: false) }
        case .reportComputed(let value):
            s.report = value
        case .showMessage(let text, let isError):
            s.message = StatusMessage(text: text, isError: isError)
        }
    }

    // MARK: navigation

    static func replaceTop(_ route: Route, _ s: inout ExplorerState) {
        if s.routes.count > 1 { s.routes[s.routes.count - 1] = route }
    }

    static func push(_ route: Route, _ s: inout ExplorerState) {
        s.routes.append(route)
    }

    static func back(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        if s.showHelp {
            s.showHelp = false
            return
        }
        guard s.routes.count > 1 else {
            // Esc in the list clears what hides features: the search, the filter, the minimum count.
            let cleared = hiding(s.query)
            guard !cleared.isEmpty else { return }
            s.query.search = ""
            s.query.filter = .all
            s.query.minimumActive = 0
            s.message = StatusMessage(text: "cleared the " + cleared.joined(separator: " and "), isError: false)
            reorder(&s, &effects)
            return
        }
        s.routes.removeLast()
        if case .detail = s.route { requestDetail(&s, &effects) }
        if case .compare = s.route { requestCompare(&s, &effects) }
        if case .pairs = s.route { Pairs.request(&s, &effects) }
    }

    static func show(_ screen: Screen, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        guard screen != s.screen else { return }
        switch screen {
        case .list:
            s.routes = [.list]
        case .detail:
            guard let ref = s.focusedFeature else { return }
            push(.detail(DetailState(ref: ref, followsList: s.screen == .list && ref == s.selectedFeature)), &s)
            requestDetail(&s, &effects)
        case .compare:
            guard s.tables.count > 1, let ref = s.focusedFeature else { return }
            push(.compare(CompareState(left: ref, other: ref.dict == 0 ? 1 : 0)), &s)
            requestCompare(&s, &effects)
        case .pairs:
            guard s.tables.count > 1 else { return }
            let a = s.dict, b = s.dict == 0 ? 1 : 0
            push(.pairs(PairsState(a: a, b: b, ranking: .combined, height: s.height, count: s.tables[a].featureCount)), &s)
            Pairs.request(&s, &effects)
        case .overview:
            push(.overview(scroll: 0), &s)
            // Labels may have changed since it was last open: the figures are recomputed each time.
            s.report = .loading
            effects.append(.computeReport(s.tables))
        }
    }

    /// Applies a list movement to the list on top (the feature list, or the pairs); a detail page
    /// that follows the feature list follows it.
    static func navigate(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect], _ body: (inout ListState) -> Void) {
        if var p = s.pairs {
            body(&p.list)
            if p.orderPending { p.movedWhileOrdering = true }
            replaceTop(.pairs(p), &s)
            return
        }
        body(&s.list)
        if s.orderPending { s.movedWhileOrdering = true }
        if var d = s.detail, d.followsList, let ref = s.selectedFeature {
            d.ref = ref
            d.scroll = 0
            replaceTop(.detail(d), &s)
            requestDetail(&s, &effects)
        }
    }

    /// Scrolls the top screen's body (or the list), clamped to what the body holds.
    static func scroll(_ s: inout ExplorerState, _ d: Int) {
        switch s.route {
        case .list:
            s.list.move(by: d)
            if s.orderPending { s.movedWhileOrdering = true }
        case .detail(var detail):
            detail.scroll = Scrolling.offset(detail.scroll, by: d, limit: ExplorerViews.scrollLimit(s))
            replaceTop(.detail(detail), &s)
        case .compare(var c):
            c.scroll = Scrolling.offset(c.scroll, by: d, limit: ExplorerViews.scrollLimit(s))
            replaceTop(.compare(c), &s)
        case .overview(let offset):
            replaceTop(.overview(scroll: Scrolling.offset(offset, by: d, limit: ExplorerViews.scrollLimit(s))), &s)
        case .pairs(var p):
            p.list.move(by: d)
            if p.orderPending { p.movedWhileOrdering = true }
            replaceTop(.pairs(p), &s)
        }
    }

    static func requestDetail(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        guard let ref = s.detail?.ref else { return }
        s.contexts.request(ref, .loadContexts(ref), into: &effects)
        s.samples.request(ref, .loadSample(ref), into: &effects)
        s.neighbours.request(ref, .loadNeighbours(ref), into: &effects)
    }

    static func reorder(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        if s.query.isIdentity {
            let keep = s.selectedFeature?.feature
            s.order = nil
            s.orderPending = false
            s.list.setCount(s.tables[s.dict].featureCount)
            s.movedWhileOrdering = false
            if let keep { s.list.jump(to: keep) }
        } else {
            s.orderPending = true
            s.movedWhileOrdering = false
            effects.append(.computeOrder(s.currentOrderRequest, s.tables[s.dict], labels: s.labelsByFeature(s.dict)))
        }
    }

    /// What in `query` hides features, as the status names it.
    static func hiding(_ query: FeatureQuery) -> [String] {
        var parts: [String] = []
        if !query.search.isEmpty { parts.append("search \"\(query.search)\"") }
        if query.filter != .all { parts.append("filter \(FilterPresets.title(query.filter))") }
        if query.minimumActive > 0 { parts.append("minimum of \(query.minimumActive) active tokens") }
        return parts
    }

    /// Row of feature `id` in the current order (linear in the list length, only on jumps).
    static func row(of id: Int, in s: ExplorerState) -> Int? {
        guard let order = s.order else { return id >= 0 && id < s.list.count ? id : nil }
        return order.firstIndex(of: Int32(truncatingIfNeeded: id))
    }

    static func jump(to id: Int, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        let count = s.tables[s.dict].featureCount
        guard id >= 0, id < count else {
            s.message = StatusMessage(
                text: "no feature \(id): \(s.tables[s.dict].descriptor.name) has features 0-\(count - 1)", isError: true)
            return
        }
        guard let row = row(of: id, in: s) else {
            // Offer to clear what hides it; the next key answers (KeyMap.action).
            s.hiddenJump = id
            s.message = StatusMessage(
                text: "feature \(id) is hidden by the \(hiding(s.query).joined(separator: " and ")): "
                    + "Enter or y clears and jumps, any other key stays", isError: true)
            return
        }
        navigate(&s, &effects) { $0.jump(to: row) }
    }
}
