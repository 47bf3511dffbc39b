import Foundation
import SAEKit
import Testing

/// `saex pairs` and `saex report` run as a user runs them, on the bundled demo (the standard and the
/// per-feature-alpha cosine dictionary): the documented JSON shape, the same rows as CSV and as a
/// table, every filter and sort by its definition, one-line errors, and the report's figures
/// against `saex summary`. Golden numbers (decoder cosines, alphas) are computed here from the
/// weight files, read without SAEKit.
struct PairsCommandTests {
    static let cache = "fixtures/demo/demo.saexcache"
    static let names = ["standard", "cosine"]
    static let weights = [
        "standard": "fixtures/demo/standard/sae_weights.safetensors",
        "cosine": "fixtures/demo/cosine_perfeature/sae_weights.safetensors"
    ]

    // MARK: The JSON rows

    struct Side: Decodable, Equatable {
        var feature: Int
        var alpha: Double?
        var elasticity: Double?
        var normSpearmanActive: Double?
        var normDetectorHint: Bool
        var density: Double
        var verdict: String?
        var concept: String

        var labelled: Bool { verdict != nil || !concept.isEmpty }
    }

    struct Row: Decodable, Equatable {
        var a: Side
        var b: Side?
        var decoderCosine: Double?
        var activationCorrelation: Double?
        var score: Double?
        var mutual: Bool
        var unmatched: Bool
    }

    struct Output: Decodable {
        var dictionaries: [String]
        var by: String
        var unmatchedBelow: Double
        var rows: [Row]
    }

    /// The keys docs/ANALYSIS.md lists, and no others.
    static let topKeys: Set = ["dictionaries", "by", "unmatched_below", "rows"]
    static let rowKeys: Set = ["a", "b", "decoder_cosine", "activation_correlation", "score", "mutual", "unmatched"]
    static let sideKeys: Set = [
        "feature", "alpha", "elasticity", "norm_spearman_active", "norm_detector_hint", "density", "verdict",
        "concept"
    ]

    /// A temporary folder (the caller removes it); it is also $XDG_STATE_HOME of every run, so the
    /// demo's labels of whoever runs the tests are never read.
    struct Scratch {
        let dir = NSTemporaryDirectory() + "saex-pairs-" + UUID().uuidString
        var env: [String: String] { ["XDG_STATE_HOME": dir + "/state"] }
        init() throws { try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true) }
        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// `saex CMD... ARGS` must succeed; its stdout.
    static func output(_ args: [String], _ scratch: Scratch) throws -> String {
        let r = try CLI.run(args, env: scratch.env)
        try #require(r.status == 0, "saex \(args.joined(separator: " ")): \(r.stderr)")
        return r.stdout
    }

    /// `saex pairs CACHE --format json ARGS`, its keys checked against the documented ones.
    static func pairs(_ args: [String], _ scratch: Scratch) throws -> Output {
        let data = Data(try output(["pairs", cache, "--format", "json"] + args, scratch).utf8)
        let raw = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(raw.keys) == topKeys)
        let rows = try #require(raw["rows"] as? [[String: Any]])
        #expect(rows.allSatisfy { Set($0.keys) == rowKeys }, "row keys: \(rows.first.map { $0.keys.sorted() } ?? [])")
        let sides = rows.flatMap { [$0["a"], $0["b"]] }.compactMap { $0 as? [String: Any] }
        #expect(sides.count >= rows.count && sides.allSatisfy { Set($0.keys) == sideKeys }, "side keys")
        #expect(rows.allSatisfy { $0["b"] is NSNull || $0["b"] is [String: Any] }, "b is an object or null")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Output.self, from: data)
    }

    /// Each ranking's score of a pair (docs/ANALYSIS.md, "Which match is best").
    static func expectedScore(_ r: Row, by: String) -> Double? {
        switch by {
        case "decoder": r.decoderCosine
        case "activation": r.activationCorrelation
        default: r.decoderCosine.map { ($0 + (r.activationCorrelation ?? 0)) / 2 }
        }
    }

    @Test(arguments: ["decoder", "activation", "combined"])
    func jsonIsTheDocumentedShapeWithMutualPointingBack(_ by: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ab = try Self.pairs(["--by", by], scratch)
        let ba = try Self.pairs(["--by", by, "--dicts", "cosine,standard"], scratch)
        #expect(ab.dictionaries == Self.names && ba.dictionaries == Self.names.reversed())
        #expect(ab.by == by && ab.unmatchedBelow == 0.5)
        // One row per feature of A, in feature order, without labels.
        for out in [ab, ba] {
            #expect(out.rows.map(\.a.feature) == Array(0..<2048))
            #expect(out.rows.allSatisfy { !$0.a.labelled && !($0.b?.labelled ?? false) })
        }
        // Both scores whatever --by is; the score is --by's; unmatched is the threshold's.
        #expect(ab.rows.allSatisfy { $0.b != nil && $0.decoderCosine != nil })
        #expect(ab.rows.contains { $0.activationCorrelation == nil } && ab.rows.contains { $0.activationCorrelation != nil })
        let badScore = ab.rows.filter { r in
            Self.expectedScore(r, by: by).map { abs($0 - (r.score ?? .nan)) >= 1e-6 } ?? (r.score != nil)
        }
        #expect(badScore.isEmpty, "scores that are not --by \(by)'s: \(badScore.prefix(3))")
        let badUnmatched = ab.rows.filter { r in r.unmatched != !(r.score.map { $0 >= 0.5 } ?? false) }.map(\.a.feature)
        #expect(badUnmatched.isEmpty, "unmatched flags that disagree with the score: \(badUnmatched.prefix(10))")
        // mutual: B's best match points back.
        let back = ba.rows.map { $0.b?.feature }
        let wrong = ab.rows.filter { r in r.mutual != (r.b.map { back[$0.feature] == r.a.feature } ?? false) }.map(\.a.feature)
        #expect(wrong.isEmpty, "mutual flags that disagree with --dicts cosine,standard: \(wrong.prefix(10))")
        #expect(ab.rows.contains { $0.mutual } && ab.rows.contains { !$0.mutual })
        #expect(ab.rows.filter(\.mutual).count == ba.rows.filter(\.mutual).count)
    }

    // MARK: Golden decoder cosines from the weights

    /// One tensor of a safetensors file as doubles (F16 or F32, little-endian), read from the bytes.
    static func tensor(_ path: String, _ name: String) throws -> (shape: [Int], values: [Double]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/" + path))
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        let entry = try #require(header[name] as? [String: Any], "\(path): no \(name)")
        let shape = try #require(entry["shape"] as? [Int]), offsets = try #require(entry["data_offsets"] as? [Int])
        let dtype = try #require(entry["dtype"] as? String)
        let bytes = data.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
        let values: [Double] = bytes.withUnsafeBytes { raw in
            switch dtype {
            case "F16":
                (0..<(raw.count / 2)).map {
                    Double(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
                }
            case "F32": (0..<(raw.count / 4)).map { Double(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)) }
            default: []
            }
        }
        try #require(values.count == shape.reduce(1, *), "\(path): \(name) is \(dtype)")
        return (shape, values)
    }

    /// A dictionary's decoder rows scaled to unit length, in Double.
    static func unitDecoder(_ dict: String) throws -> [[Double]] {
        let w = try tensor(try #require(weights[dict]), "W_dec")
        let d = w.shape[1]
        return (0..<w.shape[0]).map { i in
            let row = Array(w.values[(i * d)..<((i + 1) * d)])
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? row.map { $0 / norm } : row
        }
    }

    /// Cosines of `row` with every row of `other`, and the best (the lower index on ties).
    static func cosines(_ row: [Double], _ other: [[Double]]) -> (all: [Double], best: Int) {
        let all = other.map { o in zip(row, o).reduce(0) { $0 + $1.0 * $1.1 } }
        let best = all.indices.max { all[$0] < all[$1] || (all[$0] == all[$1] && $0 > $1) } ?? -1
        return (all, best)
    }

    @Test func byDecoderPicksTheHighestDecoderCosineOfTheWeights() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let a = try Self.unitDecoder("standard"), b = try Self.unitDecoder("cosine")
        let rows = try Self.pairs(["--by", "decoder"], scratch).rows
        let otherRankings = try ["activation", "combined"].map { try Self.pairs(["--by", $0], scratch).rows }
        let analyze = try Self.output(["analyze", Self.cache, "--format", "json"], scratch)
        let analyzed = try JSONSerialization.jsonObject(with: Data(analyze.utf8))
        let records = try #require((analyzed as? [String: Any])?["features"] as? [[String: Any]])
        let matchDecoder = Dictionary(
            uniqueKeysWithValues: records.filter { $0["dictionary"] as? String == "standard" }.compactMap { r in
                (r["feature"] as? Int).map { ($0, r["match_decoder"] as? [String: Any]) }
            })
        // A sample across the dictionary, and the [CLS] features docs/ANALYSIS.md discusses.
        let sample = Array(stride(from: 0, to: 2048, by: 97)) + [865, 1107, 1502, 1808, 2047]
        for f in sample {
            let (cos, best) = Self.cosines(a[f], b)
            let runnerUp = cos.indices.filter { $0 != best }.map { cos[$0] }.max() ?? -1
            let row = rows[f]
            if cos[best] - runnerUp > 1e-5 {
                #expect(row.b?.feature == best, "standard #\(f): best decoder match cosine #\(best) (\(cos[best]))")
            }
            let g = try #require(row.b?.feature)
            #expect(cos[g] >= cos[best] - 1e-5, "standard #\(f): cosine #\(g) is not a best decoder match")
            #expect(abs((row.decoderCosine ?? .nan) - cos[g]) < 1e-5, "standard #\(f) - cosine #\(g)")
            // mutual from the weights: the match's own best in A is f.
            #expect(row.mutual == (Self.cosines(b[g], a).best == f), "standard #\(f) - cosine #\(g) mutual")
            // The same best match in saex analyze.
            let m = try #require(matchDecoder[f] ?? nil, "standard #\(f): no match_decoder")
            #expect(m["dictionary"] as? String == "cosine" && m["feature"] as? Int == g, "standard #\(f): \(m)")
            #expect(abs(((m["score"] as? Double) ?? .nan) - cos[g]) < 1e-5)
            // Other rankings may pick another match, but still give its decoder cosine.
            for other in otherRankings {
                let h = try #require(other[f].b?.feature)
                #expect(abs((other[f].decoderCosine ?? .nan) - cos[h]) < 1e-5, "standard #\(f) - cosine #\(h)")
            }
        }
    }

    // MARK: Labels, CSV and the table

    /// A labels file (rater "t") labelling, from the unlabelled rows: A's features 0..<40 (every
    /// verdict, some concept only), the matches of A's features 100..<140 (so those rows are labelled
    /// on the B side only), and for 200..<240 both sides, half with the same verdict, half not.
    /// Feature 3's concept holds control characters, a comma and a quote.
    static func labelsFile(_ scratch: Scratch) throws -> (path: String, hostile: String) {
        let rows = try pairs([], scratch).rows
        let source = try CacheFeatureSource(path: CLI.root + "/" + cache)
        let fp = source.dictionaries.map(\.fingerprint)
        let hostile = "red \u{1B}[31m,\"bell\u{07}\u{9B}2J\nend"
        let verdicts = Verdict.allCases
        var changes: [FeatureKey: FeatureLabel] = [:]
        func label(_ side: Int, _ f: Int, _ v: Verdict?, _ concept: String = "") {
            changes[FeatureKey(fingerprint: fp[side], feature: f)] = FeatureLabel(verdict: v, concept: concept, author: "t")
        }
        for f in 0..<40 { label(0, f, f % 6 == 5 ? nil : verdicts[f % verdicts.count], f == 3 ? hostile : f % 2 == 0 ? "c\(f)" : "") }
        for f in 100..<140 {
            if let g = rows[f].b?.feature, changes[FeatureKey(fingerprint: fp[1], feature: g)] == nil { label(1, g, .unsure) }
        }
        for f in 200..<240 {
            guard let g = rows[f].b?.feature else { continue }
            label(0, f, .interpretable)
            label(1, g, f % 2 == 0 ? .interpretable : .normDetector, "b\(g)")
        }
        let path = scratch.dir + "/pairs.labels"
        let store = try LabelStore(path: path, rater: "t")
        try store.setLabels(changes.map { (key: $0.key, label: Optional($0.value)) })
        store.close()
        return (path, hostile)
    }

    /// Simple CSV records: one per line (saex escapes line breaks in fields), quotes doubled.
    static func csvRecords(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            var fields = [""], quoted = false, previous: Character = ","
            for c in line {
                if c == "\"" {
                    if !quoted && previous == "\"" { fields[fields.count - 1].append(c) }
                    quoted.toggle()
                } else if c == "," && !quoted {
                    fields.append("")
                } else {
                    fields[fields.count - 1].append(c)
                }
                previous = c
            }
            return fields
        }
    }

    /// True when `text` holds a character that acts on a terminal (C0 but line feed, DEL, C1).
    static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
    }

    @Test(arguments: [[], ["--filter", "mutual", "--sort", "score"], ["--filter", "labelled", "--sort", "b.alpha", "--ascending"]])
    func csvAndTableHoldTheJSONRows(_ query: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (labels, hostile) = try Self.labelsFile(scratch)
        let args = query + ["--labels", labels]
        let json = try Self.pairs(args, scratch).rows
        #expect(!json.isEmpty)
        let csv = Self.csvRecords(try Self.output(["pairs", Self.cache, "--format", "csv"] + args, scratch))
        let header = [
            "a.feature", "b.feature", "score", "decoder_cosine", "activation_correlation", "mutual", "unmatched",
            "a.alpha", "b.alpha", "a.elasticity", "b.elasticity", "a.norm_spearman_active", "b.norm_spearman_active",
            "a.norm_detector_hint", "b.norm_detector_hint", "a.density", "b.density", "a.verdict", "b.verdict",
            "a.concept", "b.concept"
        ]
        try #require(csv.first == header)
        try #require(csv.count == json.count + 1)
        // Every cell against the JSON row: numbers to the printed precision (the CSV has the float32
        // value's shortest digits), the rest as text. Gathered, so a broken column is one issue.
        var mismatches: [String] = []
        for (cells, r) in zip(csv.dropFirst(), json) {
            let c = Dictionary(uniqueKeysWithValues: zip(header, cells))
            if cells.count != header.count { mismatches.append("#\(r.a.feature): \(cells.count) cells") }
            let numbers: [(String, Double?)] = [
                ("score", r.score), ("decoder_cosine", r.decoderCosine),
                ("activation_correlation", r.activationCorrelation), ("a.alpha", r.a.alpha),
                ("b.alpha", r.b?.alpha), ("a.density", r.a.density), ("b.density", r.b?.density)
            ]
            for (key, v) in numbers where c[key].flatMap({ $0.isEmpty ? nil : Float($0) }) != v.map(Float.init) {
                mismatches.append("#\(r.a.feature) \(key): \(c[key] ?? "") vs \(String(describing: v))")
            }
            let texts: [(String, String)] = [
                ("a.feature", String(r.a.feature)), ("b.feature", r.b.map { String($0.feature) } ?? ""),
                ("mutual", String(r.mutual)), ("unmatched", String(r.unmatched)),
                ("a.verdict", r.a.verdict ?? ""), ("b.verdict", r.b?.verdict ?? ""),
                ("a.concept", TerminalText.escapedControls(r.a.concept)),
                ("b.concept", TerminalText.escapedControls(r.b?.concept ?? ""))
            ]
            for (key, v) in texts where c[key] != v { mismatches.append("#\(r.a.feature) \(key): \(c[key] ?? "") vs \(v)") }
            if r.a.feature == 3 { #expect(c["a.concept"] == "red \\u{1B}[31m,\"bell\\u{7}\\u{9B}2J\\u{A}end") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) CSV cells differ from the JSON: \(mismatches.prefix(5))")
        if let row = json.first(where: { $0.a.feature == 3 }) { #expect(row.a.concept == hostile) }

        let table = try Self.output(["pairs", Self.cache] + args, scratch)
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        #expect(lines.count == json.count + 2, "a title, a header and one line per row")
        #expect(lines.first == "A = standard, B = cosine, best match by combined")
        #expect(lines.dropFirst().first?.split(separator: " ").prefix(3) == ["A", "B", "score"])
        let numbers = lines.dropFirst(2).map { $0.split(separator: " ").prefix(2).map(String.init) }
        #expect(numbers == json.map { [String($0.a.feature), $0.b.map { String($0.feature) } ?? "none"] })
        #expect(!Self.hasControls(table), "the table holds terminal controls")
        #expect(!Self.hasControls(csv.joined().joined()), "the CSV holds terminal controls")
        if json.contains(where: { $0.a.feature == 3 }) { #expect(table.contains("red \\u{1B}[31m,\"bell\\u{7}\\u{9B}2J end | ")) }
    }

    // MARK: Filters and sorting

    /// Each filter's definition, read from a row's JSON fields (docs/ANALYSIS.md, "saex pairs").
    static let filters: [(String, @Sendable (Row, Double) -> Bool)] = [
        ("mutual", { r, _ in r.mutual }),
        ("unmatched", { r, below in r.b == nil || !(r.score.map { $0 >= below } ?? false) }),
        ("hint_one_side", { r, _ in r.a.normDetectorHint != (r.b?.normDetectorHint ?? false) }),
        ("labelled", { r, _ in r.a.labelled || (r.b?.labelled ?? false) }),
        ("unlabelled", { r, _ in !r.a.labelled && !(r.b?.labelled ?? false) }),
        ("verdicts_differ", { r, _ in r.a.verdict != nil && r.b?.verdict != nil && r.a.verdict != r.b?.verdict })
    ]

    @Test(arguments: [[], ["--by", "decoder", "--unmatched-below", "0.3"]])
    func eachFilterKeepsExactlyTheRowsOfItsDefinition(_ options: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let labels = try Self.labelsFile(scratch).path
        let all = try Self.pairs(options + ["--labels", labels], scratch)
        let below = all.unmatchedBelow
        #expect(below == (options.isEmpty ? 0.5 : 0.3))
        for (name, keep) in Self.filters {
            let shown = try Self.pairs(options + ["--labels", labels, "--filter", name], scratch).rows
            let expected = all.rows.filter { keep($0, below) }
            #expect(!expected.isEmpty && expected.count < all.rows.count, "\(name) should select some rows, not all")
            #expect(
                shown.map(\.a.feature) == expected.map(\.a.feature),
                "--filter \(name): \(shown.count) rows, \(expected.count) expected")
            #expect(shown.allSatisfy { all.rows[$0.a.feature] == $0 }, "--filter \(name): rows differ from --filter all's")
        }
    }

    /// A column's value in a row (nil: unknown), as `--sort` names it.
    static func value(_ r: Row, _ column: String) -> Double? {
        func side(_ s: Side?, _ key: String) -> Double? {
            guard let s else { return nil }
            switch key {
            case "alpha": return s.alpha
            case "elasticity": return s.elasticity
            case "norm_spearman_active": return s.normSpearmanActive
            case "density": return s.density
            default: return nil
            }
        }
        switch column {
        case "score": return r.score
        case "decoder_cosine": return r.decoderCosine
        case "activation_correlation": return r.activationCorrelation
        case "mutual": return r.mutual ? 1 : 0
        case "match": return r.b.map { Double($0.feature) }
        default: return side(column.hasPrefix("a.") ? r.a : r.b, String(column.dropFirst(2)))
        }
    }

    @Test(arguments: [
        "score", "decoder_cosine", "activation_correlation", "mutual", "match", "b.alpha", "b.density",
        "a.elasticity", "b.norm_spearman_active", "a.density"
    ])
    func sortIsMonotoneWithUnknownValuesLast(_ column: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let all = try Self.pairs([], scratch).rows
        for ascending in [false, true] {
            let rows = try Self.pairs(["--sort", column] + (ascending ? ["--ascending"] : []), scratch).rows
            #expect(rows.map(\.a.feature).sorted() == all.map(\.a.feature), "a permutation of the rows")
            let values = rows.map { Self.value($0, column) }
            let known = values.prefix { $0 != nil }.compactMap { $0 }
            #expect(values.dropFirst(known.count).allSatisfy { $0 == nil }, "--sort \(column): unknown values last")
            let inOrder = zip(known, known.dropFirst()).allSatisfy { ascending ? $0 <= $1 : $0 >= $1 }
            #expect(inOrder, "--sort \(column)\(ascending ? " --ascending" : ""): not monotone")
            #expect(Set(known).count > 1, "--sort \(column): a column with one value tests nothing")
            // Ties (and the unknowns) keep the feature order.
            let ties = rows.indices.dropLast().filter { values[$0] == values[$0 + 1] && rows[$0].a.feature > rows[$0 + 1].a.feature }
            #expect(ties.isEmpty, "--sort \(column): ties out of feature order at \(ties.prefix(5))")
        }
        if column == "activation_correlation" { #expect(all.contains { $0.activationCorrelation == nil }, "unknown values exist") }
    }

    // MARK: Errors

    @Test(
        arguments: [
            (
                ["--dicts", "standard,nope"],
                "saex: \(cache): --dicts standard,nope: no dictionary named nope (the cache has: standard, cosine)"
            ),
            (["--dicts", "nope,cosine"], "saex: \(cache): --dicts nope,cosine: no dictionary named nope (the cache has: standard, cosine)"),
            (
                ["--dicts", "standard"],
                "saex: --dicts standard: needs two different dictionary names separated by a comma; e.g. --dicts standard,cosine_global"
            ),
            (
                ["--by", "cosine"],
                "saex: The value 'cosine' is invalid for '--by <by>'. "
                    + "Please provide one of 'decoder', 'activation' or 'combined'; see 'saex pairs --help'"
            ),
            (
                ["--filter", "nope"],
                "saex: The value 'nope' is invalid for '--filter <filter>'. Please provide one of 'all', 'mutual', "
                    + "'hint_one_side', 'verdicts_differ', 'unmatched', 'labelled' or 'unlabelled'; see 'saex pairs --help'"
            ),
            (
                ["--sort", "nope"],
                "saex: --sort nope is not a column; use one of: " + PairColumn.allCases.map(\.rawValue).joined(separator: ", ")
                    + "; see 'saex pairs --help'"
            )
        ] as [([String], String)])
    func usageErrorsAreOneLine(_ args: [String], _ line: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let r = try CLI.run(["pairs", Self.cache] + args, env: scratch.env)
        #expect(r.status == 2)
        #expect(r.stderr == line + "\n")
        #expect(r.stdout.isEmpty)
    }

    /// What `saex pairs` (a cache only) and `saex report` (also imports) say about a path. report reads
    /// a folder as one of Neuronpedia feature files, so its words about one are the importer's.
    @Test(arguments: [
        ("README.md", "(corrupt or not safetensors)", "is not a cache saex can import"),
        (
            "fixtures/demo/standard/sae_weights.safetensors", "is a safetensors file but not a saex cache",
            "is a safetensors file but not a saex cache"
        ),
        ("fixtures/demo/standard", "is a folder, expected a file", ""),
        ("fixtures/demo/no-such.saexcache", "no such file", "no such file")
    ])
    func aPathThatIsNotACacheIsOneLine(_ path: String, _ pairsReason: String, _ reportReason: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        for (command, reason) in [(["pairs", path], pairsReason), (["report", path, "-o", scratch.dir + "/r.md"], reportReason)] {
            let r = try CLI.run(command, env: scratch.env)
            #expect(r.status == 2, "\(command)")
            #expect(r.stderr.hasPrefix("saex: \(path)") && (reason.isEmpty || r.stderr.contains(reason)), "\(command): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && !r.stderr.contains("Fatal error"), "\(command): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.dir + "/r.md"))
    }
}

/// `saex report CACHE -o report.md`: the Markdown page holds `saex summary`'s figures, which are
/// checked against the weights and against `saex pairs`' rows.
struct ReportCommandTests {
    typealias Pairs = PairsCommandTests

    /// The figures table of a report: each figure's cells, one per dictionary.
    static func figures(_ markdown: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in markdown.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            out[cells[0]] = Array(cells.dropFirst())
        }
        return out
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theReportHoldsTheSummaryFigures() throws {
        let scratch = try Pairs.Scratch()
        defer { scratch.remove() }
        let labels = try Pairs.labelsFile(scratch).path
        let summary = try Self.json(try Pairs.output(["summary", Pairs.cache, "--format", "json", "--labels", labels], scratch))
        let path = scratch.dir + "/report.md"
        let written = try CLI.run(["report", Pairs.cache, "-o", path, "--labels", labels], env: scratch.env)
        #expect(written.status == 0 && written.stdout.isEmpty && written.stderr == "wrote \(path)\n", "\(written.stderr)")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        // -o - and no -o write the same page to stdout.
        #expect(try Pairs.output(["report", Pairs.cache, "-o", "-", "--labels", labels], scratch) == page)
        #expect(try Pairs.output(["report", Pairs.cache, "--labels", labels], scratch) == page)

        let figures = Self.figures(page)
        #expect(figures["figure"] == Pairs.names)
        let dictionaries = try #require(summary["dictionaries"] as? [[String: Any]])
        try #require(dictionaries.map { $0["name"] as? String } == Pairs.names)
        for (i, d) in dictionaries.enumerated() {
            func cell(_ name: String) -> String { figures[name].map { i < $0.count ? $0[i] : "" } ?? "" }
            func int(_ key: String) -> Int { d[key] as? Int ?? -1 }
            let n = int("feature_count")
            #expect(n == 2048 && cell("features") == "2048")
            #expect(cell("tokens") == String(int("token_count")))
            #expect(cell("dead").hasPrefix("\(int("dead_count"))/\(n) = "), "\(cell("dead"))")
            #expect(cell("norm-detector hints").hasPrefix("\(int("norm_detector_hints"))/\(n) = "), "\(cell("norm-detector hints"))")
            #expect((d["norm_detector_hint_share"] as? [String: Any])?["count"] as? Int == int("norm_detector_hints"))
            let mean = d["mean_alpha"] as? Double ?? .nan, median = d["median_alpha"] as? Double ?? .nan
            #expect(cell("alpha mean / median") == String(format: "%.3f / %.3f", mean, median))
            #expect(cell("alpha > 0.5").hasPrefix("\(int("alpha_above_half"))/\(n) = "), "\(cell("alpha > 0.5"))")
            let tally = try #require(d["labels"] as? [String: Any])
            #expect(cell("labelled (blind)") == "\(tally["labelled"] as? Int ?? -1) (\(tally["blind"] as? Int ?? -1))")
        }
        let comparison = try #require((summary["comparisons"] as? [[String: Any]])?.first)
        func count(_ key: String) -> Int { comparison[key] as? Int ?? -1 }
        #expect(
            page.contains(
                "- standard vs cosine: \(count("mutual_pairs")) mutual best matches, "
                    + "\(count("mutual_pairs_above_threshold")) with decoder cosine > 0.7\n"), "\(page)")
        #expect(
            page.contains(
                "  - standard features with a match above 0.7 in cosine: \(count("a_matched_above_threshold")); "
                    + "mean best cosine " + String(format: "%.3f", comparison["a_mean_best_cosine"] as? Double ?? .nan)))

        // The figures themselves. alpha from the weights: 1 for the inner-product dictionary, the
        // stored per-feature alphas for the cosine one.
        let alphas = try Pairs.tensor(try #require(Pairs.weights["cosine"]), "alpha").values.sorted()
        try #require(alphas.count == 2048)
        for (d, values) in zip(dictionaries, [[Double](repeating: 1, count: 2048), alphas]) {
            let mean = values.reduce(0, +) / Double(values.count), median = (values[1023] + values[1024]) / 2
            #expect(abs((d["mean_alpha"] as? Double ?? .nan) - mean) < 1e-9 && abs((d["median_alpha"] as? Double ?? .nan) - median) < 1e-9)
            #expect(d["alpha_above_half"] as? Int == values.filter { $0 > 0.5 }.count)
        }
        // Dead features, hints and labelled features from pairs' rows (each dictionary as A);
        // mutual pairs and matches above the threshold from its decoder ranking.
        let rows = try ["standard,cosine", "cosine,standard"].map {
            try Pairs.pairs(["--by", "decoder", "--labels", labels, "--dicts", $0], scratch).rows
        }
        for (d, side) in zip(dictionaries, rows) {
            #expect(d["dead_count"] as? Int == side.filter { $0.a.density == 0 }.count)
            #expect(d["norm_detector_hints"] as? Int == side.filter(\.a.normDetectorHint).count)
            #expect((d["labels"] as? [String: Any])?["labelled"] as? Int == side.filter(\.a.labelled).count)
        }
        #expect(count("mutual_pairs") == rows[0].filter(\.mutual).count)
        #expect(count("a_matched_above_threshold") == rows[0].filter { ($0.decoderCosine ?? 0) > 0.7 }.count)
        #expect(count("b_matched_above_threshold") == rows[1].filter { ($0.decoderCosine ?? 0) > 0.7 }.count)
        let meanBest = rows[0].compactMap(\.decoderCosine).reduce(0, +) / Double(rows[0].count)
        #expect(abs((comparison["a_mean_best_cosine"] as? Double ?? .nan) - meanBest) < 1e-6)
    }

    /// `-o` onto the cache, its stored analysis or its labels file (beside it, read by default) is
    /// refused in one line and leaves the file as it was.
    @Test func theReportRefusesToWriteOverItsInputs() throws {
        let scratch = try Pairs.Scratch()
        defer { scratch.remove() }
        let cache = scratch.dir + "/demo.saexcache"
        for name in ["demo.saexcache", "demo.saexcache.analysis"] {
            try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/demo/" + name, toPath: scratch.dir + "/" + name)
        }
        let store = try LabelStore(path: cache + ".labels", rater: "t")
        let fingerprint = try CacheFeatureSource(path: cache).dictionaries[0].fingerprint
        try store.setLabel(
            FeatureLabel(verdict: .interpretable, concept: "kept", author: "t"),
            for: FeatureKey(fingerprint: fingerprint, feature: 1))
        store.close()
        for target in [cache, cache + ".analysis", cache + ".labels"] {
            let before = try Data(contentsOf: URL(fileURLWithPath: target))
            let r = try CLI.run(["report", cache, "-o", target], env: scratch.env)
            #expect(r.status == 2, "-o \(target): \(r.stderr)")
            #expect(r.stderr.hasPrefix("saex: \(target): is the input ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before, "-o \(target) changed it")
        }
        // saex labels export reads the same files.
        let export = try CLI.run(["labels", "export", cache, "-o", cache + ".analysis"], env: scratch.env)
        #expect(export.status == 2 && export.stderr.hasPrefix("saex: \(cache).analysis: is the input "), "\(export.stderr)")
        // And the files still work.
        let summary = try Self.json(try Pairs.output(["summary", cache, "--format", "json"], scratch))
        #expect((summary["dictionaries"] as? [[String: Any]])?.first.flatMap { ($0["labels"] as? [String: Any])?["labelled"] as? Int } == 1)
    }
}
