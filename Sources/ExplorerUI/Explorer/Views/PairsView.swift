import SAEKit

/// One row per feature of dictionary A: its best match in B, both scores, the mutual flag, and
/// both sides' alpha, elasticity, norm correlation, density, hint and verdicts (the narrower the
/// terminal, the fewer: `dropOrder`). Only the visible rows are read.
enum PairsView {
    struct Column {
        var sort: PairColumn?
        var title: String
        var width: Int
    }

    static let columns: [Column] = [
        Column(sort: .feature, title: "A", width: 7), Column(sort: .match, title: "B", width: 7),
        Column(sort: .score, title: "score", width: 6),
        Column(sort: .decoderCosine, title: "cos", width: 5), Column(sort: .activationCorrelation, title: "corr", width: 5),
        Column(sort: .mutual, title: "mut", width: 3), Column(sort: .alphaA, title: "αA", width: 5),
        Column(sort: .alphaB, title: "αB", width: 5),
        Column(sort: .elasticityA, title: "elA", width: 5), Column(sort: .elasticityB, title: "elB", width: 5),
        Column(sort: .spearmanA, title: "ρA", width: 5), Column(sort: .spearmanB, title: "ρB", width: 5),
        Column(sort: .densityA, title: "densA", width: 7), Column(sort: .densityB, title: "densB", width: 7),
        Column(sort: .hintA, title: "hint", width: 5), Column(sort: .verdictA, title: "lblA", width: 4),
        Column(sort: .verdictB, title: "lblB", width: 4)
    ]

    /// Dropped first when narrow, both sides together (the sort column stays).
    static let dropOrder: [[PairColumn]] = [
        [.densityA, .densityB], [.elasticityA, .elasticityB], [.spearmanA, .spearmanB],
        [.alphaA, .alphaB], [.decoderCosine, .activationCorrelation], [.verdictB]
    ]
    /// Columns left to the concepts, at least.
    static let conceptWidth = 24

    static func visibleColumns(width: Int, keep: PairColumn) -> [Column] {
        var cols = columns
        var fixed: Int { cols.reduce(0) { $0 + $1.width + 1 } }
        var drops = dropOrder[...]
        while fixed + conceptWidth > width, let next = drops.popFirst() {
            cols.removeAll { $0.sort.map(next.contains) == true && $0.sort != keep }
        }
        return cols
    }

    static func draw(_ s: ExplorerState, _ p: PairsState, _ b: inout ScreenBuffer) {
        let nameA = s.tables[p.a].descriptor.name, nameB = s.tables[p.b].descriptor.name
        var header: Line = [
            Span.field("A"), Span(nameA, .header), Span("  "), Span.field("B"), Span(nameB, .header),
            Span("  by \(ExplorerViews.rankingName(p.ranking))", .dim)
        ]
        if p.query.filter != .all { header += [Span("  "), Span.field("filter"), Span(filterName(p.query.filter), .mark)] }
        b.draw(header, x: 0, y: 1, maxWidth: b.width)
        let cols = visibleColumns(width: b.width, keep: p.query.sort)
        var x = 0
        for col in cols {
            var title = col.title
            if col.sort == p.query.sort { title += p.query.descending ? "↓" : "↑" }
            b.put(Format.right(title, col.width), x: x, y: 2, role: .header, maxWidth: col.width)
            x += col.width + 1
        }
        let conceptTitle =
            "concept A | B" + (p.query.sort == .conceptA || p.query.sort == .conceptB ? (p.query.descending ? "↓" : "↑") : "")
        b.put(conceptTitle, x: x, y: 2, role: .header)
        b.setRole(.header, x: 0, y: 2, width: b.width)

        guard case .ready(let table)? = s.pairTables[p.key] else {
            if case .failed(let e)? = s.pairTables[p.key] {
                b.put("pairs unavailable: " + e, x: 2, y: 3, role: .warning)
            } else {
                b.put("building the pairs of \(nameA) and \(nameB)…", x: 2, y: 3, role: .dim)
            }
            return
        }
        var list = p.list
        list.setViewport(ExplorerLayout.pairsViewport(height: b.height))
        if list.count == 0 {
            b.put(p.orderPending ? "sorting…" : "no pair matches the filter", x: 2, y: 3, role: .dim)
            return
        }
        let labelsA = s.tables[p.a].descriptor.fingerprint, labelsB = s.tables[p.b].descriptor.fingerprint
        for (row, index) in list.visibleRange.enumerated() {
            let y = 3 + row
            let i = p.feature(atRow: index)
            let j = table.matchOf(i)
            let la = s.labels[FeatureKey(fingerprint: labelsA, feature: i)]
            let lb = j.flatMap { s.labels[FeatureKey(fingerprint: labelsB, feature: $0)] }
            let selected = index == list.selected
            let unmatched = table.isUnmatched(i)
            let base: StyleRole = selected ? .selected : unmatched ? .dim : .normal
            if selected { b.fill(x: 0, y: y, width: b.width, height: 1, role: .selected) }
            var x = 0
            for col in cols {
                let (text, role) = cell(col.sort, table, i, j, la, lb)
                b.put(Format.right(text, col.width), x: x, y: y, role: selected || role == .normal ? base : role, maxWidth: col.width)
                x += col.width + 1
            }
            // Blank when neither side has a concept; "–" for the side without one.
            let concepts = [la?.concept ?? "", lb?.concept ?? ""]
            if concepts.contains(where: { !$0.isEmpty }) {
                let text = concepts.map { $0.isEmpty ? "–" : $0 }.joined(separator: " | ")
                b.draw([Span(text, base)], x: x, y: y, maxWidth: max(0, b.width - x))
            }
        }
    }

    static func cell(_ column: PairColumn?, _ t: PairTable, _ i: Int, _ j: Int?, _ la: FeatureLabel?, _ lb: FeatureLabel?) -> (
        String, StyleRole
    ) {
        func n(_ v: Float) -> String { v.isNaN ? "n/a" : Format.number(v, 2) }
        func stat(_ table: FeatureTable, _ k: Int?, _ c: FeatureColumn) -> String {
            guard let k else { return "" }
            return table.value(c, k).map { Format.number(Float($0), 2) } ?? "n/a"
        }
        func mark(_ l: FeatureLabel?) -> (String, StyleRole) {
            if let v = l?.verdict { return (VerdictDisplay.mark(v), .mark) }
            return (l.map { $0.isEmpty ? "" : "*" } ?? "", .mark)
        }
        switch column {
        case .feature: return (String(i), .normal)
        case .match: return (j.map(String.init) ?? "none", j == nil ? .dim : .normal)
        case .score: return (n(t.score[i]), t.isUnmatched(i) ? .dim : .normal)
        case .decoderCosine: return (n(t.decoderCosine[i]), .normal)
        case .activationCorrelation: return (n(t.activationCorrelation[i]), .normal)
        case .mutual: return (t.mutual[i] ? "↔" : "", .mark)
        case .alphaA: return (stat(t.a, i, .alpha), .normal)
        case .alphaB: return (stat(t.b, j, .alpha), .normal)
        case .elasticityA: return (stat(t.a, i, .elasticity), .normal)
        case .elasticityB: return (stat(t.b, j, .elasticity), .normal)
        case .densityA: return (Format.percent(t.a.density[i]), .normal)
        case .densityB: return (j.map { Format.percent(t.b.density[$0]) } ?? "", .normal)
        case .spearmanA: return (stat(t.a, i, .normSpearmanActive), .normal)
        case .spearmanB: return (stat(t.b, j, .normSpearmanActive), .normal)
        case .hintA, .hintB:
            let a = t.a.hint[i] != 0, b = j.map { t.b.hint[$0] != 0 } ?? false
            return ((a ? "A" : "") + (a || b ? "~" : "") + (b ? "B" : ""), a != b ? .warning : .normal)
        case .verdictA: return mark(la)
        case .verdictB: return mark(lb)
        default: return ("", .normal)
        }
    }

    static func filterName(_ f: PairFilter) -> String {
        switch f {
        case .all: "all"
        case .mutual: "mutual pairs"
        case .hintOneSide: "hint on one side only"
        case .verdictsDiffer: "verdicts differ"
        case .unmatched: "only in A (best score < \(Format.number(PairTable.defaultUnmatchedBelow, 2)))"
        case .labelled: "labelled"
        case .unlabelled: "unlabelled"
        }
    }
}
