import Foundation

/// `ComparisonReport` as text: the rows `saex summary` prints and the Markdown page `saex report`
/// writes (tables, histograms as text in code blocks). Names from files are made terminal-safe.
extension ComparisonReport {
    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", unsignedZero($0 * 100, decimals: 1)) } ?? "n/a" }

    /// `x`, or +0 when it prints as zero with `decimals` decimals: no "-0.0%" for a tiny negative value.
    static func unsignedZero(_ x: Double, decimals: Int) -> Double {
        let scale = pow(10, Double(decimals))
        return (x * scale).rounded() == 0 ? 0 : x
    }
    static func number(_ v: Double?, _ format: String = "%.3f") -> String { v.map { String(format: format, $0) } ?? "n/a" }

    static func share(_ p: Proportion) -> String {
        guard p.total > 0 else { return "n/a" }
        return "\(p.count)/\(p.total) = \(percent(p.fraction)) [\(percent(p.lower)), \(percent(p.upper))]"
    }

    static func difference(_ d: ProportionDifference) -> String {
        guard let diff = d.difference else { return "n/a" }
        return String(format: "%+.1f%%", unsignedZero(diff * 100, decimals: 1))
            + " [\(percent(d.lower)), \(percent(d.upper))], Fisher p \(number(d.fisherP, "%.3g"))"
    }

    /// One row per figure: its name and its value for each dictionary.
    public var figureRows: [(name: String, values: [String])] {
        let d = dictionaries
        func row(_ name: String, _ f: (DictionarySummary) -> String) -> (name: String, values: [String]) { (name, d.map(f)) }
        var rows = [
            row("score") { $0.score },
            row("features") { String($0.featureCount) },
            row("tokens") { String($0.tokenCount) },
            row("dead") { Self.share(Proportion($0.deadCount, of: $0.featureCount)) },
            row("norm-detector hints") { Self.share($0.normDetectorHintShare) },
            row("alpha mean / median") { "\(Self.number($0.meanAlpha)) / \(Self.number($0.medianAlpha))" },
            row("alpha > 0.5") { s in s.alphaAboveHalf.map { Self.share(Proportion($0, of: s.featureCount)) } ?? "n/a" },
            row("mean elasticity") { Self.number($0.meanElasticity) },
            row("mean density") { Self.number($0.meanDensity, "%.2e") },
            row("mean L0") { Self.number($0.meanL0, "%.1f") },
            row("FVU") { Self.number($0.fvu, "%.4f") },
            row("median active norm Spearman") { Self.number($0.medianNormSpearmanActive) },
            row("median top-1% norm mass") { Self.number($0.medianTopNormMass) }
        ]
        if d.contains(where: { $0.labels != nil }) {
            rows += [
                row("labelled (blind)") { s in s.labels.map { "\($0.labelled) (\($0.blind))" } ?? "n/a" },
                row("interpretable") { s in s.labels.map { Self.share($0.interpretable) } ?? "n/a" },
                row("norm detectors (labels)") { s in s.labels.map { Self.share($0.normDetector) } ?? "n/a" }
            ]
        }
        return rows
    }

    /// Lines describing each compared pair of dictionaries (A - B).
    public var comparisonLines: [String] {
        comparisons.flatMap { c -> [String] in
            let a = TerminalText.escapedLine(c.a.name), b = TerminalText.escapedLine(c.b.name)
            var lines = [
                "\(a) vs \(b): \(c.mutualPairs) mutual best matches, \(c.mutualPairsAboveThreshold) with decoder cosine > \(c.cosineThreshold)",
                "  \(a) features with a match above \(c.cosineThreshold) in \(b): \(c.aMatchedAboveThreshold); mean best cosine \(Self.number(c.aMeanBestCosine))",
                "  \(b) features with a match above \(c.cosineThreshold) in \(a): \(c.bMatchedAboveThreshold); mean best cosine \(Self.number(c.bMeanBestCosine))",
                "  norm-detector hint share, \(a) - \(b): \(Self.difference(c.hintDifference))"
            ]
            if let l = c.labels {
                lines.append("  interpretable (labels), \(a) - \(b): \(Self.difference(l.interpretable))")
                lines.append("  norm detectors (labels), \(a) - \(b): \(Self.difference(l.normDetector))")
            }
            return lines
        }
    }

    /// The inter-rater agreement of each dictionary with any, as lines (DictionaryAgreement.textLines).
    public var agreementLines: [[String]] {
        (agreement ?? []).map(\.textLines).filter { !$0.isEmpty }
    }

    /// What `saex summary` prints: the figures side by side, then the comparisons and the agreement.
    public var text: String {
        let names = dictionaries.map { TerminalText.escapedLine($0.name) }
        let rows = figureRows
        let labelWidth = rows.map(\.name.count).max() ?? 0
        let widths = names.indices.map { i in max(names[i].count, rows.map { $0.values[i].count }.max() ?? 0) }
        func line(_ label: String, _ cells: [String]) -> String {
            (label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  "
                + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line("", names)] + rows.map { line($0.name, $0.values) }
        if !comparisons.isEmpty { out.append("") }
        out += comparisonLines
        for lines in agreementLines {
            out.append("")
            out += lines
        }
        return out.joined(separator: "\n")
    }

    /// A histogram as text: one row of bar characters per level (a plot that needs no terminal).
    static func plot(_ h: Histogram, rows: Int = 4) -> [String] {
        let bars = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = h.counts.max() ?? 0
        var out: [String] = []
        for level in stride(from: rows, to: 0, by: -1) {
            var s = ""
            for c in h.counts {
                let eighths = top > 0 ? Int((Double(c) / Double(top) * Double(rows * 8)).rounded()) : 0
                let full = eighths - (level - 1) * 8
                s += full >= 8 ? bars[7] : full > 0 ? bars[full - 1] : " "
            }
            out.append(s)
        }
        let lo = String(format: "%g", h.lower), hi = String(format: "%g", h.upper)
        out.append(lo + String(repeating: " ", count: max(1, h.counts.count - lo.count - hi.count)) + hi + "   (max \(top) per bin)")
        return out
    }

    /// The Markdown page of `saex report`: what the cache is, the figures table, the comparisons and
    /// each dictionary's histograms, ready to paste into a paper draft or an issue.
    public func markdown(title: String, cache: String) -> String {
        func md(_ s: String) -> String { TerminalText.escapedLine(s).replacingOccurrences(of: "|", with: "\\|") }
        var out = [
            "# \(md(title))", "", "Cache: `\(md(cache))`. Figures as `saex summary` computes them (docs/ANALYSIS.md defines each).", ""
        ]
        out.append("| figure | " + dictionaries.map { md($0.name) }.joined(separator: " | ") + " |")
        out.append("|---|" + dictionaries.map { _ in "---|" }.joined())
        for r in figureRows { out.append("| \(md(r.name)) | " + r.values.map(md).joined(separator: " | ") + " |") }
        if !comparisons.isEmpty {
            out += ["", "## Comparisons (A - B, 95% intervals)", ""]
            out += comparisonLines.map { $0.hasPrefix("  ") ? "  - " + $0.dropFirst(2) : "- " + $0 }
        }
        if !agreementLines.isEmpty {
            out += ["", "## Agreement between raters (95% bootstrap intervals)", ""]
            for lines in agreementLines {
                out += lines.map { line in
                    let depth = line.prefix { $0 == " " }.count / 2
                    return String(repeating: "  ", count: depth) + "- " + line.drop { $0 == " " }
                }
            }
        }
        for d in dictionaries {
            out += ["", "## \(md(d.name))", ""]
            var plots: [(String, Histogram)] = []
            if let a = d.alphaHistogram { plots.append(("alpha", a)) }
            plots.append(("active-token norm Spearman (ρ(act))", d.normSpearmanActiveHistogram))
            plots.append(("log10 density (dead features left out)", d.log10DensityHistogram))
            for (name, h) in plots {
                out += ["\(name):", "", "```"] + Self.plot(h) + ["```", ""]
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
