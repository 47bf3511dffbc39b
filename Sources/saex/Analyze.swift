import ArgumentParser
import Foundation
import SAEKit

enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-feature statistics of a cache: alpha, elasticity, norm correlations, density, ...",
        discussion: """
        One record per feature with the fields \(FeatureRecord.fields.joined(separator: ", ")) \
        (docs/ANALYSIS.md defines each). JSON and CSV go to stdout; unknown values are null (JSON), \
        empty (CSV) or n/a (table). The analysis is stored beside the cache (CACHE.analysis) and \
        recomputed when the cache changes.
        """)

    @Argument(help: "A cache file.") var cache: String
    @Option(help: "Only this dictionary.") var dict: String?
    @Option(help: "Output format: table, json or csv.") var format: TableFormat = .table
    @Option(help: "Sort by this field (descending; see --ascending).") var sort: String?
    @Flag(help: "Sort ascending.") var ascending = false
    @Option(help: "Only the first N records (after sorting).") var top: Int?

    func run() throws {
        if let top, top < 0 { throw ValidationError("--top must be 0 or more") }
        let source = try CacheFeatureSource(path: cache, progress: { Progress.report(stage: $0, done: $1, total: $2) })
        Progress.finish()
        let indices: [Int] = try dict.map { [try source.cache.dictionaryIndex(named: $0)] } ?? Array(source.dictionaries.indices)
        var records = try FeatureRecord.records(indices.map { source.table(dict: $0) }, sortedBy: sort, ascending: ascending)
        if let top { records = Array(records.prefix(top)) }
        switch format {
        case .json:
            let data = try JSONSerialization.data(withJSONObject: ["features": records.map(\.jsonObject)], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try Console.out(TerminalText.jsonEscapingControls(data))
        case .csv:
            var lines = [FeatureRecord.fields.joined(separator: ",")]
            for r in records { lines.append(FeatureRecord.fields.map { csvCell(r.value($0)) }.joined(separator: ",")) }
            try Console.out(lines.joined(separator: "\n"))
        case .table:
            try Console.lines(table(records).components(separatedBy: "\n"))
        }
    }

    /// Widest a token (and the whole top-tokens cell) is shown in the table; longer ones end in "…".
    static let tokenWidth = 24, tokensWidth = 80

    func csvCell(_ v: FeatureRecord.Value?) -> String {
        let s: String
        switch v {
        case .string(let x)?: s = x
        case .int(let x)?: s = x.map(String.init) ?? ""
        case .number(let x)?: s = x.map { $0.isFinite ? String($0) : "" } ?? ""
        case .bool(let x)?: s = x ? "true" : "false"
        case .strings(let x)?: s = x.joined(separator: " | ")
        case nil: s = ""
        }
        return CSV.field(s)
    }

    func table(_ records: [FeatureRecord]) -> String {
        let cols: [(String, String)] = [("dictionary", "dict"), ("feature", "feature"), ("alpha", "alpha"), ("elasticity", "elast"),
                                         ("norm_pearson", "n.pear"), ("norm_spearman", "n.spear"), ("norm_spearman_active", "n.sp.act"),
                                         ("top_norm_mass", "top1%"), ("density", "density"), ("max_activation", "max"),
                                         ("norm_detector_hint", "hint"), ("top_tokens", "top tokens")]
        func cell(_ v: FeatureRecord.Value?) -> String {
            switch v {
            case .string(let x)?: return TerminalText.truncated(x, width: Self.tokensWidth)
            case .int(let x)?: return x.map(String.init) ?? "n/a"
            case .number(let x)?: return x.map { abs($0) < 1e-3 && $0 != 0 ? String(format: "%.2e", $0) : String(format: "%.3f", $0) } ?? "n/a"
            case .bool(let x)?: return x ? "norm?" : ""
            case .strings(let x)?:
                let tokens = x.map { TerminalText.truncated($0.trimmingCharacters(in: .whitespaces), width: Self.tokenWidth) }
                return TerminalText.truncated(tokens.joined(separator: " "), width: Self.tokensWidth)
            case nil: return ""
            }
        }
        let rows = records.map { r in cols.map { cell(r.value($0.0)) } }
        var widths = cols.map { $0.1.count }
        for row in rows { for (i, c) in row.enumerated() where i < cols.count - 1 { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : (i < 2 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, widths[i] - c.count)) + c)
            }.joined(separator: "  ")
        }
        return ([line(cols.map(\.1))] + rows.map(line)).joined(separator: "\n")
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-dictionary summaries of a cache and the comparison of its dictionaries.",
        discussion: "JSON: {\"dictionaries\": [...], \"comparisons\": [...]}; docs/ANALYSIS.md documents every field.")

    @Argument(help: "A cache file.") var cache: String
    @Option(help: "Output format: text or json.") var format: TextOrJSON = .text

    func run() throws {
        let source = try CacheFeatureSource(path: cache, progress: { Progress.report(stage: $0, done: $1, total: $2) })
        Progress.finish()
        let a = source.analysis
        if format == .json {
            struct Out: Encodable {
                var dictionaries: [DictionarySummary]
                var comparisons: [DictionaryComparison]
            }
            try Console.out(try jsonString(Out(dictionaries: a.summaries, comparisons: a.comparisons)))
            return
        }
        var out: [String] = []
        func pct(_ n: Int, _ d: Int) -> String { d > 0 ? String(format: "%d (%.1f%%)", n, 100 * Double(n) / Double(d)) : "0" }
        func num(_ v: Double?, _ fmt: String = "%.3f") -> String { v.map { String(format: fmt, $0) } ?? "n/a" }
        let rows: [(String, (DictionarySummary) -> String)] = [
            ("score", { $0.score }),
            ("features", { String($0.featureCount) }),
            ("tokens", { String($0.tokenCount) }),
            ("dead", { pct($0.deadCount, $0.featureCount) }),
            ("norm-detector hints", { pct($0.normDetectorHints, $0.featureCount) }),
            ("alpha mean", { num($0.meanAlpha) }),
            ("alpha > 0.5", { $0.alphaAboveHalf.map { pct($0, $0 >= 0 ? $0 : 0) } ?? "n/a" }),
            ("mean elasticity", { num($0.meanElasticity) }),
            ("mean density", { num($0.meanDensity, "%.2e") }),
            ("median active norm Spearman", { num($0.medianNormSpearmanActive) }),
            ("median top-1% norm mass", { num($0.medianTopNormMass) }),
        ]
        let names = a.summaries.map(\.name)
        let labelWidth = rows.map(\.0.count).max() ?? 0
        let colWidth = max(16, names.map(\.count).max() ?? 0)
        out.append("".padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  " + names.map { TerminalText.safeString($0).padding(toLength: colWidth, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        for (label, get) in rows {
            out.append(label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  " + a.summaries.map { s in
                var v = get(s)
                if label == "alpha > 0.5", let n = s.alphaAboveHalf { v = pct(n, s.featureCount) }
                return v.padding(toLength: colWidth, withPad: " ", startingAt: 0)
            }.joined(separator: "  "))
        }
        for c in a.comparisons {
            out.append("")
            out.append("\(c.a.name) vs \(c.b.name): \(c.mutualPairs) mutual best matches, \(c.mutualPairsAboveThreshold) with decoder cosine > \(c.cosineThreshold)")
            out.append("  \(c.a.name) features with a match above \(c.cosineThreshold) in \(c.b.name): \(pct(c.aMatchedAboveThreshold, c.a.featureCount)); mean best cosine \(num(c.aMeanBestCosine))")
            out.append("  \(c.b.name) features with a match above \(c.cosineThreshold) in \(c.a.name): \(pct(c.bMatchedAboveThreshold, c.b.featureCount)); mean best cosine \(num(c.bMeanBestCosine))")
        }
        try Console.lines(out)
    }
}
