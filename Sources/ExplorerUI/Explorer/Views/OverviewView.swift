import SAEKit

/// Per-dictionary summaries side by side, scrolled together. The figures are `DictionarySummary`'s
/// (what `saex summary` prints); the histograms are its histograms, drawn.
enum OverviewView {
    static func draw(_ s: ExplorerState, scroll: Int, _ b: inout ScreenBuffer) {
        let height = ExplorerLayout.bodyHeight(height: b.height)
        let columns = self.columns(s, width: b.width, symbols: b.symbols)
        let colWidth = columnWidth(s, width: b.width)
        for (i, lines) in columns.enumerated() {
            let x = i * (colWidth + 1)
            if i > 0 { for y in 1...height { b.put(b.symbols.vertical, x: x - 1, y: y, role: .dim) } }
            b.draw(lines, scroll: scroll, x: x, y: 1, width: colWidth, height: height)
        }
    }

    static func columnWidth(_ s: ExplorerState, width: Int) -> Int {
        let n = max(1, s.tables.count)
        return (width - (n - 1)) / n
    }

    /// Each dictionary's column of lines.
    static func columns(_ s: ExplorerState, width: Int, symbols: Symbols) -> [[Line]] {
        let w = columnWidth(s, width: width)
        return s.tables.indices.map { column(s, dict: $0, width: w, symbols: symbols) }
    }

    static func column(_ s: ExplorerState, dict: Int, width: Int, symbols: Symbols) -> [Line] {
        let d = s.tables[dict].descriptor
        var lines: [Line] = wrap([Span(d.name, .header), Span("  \(d.architecture), \(d.score.rawValue), d_in \(d.dIn)", .dim)], width: width, indent: 2)
        guard let loaded = s.summaries[dict] else { return lines }
        guard case .ready(let o) = loaded else {
            if case .failed(let e) = loaded { lines.append([Span("unavailable: " + e, .warning)]) } else { lines.append([Span("computing…", .dim)]) }
            return lines
        }
        var tallies: [Verdict: Int] = [:]
        var labelled = 0
        for (key, label) in s.labels where key.fingerprint == d.fingerprint && !label.isEmpty {
            labelled += 1
            if let v = label.verdict { tallies[v, default: 0] += 1 }
        }
        lines += wrap([Span("features ", .dim), Span("\(o.featureCount)"), Span("  dead ", .dim), Span("\(o.deadCount)"),
                       Span("  norm hints ", .dim), Span("\(o.normDetectorHints)", o.normDetectorHints > 0 ? .warning : .normal)],
                      width: width, indent: 2)
        lines += wrap([Span("labelled ", .dim), Span("\(labelled)"), Span("  unlabelled ", .dim), Span("\(o.featureCount - labelled)")],
                      width: width, indent: 2)
        var tallyLine: Line = []
        for v in Verdict.allCases {
            tallyLine += [Span(VerdictDisplay.mark(v) + " ", .mark), Span("\(tallies[v] ?? 0)  ")]
        }
        lines += wrap(tallyLine, width: width, indent: 0)
        lines.append([])
        let plotWidth = max(4, min(48, width - 9))
        if let alpha = o.alphaHistogram {
            lines += histogram(alpha, plotWidth: plotWidth, title: "alpha" + (alpha.missing > 0 ? " (\(alpha.missing) n/a)" : ""),
                               axes: "x: alpha, y: features", symbols: symbols)
        } else {
            lines.append([Span("alpha: unavailable", .warning)])
        }
        lines.append([])
        let rho = o.normSpearmanActiveHistogram
        if rho.total == 0 {
            lines.append([Span("norm ρ: unavailable (no input norms)", .warning)])
        } else {
            lines += histogram(rho, plotWidth: plotWidth, title: "norm ρ on active tokens (Spearman)" + (rho.missing > 0 ? " (\(rho.missing) n/a)" : ""),
                               axes: "x: ρ(activation, ‖x‖), y: features", symbols: symbols)
        }
        return lines
    }

    /// A summary histogram as bars over its own range, with its bounds as axis labels.
    static func histogram(_ h: Histogram, plotWidth: Int, title: String, axes: String, symbols: Symbols) -> [Line] {
        Charts.bars(stretch(h.counts, to: plotWidth), height: 5, xLow: Format.axis(h.lower), xHigh: Format.axis(h.upper), title: title,
                    symbols: symbols, axes: axes)
    }

    /// Repeats each bin so the histogram fills about `n` columns (never fewer columns than bins).
    static func stretch(_ counts: [Int], to n: Int) -> [Int] {
        guard !counts.isEmpty else { return counts }
        let each = max(1, n / counts.count)
        return counts.flatMap { Array(repeating: $0, count: each) }
    }
}
