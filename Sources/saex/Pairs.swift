import ArgumentParser
import Foundation
import SAEKit

extension MatchRanking: ExpressibleByArgument {}
extension PairFilter: ExpressibleByArgument {}

extension LabelStore {
    /// Labels of dictionary `d` by feature (the current rater's, or the newest per feature).
    func labels(of d: DictionaryDescriptor) -> [Int: FeatureLabel] {
        var out: [Int: FeatureLabel] = [:]
        for (key, label) in allLabels where key.fingerprint == d.fingerprint { out[key.feature] = label }
        return out
    }
}

struct Pairs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One row per feature of A: its best match in B, both scores, and both sides' statistics and labels.",
        discussion: """
            The rows the explorer's pairs screen (P) shows. --by picks the best match by decoder cosine, \
            activation correlation or both (their mean); every row gives both scores whatever --by is. A row \
            whose best score is below --unmatched-below (0.5) is "unmatched": the feature is only in A. JSON: \
            {"dictionaries": [A, B], "by", "unmatched_below", "rows": [{"a": {...}, "b": {...} or null, \
            "decoder_cosine", "activation_correlation", "score", "mutual", "unmatched"}]}; docs/ANALYSIS.md \
            defines every field.
            """)

    @Argument(help: "A cache file.") var cache: String
    @Option(help: ArgumentHelp("The two dictionaries, A,B (default: the first two).", valueName: "A,B")) var dicts: String?
    @Option(help: "Pick the best match by: decoder, activation or combined.") var by: MatchRanking = .combined
    @Option(help: "Show only: all, mutual, hint_one_side, verdicts_differ, unmatched, labelled, unlabelled.") var filter: PairFilter = .all
    @Option(help: "Sort by a column (feature, score, decoder_cosine, a.alpha, ...; descending unless --ascending).") var sort: String?
    @Flag(help: "Sort ascending.") var ascending = false
    @Option(help: "Best scores below this make a row unmatched.") var unmatchedBelow: Float = PairTable.defaultUnmatchedBelow
    @Option(help: "Output format: table, json or csv.") var format: TableFormat = .table
    @Option(help: "The labels file to read (default: CACHE.labels if it exists; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?

    func run() throws {
        let column = try sort.map { name in
            guard let c = PairColumn(rawValue: name) else {
                throw ValidationError(
                    "--sort \(name) is not a column; use one of: \(PairColumn.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return c
        }
        let source = try CacheFeatureSource(path: cache, progress: { Progress.report(stage: $0, done: $1, total: $2) })
        Progress.finish()
        let (a, b) = try pickPair(source)
        guard let ab = source.allMatchLists(dict: a, other: b), let ba = source.allMatchLists(dict: b, other: a) else {
            throw SAEKitError(
                .badInput, path: AnalysisStore.path(for: cache), reason: "holds no matches between the two dictionaries",
                remedy: "their decoders could not be loaded when the analysis ran; see saex summary")
        }
        let table = PairTable(
            a: source.table(dict: a), b: source.table(dict: b), aToB: ab, bToA: ba, ranking: by, unmatchedBelow: unmatchedBelow)
        let store = try LabelsLocation.resolve(cache: cache, labels: labels).openIfPresent()
        let labelsA = store?.labels(of: source.dictionaries[a]) ?? [:], labelsB = store?.labels(of: source.dictionaries[b]) ?? [:]
        let query = PairQuery(filter: filter, sort: column ?? .feature, descending: column != nil && !ascending)
        let rows = table.order(query, labelsA: labelsA, labelsB: labelsB).map {
            PairRecord(table, Int($0), labelsA: labelsA, labelsB: labelsB)
        }
        switch format {
        case .json:
            struct Out: Encodable {
                var dictionaries: [String]
                var by: String
                var unmatchedBelow: Float
                var rows: [PairRecord]
                enum CodingKeys: String, CodingKey { case dictionaries, by, rows, unmatchedBelow = "unmatched_below" }
            }
            try Console.out(
                try jsonString(
                    Out(
                        dictionaries: [source.dictionaries[a].name, source.dictionaries[b].name], by: by.rawValue,
                        unmatchedBelow: unmatchedBelow, rows: rows)))
        case .csv:
            try Console.out(
                ([PairRecord.csvHeader] + rows.map(\.csvCells)).map { $0.map(CSV.field).joined(separator: ",") }.joined(separator: "\n"))
        case .table:
            try Console.out(textTable(rows, a: source.dictionaries[a].name, b: source.dictionaries[b].name))
        }
    }

    func pickPair(_ source: CacheFeatureSource) throws -> (Int, Int) {
        let all = source.dictionaries
        guard all.count >= 2 else {
            throw SAEKitError(
                .badInput, path: cache, reason: "has \(all.count) dictionary; pairs need two", remedy: "build a cache with two dictionaries"
            )
        }
        guard let dicts else { return (0, 1) }
        let index = try DictsOption.indices(dicts, in: all.map(\.name), cache: cache)
        return (index[0], index[1])
    }

    func textTable(_ rows: [PairRecord], a: String, b: String) -> String {
        func n(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        let header = [
            "A", "B", "score", "cos", "corr", "mutual", "alpha A", "alpha B", "rho A", "rho B", "hint", "verdict A", "verdict B",
            "concept A | B"
        ]
        let cells = rows.map { r -> [String] in
            let hint = (r.a.normDetectorHint ? "A" : "") + (r.b?.normDetectorHint == true ? "B" : "")
            return [
                String(r.a.feature), r.b.map { String($0.feature) } ?? "none", n(r.score), n(r.decoderCosine), n(r.activationCorrelation),
                r.mutual ? "yes" : "", n(r.a.alpha), n(r.b?.alpha), n(r.a.normSpearmanActive), n(r.b?.normSpearmanActive), hint,
                r.a.verdict ?? "", r.b?.verdict ?? "", r.a.concept + " | " + (r.b?.concept ?? "")
            ].map(TerminalText.escapedLine)
        }
        let title = "A = \(TerminalText.escapedLine(a)), B = \(TerminalText.escapedLine(b)), best match by \(by.rawValue)"
        return title + "\n" + TextTable.render(header: header, rows: cells, leftAligned: [5, 10, 11, 12])
    }
}
