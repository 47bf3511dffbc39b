import SAEKit

/// The dictionary-level comparison: each dictionary's figures side by side, then how each pair of
/// dictionaries differs. The numbers are `ComparisonReport`'s, the same `saex summary` prints; the
/// histograms are its histograms, drawn. Scrolled as one page.
enum OverviewView {
    static func draw(_ s: ExplorerState, scroll: Int, _ b: inout ScreenBuffer) {
        let height = ExplorerLayout.bodyHeight(height: b.height)
        let (columns, below) = lines(s, width: b.width, symbols: b.symbols)
        let colWidth = columnWidth(s, width: b.width)
        let top = columns.map(\.count).max() ?? 0
        for (i, lines) in columns.enumerated() {
            let x = i * (colWidth + 1)
            if i > 0 { for y in 1...height where y - 1 + scroll < top { b.put(b.symbols.vertical, x: x - 1, y: y, role: .dim) } }
            b.draw(lines, scroll: scroll, x: x, y: 1, width: colWidth, height: height)
        }
        // The comparison starts below the tallest column and scrolls with it.
        let start = top - scroll
        if start < height {
            let skip = max(0, -start)
            b.draw(Array(below.dropFirst(skip)), scroll: 0, x: 0, y: 1 + max(0, start), width: b.width, height: height - max(0, start))
        }
    }

    /// Total lines of the page (for the scroll limit).
    static func lineCount(_ s: ExplorerState, width: Int) -> Int {
        let (columns, below) = lines(s, width: width, symbols: .unicode)
        return (columns.map(\.count).max() ?? 0) + below.count
    }

    static func columnWidth(_ s: ExplorerState, width: Int) -> Int {
        let n = max(1, s.tables.count)
        return (width - (n - 1)) / n
    }

    /// Each dictionary's column, and the comparison lines below them.
    static func lines(_ s: ExplorerState, width: Int, symbols: Symbols) -> ([[Line]], [Line]) {
        let w = columnWidth(s, width: width)
        guard case .ready(let report)? = s.report else {
            let note: Line =
                s.report.flatMap { r -> Line? in
                    if case .failed(let e) = r { return [Span("unavailable: " + e, .warning)] }
                    return nil
                } ?? [Span("computing…", .dim)]
            return (s.tables.indices.map { [header(s, $0, width: w), note] }, [])
        }
        let columns = report.dictionaries.enumerated().map { i, d in
            [header(s, i, width: w)] + figures(d, width: w, symbols: symbols)
        }
        var below: [Line] = []
        for c in report.comparisons {
            below.append([])
            below += comparison(c, width: width)
        }
        // Agreement between raters (when two or more labelled the same features).
        for lines in report.agreementLines {
            below.append([])
            for (k, line) in lines.enumerated() {
                let indent = line.prefix { $0 == " " }.count
                below += wrap([Span(line, k == 0 ? .header : .normal)], width: width, indent: indent + 2)
            }
        }
        return (columns, below)
    }

    static func header(_ s: ExplorerState, _ i: Int, width: Int) -> Line {
        let d = s.tables[i].descriptor
        return [Span(d.name, .header), Span("  \(d.architecture), \(d.score.rawValue), d_in \(d.dIn)", .dim)]
    }

    static func share(_ p: Proportion) -> String {
        guard let f = p.fraction else { return "n/a" }
        var text = "\(p.count)/\(p.total) = " + Format.percent(f, 1)
        if let lo = p.lower, let hi = p.upper { text += " [" + Format.percent(lo, 1) + ", " + Format.percent(hi, 1) + "]" }
        return text
    }

    static func figures(_ d: DictionarySummary, width: Int, symbols: Symbols) -> [Line] {
        func row(_ spans: [Span]) -> [Line] { wrap(spans, width: width, indent: 2) }
        var lines: [Line] = []
        // The reconstruction beside the sparsity: mean L0, and the FVU where the source records it.
        let fvu = d.fvu.map { [Span("  "), Span.field("FVU"), Span(Format.number(Float($0), 4))] } ?? []
        lines += row(
            [
                Span.field("features"), Span("\(d.featureCount)"), Span("  "), Span.field("dead"), Span("\(d.deadCount)"),
                Span("  "), Span.field("mean L0"), Span(d.meanL0.map { Format.number(Float($0), 1) } ?? "n/a")
            ] + fvu)
        lines += row([Span.field("norm hints"), Span(share(d.normDetectorHintShare), d.normDetectorHints > 0 ? .warning : .normal)])
        if let mean = d.meanAlpha {
            lines += row([
                Span.field("alpha mean"), Span(Format.number(Float(mean), 3)), Span("  "), Span.field("median"),
                Span(Format.number(d.medianAlpha.map(Float.init), 3)), Span("  "), Span.field("> 0.5"), Span("\(d.alphaAboveHalf ?? 0)")
            ])
        } else {
            lines.append([Span("alpha: unavailable", .warning)])
        }
        if let l = d.labels {
            lines += row([
                Span.field("labelled"), Span("\(l.labelled)"), Span("  "), Span.field("with a verdict"), Span("\(l.withVerdict)"),
                Span(l.blind > 0 ? "  blind \(l.blind)" : "", .dim)
            ])
            lines += row([Span.field("interpretable"), Span(share(l.interpretable), .mark)])
            lines += row([Span.field("norm detectors"), Span(share(l.normDetector), .mark)])
            var tally: [Span] = []
            for v in Verdict.allCases { tally += [Span(VerdictDisplay.mark(v) + " ", .mark), Span("\(l.verdicts[v.rawValue] ?? 0)  ")] }
            lines += wrap(tally, width: width, indent: 0)
        } else {
            lines.append([Span("labels: none loaded", .dim)])
        }
        lines.append([])
        let plotWidth = max(4, min(40, width - 9))
        if let alpha = d.alphaHistogram {
            lines += histogram(alpha, plotWidth: plotWidth, title: "alpha", axes: "x: alpha, y: features", symbols: symbols)
            lines.append([])
        }
        let rho = d.normSpearmanActiveHistogram
        if rho.total == 0 {
            lines.append([Span("ρ(act): unavailable (no input norms)", .warning)])
        } else {
            lines += histogram(
                rho, plotWidth: plotWidth, title: "ρ(act)" + (rho.missing > 0 ? ", \(rho.missing) n/a" : ""),
                axes: "x: ρ(activation, ‖x‖), y: features", symbols: symbols)
        }
        lines.append([])
        let density = d.log10DensityHistogram
        lines += histogram(
            density, plotWidth: plotWidth, title: "log10 density" + (density.missing > 0 ? ", \(density.missing) dead" : ""),
            axes: "x: log10(density), y: features", symbols: symbols)
        return lines
    }

    static func difference(_ name: String, _ d: ProportionDifference) -> [Span] {
        guard let diff = d.difference else { return [Span.field(name), Span("n/a")] }
        var text = (diff >= 0 ? "+" : "") + Format.percent(diff, 1)
        if let lo = d.lower, let hi = d.upper { text += " [" + Format.percent(lo, 1) + ", " + Format.percent(hi, 1) + "]" }
        if let p = d.fisherP { text += " p " + Format.axis(p) }
        return [Span.field(name), Span(text, .mark)]
    }

    static func comparison(_ c: DictionaryComparison, width: Int) -> [Line] {
        var lines: [Line] = [[Span("\(c.a.name) vs \(c.b.name)", .header), Span(" (A - B)", .dim)]]
        func row(_ spans: [Span]) { lines += wrap(spans, width: width, indent: 2) }
        row([
            Span.field("mutual pairs"), Span("\(c.mutualPairs)"),
            Span(", with decoder cosine > \(Format.number(c.cosineThreshold, 1)) ", .dim),
            Span("\(c.mutualPairsAboveThreshold)")
        ])
        row([
            Span("matched above \(Format.number(c.cosineThreshold, 1)): ", .dim),
            Span("\(c.a.name) \(c.aMatchedAboveThreshold), \(c.b.name) \(c.bMatchedAboveThreshold)")
        ])
        row(difference("norm-hint share", c.hintDifference))
        if let l = c.labels {
            row(difference("interpretable", l.interpretable))
            row(difference("norm detectors", l.normDetector))
        }
        return lines
    }

    /// A summary histogram as bars over its own range, with its bounds as axis labels.
    static func histogram(_ h: Histogram, plotWidth: Int, title: String, axes: String, symbols: Symbols) -> [Line] {
        Charts.bars(
            stretch(h.counts, to: plotWidth), height: 4, xLow: Format.axis(h.lower), xHigh: Format.axis(h.upper), title: title,
            symbols: symbols, axes: axes)
    }

    /// Repeats each bin so the histogram fills about `n` columns (never fewer columns than bins).
    static func stretch(_ counts: [Int], to n: Int) -> [Int] {
        guard !counts.isEmpty else { return counts }
        let each = max(1, n / counts.count)
        return counts.flatMap { Array(repeating: $0, count: each) }
    }
}
