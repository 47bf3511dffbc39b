import SAEKit

/// The virtualised feature list: only the visible rows are read from the table.
enum ListView {
    struct Column {
        var sort: FeatureColumn
        var width: Int
        var rightAligned: Bool
    }

    static let columns: [Column] = [
        Column(sort: .feature, width: 8, rightAligned: true),
        Column(sort: .label, width: 5, rightAligned: false),
        Column(sort: .alpha, width: 6, rightAligned: true),
        Column(sort: .elasticity, width: 6, rightAligned: true),
        Column(sort: .normSpearmanActive, width: 6, rightAligned: true),
        Column(sort: .density, width: 8, rightAligned: true),
        Column(sort: .maxActivation, width: 7, rightAligned: true)
    ]

    /// Columns dropped first when the terminal is narrow; the sort column is never dropped.
    static let dropOrder: [FeatureColumn] = [.elasticity, .density, .maxActivation, .alpha, .normSpearmanActive]

    /// The concept column (your label's name for the feature) shows from this terminal width on,
    /// between the statistics and the top tokens.
    static let conceptMinimumWidth = 90
    static let conceptWidth = 18

    static func visibleColumns(width: Int, keep: FeatureColumn) -> [Column] {
        var cols = columns
        var fixed: Int { cols.reduce(0) { $0 + $1.width + 1 } }
        var drops = dropOrder.filter { $0 != keep }[...]
        while fixed + 12 > width, let next = drops.popFirst() { cols.removeAll { $0.sort == next } }
        return cols
    }

    static func cellText(_ column: FeatureColumn, _ st: FeatureStats, _ label: FeatureLabel?) -> (String, StyleRole) {
        switch column {
        case .feature: return (String(st.feature), .normal)
        case .label:
            if let v = label?.verdict { return (VerdictDisplay.mark(v), .mark) }
            if let label, !label.isEmpty { return ("*", .mark) }
            return st.normDetectorHint ? ("~n", .warning) : ("", .normal)
        case .alpha: return (Format.number(st.alpha, 2), .normal)
        case .elasticity: return (Format.number(st.elasticity, 2), .normal)
        case .normSpearmanActive: return (Format.number(st.normSpearmanActive, 2), .normal)
        case .density: return (Format.percent(st.density), .normal)
        case .maxActivation: return (Format.number(st.maxActivation, 2), .normal)
        default: return ("", .normal)
        }
    }

    static func header(_ column: FeatureColumn, _ s: ExplorerState, ascii: Bool = false) -> String {
        ListColumns.title(column, ascii: ascii) + (s.query.sort == column ? (s.query.descending ? "↓" : "↑") : "")
    }

    static func draw(_ s: ExplorerState, list: ListState, _ b: inout ScreenBuffer) {
        let cols = visibleColumns(width: b.width, keep: s.query.sort)
        var x = 0
        for col in cols {
            let title = header(col.sort, s, ascii: b.asciiOnly)
            let width = TerminalText.width(title)
            let pad = col.rightAligned ? max(0, col.width - width) : 0
            b.put(title, x: x + pad, y: 1, role: .header, maxWidth: col.width)
            x += col.width + 1
        }
        let showsConcept = b.width >= conceptMinimumWidth
        if showsConcept {
            b.put("concept", x: x, y: 1, role: .header)
            x += conceptWidth + 1
        }
        b.put(header(.topTokens, s), x: x, y: 1, role: .header)
        b.setRole(.header, x: 0, y: 1, width: b.width)

        guard !s.tables.isEmpty else { return }
        if list.count == 0 {
            b.put(s.orderPending ? "sorting…" : "no feature matches the filter and search", x: 2, y: 2, role: .dim)
            return
        }
        for (row, index) in list.visibleRange.enumerated() {
            let y = 2 + row
            let ref = FeatureRef(dict: s.dict, feature: s.feature(atRow: index))
            let st = s.stats(ref)
            let label = s.label(for: ref)
            let selected = index == list.selected
            let base: StyleRole = selected ? .selected : st.dead ? .dim : .normal
            if selected { b.fill(x: 0, y: y, width: b.width, height: 1, role: .selected) }
            var x = 0
            for col in cols {
                let (text, role) = cellText(col.sort, st, label)
                let shown = selected || role == .normal ? base : role
                let width = TerminalText.width(text)
                let pad = col.rightAligned ? max(0, col.width - width) : 0
                b.put(text, x: x + pad, y: y, role: shown, maxWidth: col.width - pad)
                x += col.width + 1
            }
            if showsConcept {
                if let concept = label?.concept, !concept.isEmpty { b.draw([Span(concept, base)], x: x, y: y, maxWidth: conceptWidth) }
                x += conceptWidth + 1
            }
            var tokens: Line = []
            for (k, token) in st.topTokens.enumerated() {
                if k > 0 { tokens.append(Span(" " + b.symbols.vertical + " ", selected ? base : .dim)) }
                tokens.append(Span(TokenPreview.trimmed(token), base, visibleSpaces: true))
            }
            if st.dead && st.topTokens.isEmpty { tokens = [Span("(dead)", base)] }
            if x < b.width { b.draw(tokens, x: x, y: y, maxWidth: b.width - x) }
        }
    }
}
