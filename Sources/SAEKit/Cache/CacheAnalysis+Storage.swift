import Foundation

/// Reading and writing `CACHE.analysis` (a safetensors file; tensor names in docs/FORMATS.md).
extension CacheAnalysis {
    private struct Meta: Codable {
        var version: Int
        var key: String
        var summaries: [DictionarySummary]
        var comparisons: [DictionaryComparison]
        var pairs: [[Int]]
        var unavailable: [String]?
    }

    private static func optional(_ v: Float?) -> Float { v ?? .nan }
    private static func value(_ v: Float) -> Float? { v.isNaN ? nil : v }

    /// Writes the analysis atomically to `path`.
    public func write(to path: String) throws {
        var w = SafetensorsWriter()
        let k = Self.matchLimit
        func addLists(_ prefix: String, _ lists: [FeatureMatchLists]) {
            for (kind, pick) in [("cos", { (l: FeatureMatchLists) in l.byDecoderCosine }), ("corr", { (l: FeatureMatchLists) in l.byActivationCorrelation })] {
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
        for (i, s) in stats.enumerated() {
            let f = s.count
            let p = "a\(i)."
            let floatFields: [(String, (FeatureStats) -> Float?)] = [
                ("alpha", \.alpha), ("elasticity", \.elasticity), ("norm_pearson", \.normPearson), ("norm_spearman", \.normSpearman),
                ("norm_pearson_active", \.normPearsonActive), ("norm_spearman_active", \.normSpearmanActive), ("top_norm_mass", \.topNormMass),
                ("norm_auc", \.normAUC), ("max_activation", { $0.maxActivation }), ("mean_activation", { $0.meanActivation }),
                ("decoder_norm", \.decoderNorm), ("encoder_norm", \.encoderNorm), ("enc_dec_cos", \.encoderDecoderCosine),
                ("single_token", \.singleTokenConcentration), ("special_token", \.specialTokenConcentration),
            ]
            for (name, get) in floatFields { w.add(p + name, shape: [f], floats: s.map { Self.optional(get($0)) }) }
            w.add(p + "density", shape: [f], doubles: s.map(\.density))
            w.add(p + "dead", shape: [f], uint8s: s.map { $0.dead ? 1 : 0 })
            w.add(p + "hint", shape: [f], uint8s: s.map { $0.normDetectorHint ? 1 : 0 })
            addLists("n\(i)", neighbours[i])
        }
        let pairs = matches.keys.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        for p in pairs { addLists("m\(p.from)_\(p.to)", matches[p] ?? []) }
        let meta = Meta(version: Self.version, key: cacheFingerprint, summaries: summaries, comparisons: comparisons, pairs: pairs.map { [$0.from, $0.to] }, unavailable: unavailable)
        let enc = JSONEncoder()
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
        guard let meta = try? dec.decode(Meta.self, from: Data(text.utf8)) else {
            throw SAEKitError(.badInput, path: path, subject: "__metadata__.saex_analysis", reason: "is malformed", remedy: "delete it; saex recomputes it")
        }
        guard meta.version == version, meta.key == key(for: cache) else { return nil }
        let reader = CacheTensorReader(file: file, path: path)
        let k = matchLimit
        /// Match lists of `count` features naming features of a dictionary with `targetCount` features.
        func lists(_ prefix: String, count: Int, targetCount: Int) throws -> [FeatureMatchLists] {
            var out = [FeatureMatchLists](repeating: FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: []), count: count)
            for kind in ["cos", "corr"] {
                let name = "\(prefix).by_\(kind).features"
                let feats = try reader.buffer(name, Int32.self, shape: [count, k])
                // -1 pads a short list; anything else must name a feature the explorer can open.
                if let bad = feats.firstIndex(where: { $0 < -1 || Int($0) >= targetCount }) {
                    throw SAEKitError(.badInput, path: path, subject: "tensor \"\(name)\"", reason: "entry \(bad) is feature \(feats[bad]), outside the \(targetCount) features",
                                      remedy: "delete it; saex recomputes it")
                }
                let cos = try reader.buffer("\(prefix).by_\(kind).cosine", Float.self, shape: [count, k])
                let corr = try reader.buffer("\(prefix).by_\(kind).correlation", Float.self, shape: [count, k])
                let mutual = try reader.buffer("\(prefix).by_\(kind).mutual", UInt8.self, shape: [count, k])
                for f in 0..<count {
                    var l: [FeatureMatch] = []
                    for j in 0..<k where feats[f * k + j] >= 0 {
                        l.append(FeatureMatch(feature: Int(feats[f * k + j]), decoderCosine: cos[f * k + j],
                                              activationCorrelation: value(corr[f * k + j]), mutual: mutual[f * k + j] != 0))
                    }
                    if kind == "cos" { out[f].byDecoderCosine = l } else { out[f].byActivationCorrelation = l }
                }
            }
            return out
        }
        var stats: [[FeatureStats]] = []
        var neighbours: [[FeatureMatchLists]] = []
        for (i, d) in cache.dictionaries.enumerated() {
            let f = d.featureCount
            let p = "a\(i)."
            func col(_ name: String) throws -> UnsafeBufferPointer<Float> { try reader.buffer(p + name, Float.self, shape: [f]) }
            let alpha = try col("alpha"), el = try col("elasticity"), np = try col("norm_pearson"), ns = try col("norm_spearman")
            let npa = try col("norm_pearson_active"), nsa = try col("norm_spearman_active"), tm = try col("top_norm_mass")
            let auc = try col("norm_auc"), mx = try col("max_activation"), mean = try col("mean_activation")
            let dn = try col("decoder_norm"), en = try col("encoder_norm"), edc = try col("enc_dec_cos")
            let st = try col("single_token"), sp = try col("special_token")
            let density = try reader.buffer(p + "density", Double.self, shape: [f])
            // A fraction of tokens; the explorer sorts, filters and takes log10 of it.
            if let bad = density.firstIndex(where: { $0 < 0 || $0 > 1 }) {
                throw SAEKitError(.badInput, path: path, subject: "tensor \"\(p)density\"", reason: "feature \(bad) has density \(density[bad]), outside [0, 1]",
                                  remedy: "delete it; saex recomputes it")
            }
            let dead = try reader.buffer(p + "dead", UInt8.self, shape: [f])
            let hint = try reader.buffer(p + "hint", UInt8.self, shape: [f])
            var records: [FeatureStats] = []
            records.reserveCapacity(f)
            for j in 0..<f {
                var r = FeatureStats(feature: j)
                r.alpha = value(alpha[j])
                r.elasticity = value(el[j])
                r.normPearson = value(np[j])
                r.normSpearman = value(ns[j])
                r.normPearsonActive = value(npa[j])
                r.normSpearmanActive = value(nsa[j])
                r.topNormMass = value(tm[j])
                r.normAUC = value(auc[j])
                r.density = density[j]
                r.maxActivation = mx[j]
                r.meanActivation = mean[j]
                r.dead = dead[j] != 0
                r.decoderNorm = value(dn[j])
                r.encoderNorm = value(en[j])
                r.encoderDecoderCosine = value(edc[j])
                r.singleTokenConcentration = value(st[j])
                r.specialTokenConcentration = value(sp[j])
                r.normDetectorHint = hint[j] != 0
                records.append(r)
            }
            stats.append(records)
            neighbours.append(try lists("n\(i)", count: f, targetCount: f))
        }
        var matches: [Pair: [FeatureMatchLists]] = [:]
        let dictIndices = cache.dictionaries.indices
        for pr in meta.pairs where pr.count == 2 && dictIndices.contains(pr[0]) && dictIndices.contains(pr[1]) {
            matches[Pair(pr[0], pr[1])] = try lists("m\(pr[0])_\(pr[1])", count: cache.dictionaries[pr[0]].featureCount,
                                                    targetCount: cache.dictionaries[pr[1]].featureCount)
        }
        return CacheAnalysis(cacheFingerprint: meta.key, stats: stats, neighbours: neighbours, matches: matches,
                             summaries: meta.summaries, comparisons: meta.comparisons, unavailable: meta.unavailable ?? [])
    }

    /// The stored analysis of `cache` if fresh, else a new one (stored when `store` is true and
    /// the folder is writable; a read-only folder is not an error).
    public static func load(cache: ContextCache, store: Bool = true, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws -> CacheAnalysis {
        let path = AnalysisStore.path(for: cache.path)
        if let a = try read(path: path, for: cache) { return a }
        let a = try compute(cache, progress: progress)
        if store { try? a.write(to: path) }
        return a
    }
}
