import SAEKit

/// The virtualised feature list: only the visible rows' stats are read.
enum ListView {
    struct Column {
        var sort: SortColumn
        var width: Int
        var rightAligned: Bool
    }

    static let columns: [Column] = [
        Column(sort: .feature, width: 8, rightAligned: true),
        Column(sort: .label, width: 5, rightAligned: false),
        Column(sort: .alpha, width: 6, rightAligned: true),
        Column(sort: .elasticity, width: 6, rightAligned: true),
        Column(sort: .normCorrelation, width: 6, rightAligned: true),
        Column(sort: .density, width: 8, rightAligned: true),
        Column(sort: .maxActivation, width: 7, rightAligned: true),
    ]

    /// Columns dropped first when the terminal is narrow.
    static let dropOrder: [SortColumn] = [.elasticity, .density, .maxActivation, .alpha]

    static func visibleColumns(width: Int) -> [Column] {
        var cols = columns
        var fixed: Int { cols.reduce(0) { $0 + $1.width + 1 } }
        var drops = dropOrder[...]
        while fixed + 12 > width, let next = drops.popFirst() { cols.removeAll { $0.sort == next } }
        return cols
    }

    static func cellText(_ column: SortColumn, _ st: FeatureStats, _ label: FeatureLabel?) -> (String, StyleRole) {
        switch column {
        case .feature: return (String(st.feature), .normal)
        case .label:
            if let v = label?.verdict { return (VerdictDisplay.mark(v), .mark) }
            if let label, !label.isEmpty { return ("*", .mark) }
            return st.normDetectorHint ? ("~n", .warning) : ("", .normal)
        case .alpha: return (Format.number(st.alpha, 2), .normal)
        case .elasticity: return (Format.number(st.elasticity, 2), .normal)
        case .normCorrelation: return (Format.number(st.normSpearmanActive, 2), .normal)
        case .density: return (Format.percent(st.density), .normal)
        case .maxActivation: return (Format.number(st.maxActivation, 2), .normal)
        case .topTokens: return ("", .normal)
        }
    }

    static func draw(_ s: ExplorerState, list: ListState, source: any FeatureSource, _ b: inout ScreenBuffer) {
        let cols = visibleColumns(width: b.width)
        // Header
        var x = 0
        for col in cols {
            var title = col.sort.title
            if s.sort.column == col.sort { title += s.sort.descending ? "↓" : "↑" }
            let width = TerminalText.width(title)
            let pad = col.rightAligned ? max(0, col.width - width) : 0
            b.put(title, x: x + pad, y: 1, role: .header, maxWidth: col.width)
            x += col.width + 1
        }
        var tokensTitle = SortColumn.topTokens.title
        if s.sort.column == .topTokens { tokensTitle += s.sort.descending ? "↓" : "↑" }
        b.put(tokensTitle, x: x, y: 1, role: .header)
        b.setRole(.header, x: 0, y: 1, width: b.width)

        guard !s.dictionaries.isEmpty else { return }
        if list.count == 0 {
            b.put(s.orderPending ? "sorting…" : "no feature matches the filter and search", x: 2, y: 2, role: .dim)
            return
        }
        let fingerprint = s.dictionaries[s.dict].fingerprint
        for (row, index) in list.visibleRange.enumerated() {
            let y = 2 + row
            let feature = s.feature(atRow: index)
            let st = source.stats(dict: s.dict, feature: feature)
            let label = s.labels[FeatureKey(fingerprint: fingerprint, feature: feature)]
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
            var first = true
            for token in st.topTokens {
                if x >= b.width { break }
                if !first { x += b.put(" " + b.symbols.vertical + " ", x: x, y: y, role: selected ? base : .dim) }
                first = false
                x += b.put(TokenPreview.trimmed(token), x: x, y: y, role: base, visibleSpaces: true)
            }
            if st.dead && st.topTokens.isEmpty { b.put("(dead)", x: x, y: y, role: base) }
        }
    }
}
