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
            recomputed when the cache changes. Dictionaries wider than 65,536 features, or whose exact \
            decoder matching is estimated to take over 20 minutes, are matched approximately; the estimate \
            is printed before a computation starts, and --exact forces the exact method.
            """)

    @Argument(help: "A cache file, or a Neuronpedia, SAEDashboard or delphi cache to import.") var cache: String
    @Option(help: "Only this dictionary.") var dict: String?
    @Option(help: "Output format: table, json or csv.") var format: TableFormat = .table
    @Option(help: "Sort by this field (descending; see --ascending).") var sort: String?
    @Flag(help: "Sort ascending.") var ascending = false
    @Option(help: "Only the first N records (after sorting).") var top: Int?
    @Option(help: "Vocabulary for a delphi latent cache (tokenizer.json or a JSON array).") var vocab: String?
    @Flag(help: "Match decoders exactly however wide the dictionaries are; recomputes an approximate analysis.") var exact = false

    func run() throws {
        if let top, top < 0 { throw ValidationError("--top must be 0 or more") }
        let source = try FeatureSources.open(
            path: cache, vocabularyPath: vocab, options: AnalysisOptions(matching: exact ? .exact : .automatic),
            announce: { Console.error(TerminalText.escapedLine($0)) },
            progress: { Progress.report(stage: $0, done: $1, total: $2) })
        Progress.finish()
        let indices: [Int] = try dict.map { [try source.dictionaryIndex(named: $0, path: cache)] } ?? Array(source.dictionaries.indices)
        let tables = indices.map { source.table(dict: $0) }
        var records = try FeatureRecord.records(
            tables, sortedBy: sort, ascending: ascending,
            matches: { table, feature in
                source.dictionaries.firstIndex { $0.fingerprint == table.descriptor.fingerprint }
                    .map { source.bestMatches(dict: $0, feature: feature) } ?? []
            })
        if let top { records = Array(records.prefix(top)) }
        switch format {
        case .json:
            let data = try JSONSerialization.data(
                withJSONObject: ["features": records.map(\.jsonObject)],
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try Console.out(TerminalText.jsonEscapingControls(data))
        case .csv:
            let rows = [FeatureRecord.flatFields] + records.map { r in FeatureRecord.flatFields.map { r.csvText($0) } }
            try Console.out(rows.map { $0.map(CSV.field).joined(separator: ",") }.joined(separator: "\n"))
        case .table:
            try Console.lines(table(records).components(separatedBy: "\n"))
        }
    }

    /// Widest a token (and the whole top-tokens cell) is shown in the table; longer ones end in "…".
    static let tokenWidth = 24, tokensWidth = 80

    func table(_ records: [FeatureRecord]) -> String {
        let cols: [(String, String)] = [
            ("dictionary", "dict"), ("feature", "feature"), ("alpha", "alpha"), ("elasticity", "elast"),
            ("norm_pearson", "n.pear"), ("norm_spearman", "n.spear"), ("norm_spearman_active", "n.sp.act"),
            ("top_norm_mass", "top1%"), ("density", "density"), ("max_activation", "max"),
            ("norm_detector_hint", "hint"), ("match_activation_feature", "match"),
            ("match_activation_score", "corr"), ("top_tokens", "top tokens")
        ]
        func cell(_ v: FeatureRecord.Value?) -> String {
            switch v {
            case .string(let x)?: return TerminalText.truncated(x, width: Self.tokensWidth)
            case .int(let x)?: return x.map(String.init) ?? "n/a"
            case .number(let x)?: return FeatureRecord.numberColumn([x])[0]
            case .bool(let x)?: return x ? "norm?" : ""
            case .strings(let x)?:
                let tokens = FeatureRecord.tokenList(x, separator: " ", clean: { TerminalText.truncated($0, width: Self.tokenWidth) })
                return TerminalText.truncated(tokens, width: Self.tokensWidth)
            case nil: return ""
            }
        }
        // Numbers in one notation per column.
        var columns: [[String]] = cols.map { col in records.map { cell($0.value(col.0)) } }
        for (i, col) in cols.enumerated() {
            var values: [Double?] = []
            for r in records {
                guard case .number(let x)? = r.value(col.0) else { break }
                values.append(x)
            }
            if !records.isEmpty, values.count == records.count { columns[i] = FeatureRecord.numberColumn(values) }
        }
        let rows = records.indices.map { r in cols.indices.map { columns[$0][r] } }
        return TextTable.render(header: cols.map(\.1), rows: rows, leftAligned: [0, 1])
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-dictionary summaries of a cache and the comparison of its dictionaries, with what the labels say.",
        discussion: """
            The figures the explorer's overview shows (the same computation). JSON: {"dictionaries": [...], \
            "comparisons": [...], "agreement": [...], "matching": {...}}; docs/ANALYSIS.md documents every field. With the cache's \
            labels (CACHE.labels, the demo's in $XDG_STATE_HOME/saex/, or --labels FILE; every rater's), each \
            dictionary's labels are tallied and "agreement" holds the inter-rater agreement on the features two \
            or more raters labelled (docs/LABELS.md); without a labels file these are null. "matching" says how \
            the decoders were matched (exact or approximate; null for an import).
            """)

    @Argument(help: "A cache file, or a Neuronpedia, SAEDashboard or delphi cache to import.") var cache: String
    @Option(help: "Output format: text or json.") var format: TextOrJSON = .text
    @Option(help: "The labels file to read (default: CACHE.labels if it exists; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?

    func run() throws {
        let (report, matching) = try comparisonReport(cache: cache, labels: labels)
        guard format == .text else {
            try Console.out(try jsonString(SummaryOutput(report: report, matching: matching)))
            return
        }
        var text = report.text
        if let matching { text += "\n\ndecoder matching: \(matching.description)" }
        try Console.out(text)
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the dictionary-level comparison as a Markdown page (tables and text plots).",
        discussion:
            "The page to paste into a paper draft or an issue: saex summary's figures and comparisons, and each dictionary's histograms.")

    @Argument(help: "A cache file.") var cache: String
    @Option(name: .shortAndLong, help: "The Markdown file to write (default: stdout).") var output: String?
    @Option(help: "The labels file to read (default: CACHE.labels if it exists; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?

    func run() throws {
        let location = try LabelsLocation.resolve(cache: cache, labels: labels)
        let target = try output.map { try OutputTarget($0, inputs: location.inputs(cache: cache)) }
        let report = try comparisonReport(cache: cache, labels: labels).report
        let text = report.markdown(title: "saex report: " + (cache as NSString).lastPathComponent, cache: cache)
        if let target {
            try target.write([Data(text.utf8)])
            Console.error(TerminalText.escapedLine("wrote \(target)"))
        } else {
            try Console.out(Data(text.utf8))
        }
    }
}

/// Summaries and comparisons of a cache, with its labels when there are any, and how its decoders
/// were matched (nil for an import, or when nothing was matched).
func comparisonReport(cache: String, labels: String?) throws -> (report: ComparisonReport, matching: MatchingRecord?) {
    let source = try FeatureSources.open(
        path: cache, announce: { Console.error(TerminalText.escapedLine($0)) },
        progress: { Progress.report(stage: $0, done: $1, total: $2) })
    Progress.finish()
    let every = try LabelsLocation.resolve(cache: cache, labels: labels).openIfPresent()?.everyLabel
    let report = source.comparisonReport(tables: source.dictionaries.indices.map { source.table(dict: $0) }, labels: every)
    var matching: MatchingRecord?
    if let analysis = (source as? CacheFeatureSource)?.analysis,
        !analysis.matches.isEmpty || analysis.neighbours.contains(where: { !$0.isEmpty })
    {
        matching = analysis.matching
    }
    return (report, matching)
}

/// `saex summary --format json`: the comparison report's fields and the matching record beside them.
struct SummaryOutput: Encodable {
    var report: ComparisonReport
    var matching: MatchingRecord?

    enum CodingKeys: String, CodingKey { case matching }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(matching, forKey: .matching)
    }
}
