import SAEKit

/// Per-dictionary summaries side by side.
enum OverviewView {
    static func draw(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        let n = max(1, s.dictionaries.count)
        let colWidth = (b.width - (n - 1)) / n
        let height = Layout.bodyHeight(height: b.height)
        for (i, d) in s.dictionaries.enumerated() {
            let x = i * (colWidth + 1)
            if i > 0 { for y in 1...height { b.put(b.symbols.vertical, x: x - 1, y: y, role: .dim) } }
            let lines = column(s, dict: i, descriptor: d, width: colWidth, symbols: b.symbols)
            b.draw(lines, scroll: 0, x: x, y: 1, width: colWidth, height: height)
        }
    }

    static func column(_ s: ExplorerState, dict: Int, descriptor d: DictionaryDescriptor, width: Int, symbols: Symbols) -> [Line] {
        var lines: [Line] = [[Span(d.name, .header), Span("  \(d.architecture), \(d.score.rawValue), d_in \(d.dIn)", .dim)]]
        guard let loaded = s.overview[dict] else { return lines }
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
        lines.append([Span("features ", .dim), Span("\(o.featureCount)"), Span("  dead ", .dim), Span("\(o.dead)"),
                      Span("  norm hints ", .dim), Span("\(o.hints)", o.hints > 0 ? .warning : .normal)])
        lines.append([Span("labelled ", .dim), Span("\(labelled)"), Span("  unlabelled ", .dim), Span("\(o.featureCount - labelled)")])
        var tallyLine: Line = []
        for v in Verdict.allCases {
            tallyLine += [Span(VerdictDisplay.mark(v) + " ", .mark), Span("\(tallies[v] ?? 0)  ")]
        }
        lines += wrap(tallyLine, width: width, indent: 0)
        lines.append([])
        let plotWidth = max(4, min(48, width - 9))
        if o.alphaHistogram.isEmpty {
            lines.append([Span("alpha: unavailable", .warning)])
        } else {
            let counts = rebin(o.alphaHistogram, to: plotWidth)
            lines += Charts.bars(counts, height: 5, xLow: Format.number(o.alphaRange.lowerBound, 2), xHigh: Format.number(o.alphaRange.upperBound, 2),
                                 title: "alpha" + (o.alphaUnknown > 0 ? " (\(o.alphaUnknown) n/a)" : ""), symbols: symbols,
                                 axes: "x: alpha, y: features")
        }
        lines.append([])
        if o.normHistogram.isEmpty {
            lines.append([Span("norm ρ: unavailable (no input norms)", .warning)])
        } else {
            lines += Charts.bars(rebin(o.normHistogram, to: plotWidth), height: 5, xLow: "-1", xHigh: "1",
                                 title: "norm ρ on active tokens (Spearman)" + (o.normUnknown > 0 ? " (\(o.normUnknown) n/a)" : ""), symbols: symbols,
                                 axes: "x: ρ(activation, ‖x‖), y: features")
        }
        return lines
    }

    /// Sums adjacent bins so the histogram fits `n` columns.
    static func rebin(_ counts: [Int], to n: Int) -> [Int] {
        guard counts.count > n, n > 0 else { return counts }
        var out = Array(repeating: 0, count: n)
        for (i, c) in counts.enumerated() { out[i * n / counts.count] += c }
        return out
    }
}
