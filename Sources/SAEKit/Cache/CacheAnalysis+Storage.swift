import Foundation

/// Reading and writing `CACHE.analysis` (a safetensors file; tensor names in docs/FORMATS.md).
extension CacheAnalysis {
    private struct Meta: Codable {
        var version: Int
        var key: String
        var pairs: [[Int]]
        var unavailable: [String]?
        /// Real tokens the statistics ran over.
        var tokenCount: Int
        /// How the decoders were matched (absent from version 3 files, which were all exact).
        var matching: MatchingRecord?
    }

    private static func optional(_ v: Float?) -> Float { v ?? .nan }

    /// The stored float statistics: tensor name and column.
    private static var floatColumns: [(String, WritableKeyPath<FeatureTable.Floats, TableColumn<Float>>)] {
        [
            ("alpha", \.alpha), ("elasticity", \.elasticity), ("norm_pearson", \.normPearson), ("norm_spearman", \.normSpearman),
            ("norm_pearson_active", \.normPearsonActive), ("norm_spearman_active", \.normSpearmanActive), ("top_norm_mass", \.topNormMass),
            ("norm_auc", \.normAUC), ("max_activation", \.maxActivation), ("mean_activation", \.meanActivation),
            ("decoder_norm", \.decoderNorm), ("encoder_norm", \.encoderNorm), ("enc_dec_cos", \.encoderDecoderCosine),
            ("single_token", \.singleTokenConcentration), ("special_token", \.specialTokenConcentration)
        ]
    }

    /// Writes the analysis atomically to `path`.
    public func write(to path: String) throws {
        var w = SafetensorsWriter()
        let k = Self.matchLimit
        func addLists(_ prefix: String, _ lists: MatchListTable) {
            for (kind, pick) in [
                ("cos", { (l: FeatureMatchLists) in l.byDecoderCosine }), ("corr", { (l: FeatureMatchLists) in l.byActivationCorrelation })
            ] {
                var feats = [Int32](repeating: -1, count: lists.count * k)
                var cos = [Float](repeating: .nan, count: lists.count * k)
                var corr = [Float](repeating: .nan, count: lists.count * k)
                var mutual = [UInt8](repeating: 0, count: lists.count * k)
                for (f, l) in lists.enumerated() {
                    for (j, m) in pick(l).prefix(k).enumerated() {
                        feats[f * k + j] = Int32(m.feature)
                        cos[f * k + j] = m.decoderCosine
                        corr[f * k + j] = Self.optional(m.activationCorrelation)
                        mutual[f * k + j] = m.mutual ? 1 : 0
                    }
                }
                w.add("\(prefix).by_\(kind).features", shape: [lists.count, k], int32s: feats)
                w.add("\(prefix).by_\(kind).cosine", shape: [lists.count, k], floats: cos)
                w.add("\(prefix).by_\(kind).correlation", shape: [lists.count, k], floats: corr)
                w.add("\(prefix).by_\(kind).mutual", shape: [lists.count, k], uint8s: mutual)
            }
        }
        for (i, t) in tables.enumerated() {
            let f = t.featureCount
            let p = "a\(i)."
            for (name, column) in Self.floatColumns { w.add(p + name, shape: [f], floats: Array(t.floats[keyPath: column].buffer)) }
            w.add(p + "density", shape: [f], doubles: Array(t.density.buffer))
            w.add(p + "active_count", shape: [f], int64s: Array(t.activeCount.buffer))
            w.add(p + "dead", shape: [f], uint8s: Array(t.dead.buffer))
            w.add(p + "hint", shape: [f], uint8s: Array(t.hint.buffer))
            w.add(p + "preview_tokens", shape: [f, t.previewWidth], int32s: Array(t.previewIDs.buffer))
            addLists("n\(i)", neighbours[i])
        }
        let pairs = matches.keys.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        for p in pairs { addLists("m\(p.from)_\(p.to)", matches[p] ?? MatchListTable([])) }
        let meta = Meta(
            version: Self.version, key: cacheFingerprint, pairs: pairs.map { [$0.from, $0.to] }, unavailable: unavailable,
            tokenCount: tables.first?.tokenCount ?? 0, matching: matching)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]  // the same analysis is the same bytes in every run
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        w.metadata["saex_analysis"] = String(decoding: try enc.encode(meta), as: UTF8.self)
        try w.write(to: path)
    }

    /// Reads `path` if it holds the analysis of `cache` at this version; nil when absent or stale.
    /// A present but damaged file is an error naming it.
    public static func read(path: String, for cache: ContextCache) throws -> CacheAnalysis? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try SafetensorsFile(path: path)
        guard let text = file.metadata["saex_analysis"] else {
            throw SAEKitError(.badInput, path: path, reason: "is not a saex analysis file", remedy: "delete it; saex recomputes it")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        struct Stamp: Decodable {
            var version: Int
            var key: String
        }
        // An analysis of another version or another cache is stale, whatever else its metadata holds.
        guard let stamp = try? dec.decode(Stamp.self, from: Data(text.utf8)) else {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_analysis", reason: "is malformed",
                remedy: "delete it; saex recomputes it")
        }
        // Version 3 differs only by the missing matching record: its lists are exact and the same.
        guard readableVersions.contains(stamp.version), stamp.key == "v\(stamp.version)-\(cache.manifest.fingerprint)" else { return nil }
        guard let meta = try? dec.decode(Meta.self, from: Data(text.utf8)) else {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_analysis", reason: "is malformed",
                remedy: "delete it; saex recomputes it")
        }
        let reader = CacheTensorReader(file: file, path: path)
        let k = matchLimit
        /// Match lists of `count` features naming features of a dictionary with `targetCount` features,
        /// left in the mapped file.
        func lists(_ prefix: String, count: Int, targetCount: Int) throws -> MatchListTable {
            func columns(_ kind: String) throws -> MatchListTable.Columns {
                let name = "\(prefix).by_\(kind).features"
                let feats = try reader.buffer(name, Int32.self, shape: [count, k])
                // -1 pads a short list; anything else must name a feature the explorer can open.
                if let bad = feats.firstIndex(where: { $0 < -1 || Int($0) >= targetCount }) {
                    throw SAEKitError(
                        .badInput, path: path, subject: "tensor \"\(name)\"",
                        reason: "entry \(bad) is feature \(feats[bad]), outside the \(targetCount) features",
                        remedy: "delete it; saex recomputes it")
                }
                return MatchListTable.Columns(
                    features: feats, cosine: try reader.buffer("\(prefix).by_\(kind).cosine", Float.self, shape: [count, k]),
                    correlation: try reader.buffer("\(prefix).by_\(kind).correlation", Float.self, shape: [count, k]),
                    mutual: try reader.buffer("\(prefix).by_\(kind).mutual", UInt8.self, shape: [count, k]))
            }
            return MatchListTable(
                mapped: .init(count: count, k: k, byCosine: try columns("cos"), byCorrelation: try columns("corr"), owner: file))
        }
        var tables: [FeatureTable] = []
        var neighbours: [MatchListTable] = []
        let descriptors = cache.descriptors
        for (i, d) in cache.dictionaries.enumerated() {
            let f = d.featureCount
            let p = "a\(i)."
            func borrow<T>(_ name: String, _ type: T.Type, shape: [Int]) throws -> TableColumn<T> {
                TableColumn(borrowing: try reader.buffer(p + name, type, shape: shape), owner: file)
            }
            var floats = FeatureTable.Floats(
                alpha: TableColumn([]), elasticity: TableColumn([]), normPearson: TableColumn([]), normSpearman: TableColumn([]),
                normPearsonActive: TableColumn([]), normSpearmanActive: TableColumn([]), topNormMass: TableColumn([]),
                normAUC: TableColumn([]),
                maxActivation: TableColumn([]), meanActivation: TableColumn([]), decoderNorm: TableColumn([]), encoderNorm: TableColumn([]),
                encoderDecoderCosine: TableColumn([]), singleTokenConcentration: TableColumn([]), specialTokenConcentration: TableColumn([])
            )
            for (name, column) in floatColumns { floats[keyPath: column] = try borrow(name, Float.self, shape: [f]) }
            let density = try borrow("density", Double.self, shape: [f])
            // A fraction of tokens; the explorer sorts, filters and takes log10 of it.
            if let bad = density.buffer.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)density\"",
                    reason: "feature \(bad) has density \(density[bad]), outside [0, 1]",
                    remedy: "delete it; saex recomputes it")
            }
            let active = try borrow("active_count", Int64.self, shape: [f])
            if let bad = active.buffer.firstIndex(where: { $0 < -1 }) {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)active_count\"",
                    reason: "feature \(bad) has \(active[bad]) active tokens",
                    remedy: "delete it; saex recomputes it")
            }
            let previews = try reader.require(p + "preview_tokens", dtype: .i32, shape: nil, rank: 2)
            let width = previews.shape[1]
            guard previews.shape[0] == f, width <= 64 else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)preview_tokens\"",
                    reason: "has shape \(previews.shape), expected [\(f), k]",
                    remedy: "delete it; saex recomputes it")
            }
            let previewIDs = try borrow("preview_tokens", Int32.self, shape: [f, width])
            // -1 pads; anything else must be a token of the cache's vocabulary.
            if let bad = previewIDs.buffer.firstIndex(where: { $0 < -1 || Int($0) >= cache.vocabularySize }) {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)preview_tokens\"",
                    reason: "entry \(bad) is token \(previewIDs[bad]), outside the \(cache.vocabularySize)-token vocabulary",
                    remedy: "delete it; saex recomputes it")
            }
            tables.append(
                FeatureTable(
                    descriptor: descriptors[i], tokenCount: meta.tokenCount, floats: floats, density: density, activeCount: active,
                    dead: try borrow("dead", UInt8.self, shape: [f]), hint: try borrow("hint", UInt8.self, shape: [f]),
                    previewIDs: previewIDs, previewWidth: width, vocabulary: cache))
            neighbours.append(try lists("n\(i)", count: f, targetCount: f))
        }
        var matches: [Pair: MatchListTable] = [:]
        let dictIndices = cache.dictionaries.indices
        for pr in meta.pairs where pr.count == 2 && dictIndices.contains(pr[0]) && dictIndices.contains(pr[1]) {
            matches[Pair(pr[0], pr[1])] = try lists(
                "m\(pr[0])_\(pr[1])", count: cache.dictionaries[pr[0]].featureCount,
                targetCount: cache.dictionaries[pr[1]].featureCount)
        }
        return CacheAnalysis(
            cacheFingerprint: meta.key, tables: tables, neighbours: neighbours, matches: matches, unavailable: meta.unavailable ?? [],
            matching: meta.matching ?? .exact)
    }

    /// The stored analysis of `cache` if fresh (and exact when `options` ask for exact matching),
    /// else a new one (stored when `store` is true and the folder is writable; a read-only folder
    /// is not an error). `announce` receives the plan's one-line time estimate before a
    /// computation starts.
    public static func load(
        cache: ContextCache, store: Bool = true, options: AnalysisOptions = AnalysisOptions(),
        announce: (String) -> Void = { _ in },
        progress: CacheBuilder.ProgressHandler = { _, _, _ in }
    ) throws -> CacheAnalysis {
        let path = AnalysisStore.path(for: cache.path)
        if let a = try read(path: path, for: cache), options.matching != .exact || a.matching.method == .exact { return a }
        let plan = AnalysisPlan(cache: cache, options: options)
        announce(plan.summary)
        let a = try compute(cache, plan: plan, progress: progress)
        if store { try? a.write(to: path) }
        return a
    }
}
