import SAEKit

/// Draws the explorer's state. Pure: reads the state only (its tables and loaded caches), never a
/// feature source. The scroll limits the update clamps to come from the same line builders.
enum ExplorerViews {
    static func render(_ state: ExplorerState, size: TerminalSize, asciiOnly: Bool) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: size.width, height: size.height, asciiOnly: asciiOnly)
        guard size.width > 0, size.height > 0 else { return buffer }
        if Chrome.drawTooSmall(minimum: ExplorerLayout.minimumSize, &buffer) { return buffer }
        var list = state.list
        list.setViewport(ExplorerLayout.listViewport(height: size.height))
        Chrome.titleBar(title(state), &buffer)
        switch state.route {
        case .list: ListView.draw(state, list: list, &buffer)
        case .detail(let d): DetailView.draw(state, d, &buffer)
        case .compare(let c): CompareView.draw(state, c, &buffer)
        case .pairs(let p): PairsView.draw(state, p, &buffer)
        case .overview(let scroll): OverviewView.draw(state, scroll: scroll, &buffer)
        }
        Chrome.drawHints(KeyMap.hints(for: state), state: state, &buffer)
        status(state, &buffer)
        if state.showHelp { HelpOverlay.draw(helpLines(state), scroll: state.helpScroll, &buffer) }
        return buffer
    }

    /// The largest useful scroll offset of the top screen's body at the state's size.
    static func scrollLimit(_ s: ExplorerState) -> Int {
        let width = s.width, height = ExplorerLayout.bodyHeight(height: s.height)
        let symbols: Symbols = .unicode
        let count: Int
        switch s.route {
        case .list, .pairs: return 0
        case .detail(let d): count = DetailView.lines(s, ref: d.ref, width: width, symbols: symbols).count
        case .compare(let c):
            let (left, right) = CompareView.columns(s, c, width: width, symbols: symbols)
            count = max(left.count, right.count)
        case .overview: count = OverviewView.lineCount(s, width: width)
        }
        return max(0, count - height)
    }

    /// The keys, then the glossary of every column, marker and score.
    static func helpLines(_ s: ExplorerState) -> [Line] {
        var lines = HelpOverlay.lines(KeyMap.bindings, contexts: KeyContext.allCases, state: s)
        lines += [[], [Span("What the columns and markers mean", .header)]]
        let width = HelpOverlay.bodyWidth(TerminalSize(width: s.width, height: s.height))
        for e in Glossary.entries {
            lines += wrap([Span(Format.left(e.term, 16), .mark), Span(e.meaning)], width: max(20, width), indent: 16)
        }
        return lines
    }

    static func rankingName(_ r: MatchRanking) -> String {
        switch r {
        case .decoder: "decoder cosine"
        case .activation: "activation correlation"
        case .combined: "both (mean of cos and corr)"
        }
    }

    static func helpScrollLimit(_ s: ExplorerState) -> Int {
        HelpOverlay.scrollLimit(helpLines(s), size: TerminalSize(width: s.width, height: s.height))
    }

    static func title(_ s: ExplorerState) -> String {
        var text = " " + s.title
        if let c = s.compare {
            let right = s.rightFeature(c).map { "\(s.tables[$0.dict].descriptor.name) #\($0.feature)" } ?? s.tables[c.other].descriptor.name
            return text + " | compare \(s.tables[c.left.dict].descriptor.name) #\(c.left.feature) with \(right)"
        }
        if let p = s.pairs {
            return text + " | pairs of \(s.tables[p.a].descriptor.name) in \(s.tables[p.b].descriptor.name)"
        }
        if !s.tables.isEmpty {
            let d = s.tables[s.dict].descriptor
            text += " | \(d.name) (\(d.architecture), \(d.featureCount) features"
            text += s.tables.count > 1 ? ", \(s.dict + 1)/\(s.tables.count))" : ")"
        }
        return text
    }

    static func screenName(_ s: ExplorerState) -> String {
        switch s.screen {
        case .list: "LIST"
        case .detail: "DETAIL"
        case .compare: "COMPARE"
        case .pairs: "PAIRS"
        case .overview: "OVERVIEW"
        }
    }

    static func prompt(_ kind: InputKind, _ s: ExplorerState) -> String {
        switch kind {
        case .search: s.query.wholeWord ? "search words (Tab: anywhere): " : "search anywhere (Tab: words): "
        case .jump: "jump to feature: "
        case .alphaThreshold: "show features with alpha > "
        case .minimumActive: "hide features active on fewer tokens than (0: none hidden) "
        case .label(let key, .concept): "concept of \(key.feature): "
        case .label(let key, .notes): "notes of \(key.feature): "
        }
    }

    static func status(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        let y = b.height - 1
        if let input = s.input {
            Chrome.drawPrompt(prompt(input.kind, s), editor: input.editor, &b)
            if let m = s.message, m.isError, !input.saving, input.isLabelEdit {
                // Keep the error visible above the prompt while the edit is kept.
                b.fill(x: 0, y: y - 1, width: b.width, height: 1, role: .normal)
                b.put(m.text, x: 0, y: y - 1, role: .warning)
            }
            return
        }
        var x = b.put(" \(screenName(s)) ", x: 0, y: y, role: .selected)
        let badge = x
        var left = ""
        switch s.route {
        case .compare(let c):
            left = " #\(c.left.feature) \(s.tables[c.left.dict].descriptor.name) vs \(s.tables[c.other].descriptor.name)"
            left += "  labels act on the \(c.focus == .left ? "left" : "right")"
        case .pairs(let p):
            left = " pair \(p.list.count == 0 ? 0 : p.list.selected + 1)/\(p.list.count)"
            if let f = p.selectedFeature { left += " (#\(f))" }
            left += "  sort \(p.query.sort.rawValue)\(p.query.descending ? "↓" : "↑")"
            if p.orderPending { left += "  sorting…" }
        case .detail(let d) where !d.followsList:
            left = " #\(d.ref.feature) of \(s.tables[d.ref.dict].descriptor.name)"
        default:
            left = " feature \(s.list.count == 0 ? 0 : s.list.selected + 1)/\(s.list.count)"
            if let f = s.selectedFeature { left += " (#\(f.feature))" }
        }
        if s.screen == .list || s.screen == .detail {
            left += "  sort \(ListColumns.title(s.query.sort))\(s.query.descending ? "↓" : "↑")"
            if s.query.filter != .all { left += "  filter: \(FilterPresets.title(s.query.filter))" }
            if s.query.minimumActive > 0 { left += "  active ≥ \(s.query.minimumActive)" }
            if !s.query.search.isEmpty { left += "  search\(s.query.wholeWord ? "" : " anywhere"): \"\(s.query.search)\"" }
            if s.orderPending { left += "  sorting…" }
        }
        if s.readOnlyLabels { left += "  read-only" } else if s.savesInFlight > 0 { left += "  saving…" }
        x += b.put(left, x: x, y: y, role: .normal)
        if let m = s.message { Chrome.drawMessage(m, after: badge, y: y, &b) }
    }
}
