import Foundation

/// Everything computed from a cache for browsing and reporting: per-feature statistics,
/// neighbours, cross-dictionary matches, summaries and comparisons (docs/ANALYSIS.md).
///
/// Stored beside the cache (`CACHE.analysis`, a safetensors file) keyed by the cache's fingerprint
/// and the analysis version, and recomputed when either changes (version 3 files are still read).
public final class CacheAnalysis: @unchecked Sendable {
    public static let version = 4
    /// Versions `read` accepts: 4 adds the matching record to 3.
    static let readableVersions: ClosedRange<Int> = 3...4
    /// How many matches and neighbours are kept per feature.
    public static let matchLimit = 5
    /// Peak tokens kept per feature for list previews (the first of its top contexts).
    public static let previewWidth = 4

    public let cacheFingerprint: String
    /// Per dictionary, every feature's statistics and preview tokens.
    public let tables: [FeatureTable]
    public let neighbours: [MatchListTable]
    /// For dictionaries (i, j), i != j: each feature of i's matches in j.
    public let matches: [Pair: MatchListTable]
    /// Why some dictionaries have no neighbours or matches (their weights could not be loaded).
    public let unavailable: [String]
    /// How the decoders were matched (exact, or approximate with its parameters).
    public let matching: MatchingRecord

    public typealias Pair = DictionaryPair

    init(
        cacheFingerprint: String, tables: [FeatureTable], neighbours: [MatchListTable], matches: [Pair: MatchListTable],
        unavailable: [String], matching: MatchingRecord
    ) {
        self.matching = matching
        self.cacheFingerprint = cacheFingerprint
        self.tables = tables
        self.neighbours = neighbours
        self.matches = matches
        self.unavailable = unavailable
    }

    /// One row of dictionary `dict`'s table.
    public func stats(dict: Int, feature: Int) -> FeatureStats { tables[dict].stats(feature) }

    /// Fingerprint the stored analysis must carry to be reused.
    public static func key(for cache: ContextCache) -> String { "v\(version)-\(cache.manifest.fingerprint)" }

    /// Computes the analysis of `cache`. Neighbours and matches need the decoders: `decoders[i]`
    /// when given, else dictionary i is loaded from its path in the manifest (and must still have
    /// the fingerprint the cache recorded); where neither works, `unavailable` says why and that
    /// dictionary gets no neighbours or matches.
    /// `plan` says how decoders are matched (nil: `AnalysisPlan(cache:)`, automatic).
    public static func compute(
        _ cache: ContextCache, decoders given: [DecoderRows?]? = nil, plan given_plan: AnalysisPlan? = nil,
        progress: CacheBuilder.ProgressHandler = { _, _, _ in },
        profile: AnalysisProfile? = nil
    ) throws -> CacheAnalysis {
        let plan = given_plan ?? AnalysisPlan(cache: cache)
        let rows = cache.manifest.sample.rows
        // Statistics run over real tokens only: remap row indices past the padding.
        var realIndex = [Int32](repeating: -1, count: rows)
        var realNorms: [Float] = []
        for r in 0..<rows where cache.tokens[r] >= 0 {
            realIndex[r] = Int32(realNorms.count)
            realNorms.append(cache.norms[r])
        }
        let normContext = realNorms.isEmpty ? nil : NormContext(norms: realNorms)
        let special = SpecialTokenMask(mask: (0..<cache.vocabularySize).map { cache.isSpecial(Int32($0)) })
        let k = cache.manifest.options.topK
        let L = cache.manifest.sample.sequenceLength
        var tables: [FeatureTable] = []
        var compact: [SparseColumns] = []
        var decoders: [DecoderRows?] = []
        var unavailable: [String] = []
        let steps = cache.dictionaries.count * 2 + cache.dictionaries.count * (cache.dictionaries.count - 1) / 2
        var step = 0
        for (di, d) in cache.dictionaries.enumerated() {
            progress("analyse", step, steps)
            let statsStart = DispatchTime.now().uptimeNanoseconds
            let cols = remap(d.columns, realIndex: realIndex, realCount: realNorms.count)
            compact.append(cols)
            let f = d.featureCount
            let weights = WeightStatistics(
                decoderNorms: Array(d.decoderNorms), encoderNorms: Array(d.encoderNorms),
                encoderDecoderCosines: d.encoderDecoderCosine.map { $0.isFinite ? Optional($0) : nil })
            let elasticity = (0..<f).map { d.elasticity($0) ?? .nan }
            let alphas: [Float]? = d.descriptor.score == Score.Kind.unknown.rawValue ? nil : Array(d.alpha)
            var peaks: [TopContextPeaks] = []
            peaks.reserveCapacity(f)
            var previews = [Int32](repeating: -1, count: f * previewWidth)
            for feat in 0..<f {
                let top = FeatureExamples.topRows(feature: feat, columns: d.columns, k: k)
                peaks.append(TopContextPeaks(tokenIDs: top.map { Int(cache.tokens[$0]) }, positions: top.map { $0 % L }))
                for (j, row) in top.prefix(previewWidth).enumerated() { previews[feat * previewWidth + j] = cache.tokens[row] }
            }
            let stats = FeatureStatsBuilder.build(
                columns: cols, norms: normContext, weights: weights, alphas: alphas,
                elasticity: elasticity, peaks: peaks, special: special)
            tables.append(
                FeatureTable(
                    descriptor: cache.descriptors[di], tokenCount: realNorms.count, stats: stats, previewIDs: previews,
                    previewWidth: previewWidth, vocabulary: cache))
            profile?.add("statistics", Double(DispatchTime.now().uptimeNanoseconds - statsStart) / 1e9)
            step += 1
            let loadStart = DispatchTime.now().uptimeNanoseconds
            defer { profile?.add("loading decoders", Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9) }
            if let g = given?[di] {
                decoders.append(g)
            } else {
                do {
                    let dict = try cache.loadDictionary(di)
                    decoders.append(DecoderRows(storage: dict.wDec, rows: dict.dSAE, dim: dict.dIn))
                } catch {
                    decoders.append(nil)
                    unavailable.append("\(d.descriptor.name): \(error)")
                }
            }
            progress("analyse", step, steps)
        }
        // Approximate matching clusters every dictionary of one width together: one pass gives
        // all their neighbours and cross matches.
        var approximate: [Int: (result: ApproximateDecoderMatching.Result, local: [Int: Int])] = [:]
        var record = MatchingRecord.exact
        var recordRows = -1
        if plan.method == .approximate {
            for dim in Set(decoders.compactMap { $0?.dim }).sorted() {
                let members = decoders.indices.filter { decoders[$0]?.dim == dim }
                let rows = members.reduce(0) { $0 + (decoders[$1]?.rows ?? 0) }
                let parameters = ApproximateDecoderMatching.Parameters.standard(rows: rows)
                let r = ApproximateDecoderMatching.matchAll(
                    members.compactMap { decoders[$0] }, k: matchLimit, parameters: parameters,
                    profile: profile)
                approximate[dim] = (r, Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, $0) }))
                if rows > recordRows {
                    recordRows = rows
                    record = MatchingRecord(method: .approximate, clusters: parameters.clusters, probes: parameters.probes)
                }
            }
        }
        func approximateNeighbours(_ i: Int) -> DecoderMatches? {
            guard let dim = decoders[i]?.dim, let a = approximate[dim], let li = a.local[i] else { return nil }
            return a.result.neighbours(li)
        }
        func approximateCross(_ i: Int, _ j: Int) -> DecoderMatches? {
            guard let dim = decoders[i]?.dim, let a = approximate[dim], let li = a.local[i], let lj = a.local[j] else { return nil }
            return a.result.cross(li, lj)
        }
        var neighbours: [MatchListTable] = []
        for (di, dec) in decoders.enumerated() {
            guard let dec else {
                neighbours.append(
                    MatchListTable(
                        [FeatureMatchLists](
                            repeating: FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: []),
                            count: cache.dictionaries[di].featureCount)))
                continue
            }
            neighbours.append(
                MatchListTable(
                    try FeatureMatching.neighbours(
                        dec, activations: compact[di], limit: matchLimit, profile: profile,
                        decoderMatches: approximateNeighbours(di))))
            step += 1
            progress("analyse", step, steps)
        }
        var matches: [Pair: MatchListTable] = [:]
        for i in 0..<decoders.count {
            for j in (i + 1)..<max(i + 1, decoders.count) {
                guard let a = decoders[i], let b = decoders[j], a.dim == b.dim else { continue }
                let m = try FeatureMatching.crossMatches(
                    a: a, b: b, activationsA: compact[i], activationsB: compact[j], limit: matchLimit,
                    profile: profile, decoderMatches: approximateCross(i, j))
                matches[Pair(i, j)] = MatchListTable(m.aToB)
                matches[Pair(j, i)] = MatchListTable(m.bToA)
                step += 1
                progress("analyse", step, steps)
            }
        }
        return CacheAnalysis(
            cacheFingerprint: key(for: cache), tables: tables, neighbours: neighbours, matches: matches, unavailable: unavailable,
            matching: record)
    }

    /// Columns with row indices moved to the real-token numbering.
    static func remap(_ c: SparseColumns, realIndex: [Int32], realCount: Int) -> SparseColumns {
        var rows = [UInt32](repeating: 0, count: c.nonzeroCount)
        for k in 0..<c.nonzeroCount { rows[k] = UInt32(max(0, realIndex[Int(c.rows[k])])) }
        return SparseColumns(
            rowCount: realCount, featureCount: c.featureCount, colPtr: Array(c.colPtr), rows: rows, values: Array(c.values))
    }
}
