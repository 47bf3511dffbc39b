import Foundation

/// Everything computed from a cache for browsing and reporting: per-feature statistics,
/// neighbours, cross-dictionary matches, summaries and comparisons (docs/ANALYSIS.md).
///
/// Stored beside the cache (`CACHE.analysis`, a safetensors file) keyed by the cache's fingerprint
/// and the analysis version, and recomputed when either changes.
public final class CacheAnalysis: @unchecked Sendable {
    public static let version = 1
    /// How many matches and neighbours are kept per feature.
    public static let matchLimit = 5

    public let cacheFingerprint: String
    /// [dictionary][feature]; `topTokens` empty (the source fills previews from the cache).
    public let stats: [[FeatureStats]]
    public let neighbours: [[FeatureMatchLists]]
    /// For dictionaries (i, j), i != j: each feature of i's matches in j.
    public let matches: [Pair: [FeatureMatchLists]]
    public let summaries: [DictionarySummary]
    public let comparisons: [DictionaryComparison]

    public struct Pair: Hashable, Sendable {
        public var from: Int
        public var to: Int
        public init(_ from: Int, _ to: Int) {
            self.from = from
            self.to = to
        }
    }

    init(cacheFingerprint: String, stats: [[FeatureStats]], neighbours: [[FeatureMatchLists]], matches: [Pair: [FeatureMatchLists]],
         summaries: [DictionarySummary], comparisons: [DictionaryComparison]) {
        self.cacheFingerprint = cacheFingerprint
        self.stats = stats
        self.neighbours = neighbours
        self.matches = matches
        self.summaries = summaries
        self.comparisons = comparisons
    }

    /// Fingerprint the stored analysis must carry to be reused.
    public static func key(for cache: ContextCache) -> String { "v\(version)-\(cache.manifest.fingerprint)" }

    /// Computes the analysis of `cache`.
    public static func compute(_ cache: ContextCache, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws -> CacheAnalysis {
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
        var allStats: [[FeatureStats]] = []
        var compact: [SparseColumns] = []
        var decoders: [DecoderRows] = []
        let steps = cache.dictionaries.count * 2 + cache.dictionaries.count * (cache.dictionaries.count - 1) / 2
        var step = 0
        for (di, d) in cache.dictionaries.enumerated() {
            progress("analyse", step, steps)
            let cols = remap(d.columns, realIndex: realIndex, realCount: realNorms.count)
            compact.append(cols)
            let f = d.featureCount
            let weights = WeightStatistics(decoderNorms: Array(d.decoderNorms), encoderNorms: Array(d.encoderNorms),
                                           encoderDecoderCosines: d.encoderDecoderCosine.map { $0.isFinite ? Optional($0) : nil })
            let elasticity = (0..<f).map { d.elasticity($0) ?? .nan }
            let alphas: [Float]? = d.descriptor.score == ScoreKind.unknown.rawValue ? nil : Array(d.alpha)
            var peaks: [TopContextPeaks] = []
            peaks.reserveCapacity(f)
            for feat in 0..<f {
                var ids: [Int] = [], pos: [Int] = []
                for j in 0..<k {
                    let r = Int(d.topRows[feat * k + j])
                    if r < 0 { break }
                    ids.append(Int(cache.tokens[r]))
                    pos.append(r % L)
                }
                peaks.append(TopContextPeaks(tokenIDs: ids, positions: pos))
            }
            allStats.append(FeatureStatsBuilder.build(columns: cols, norms: normContext, weights: weights, alphas: alphas,
                                                      elasticity: elasticity, peaks: peaks, special: special))
            step += 1
            decoders.append(DecoderRows(storage: try d.decoder.float32Storage(), rows: f, dim: d.descriptor.dIn))
            progress("analyse", step, steps)
        }
        var neighbours: [[FeatureMatchLists]] = []
        for (di, dec) in decoders.enumerated() {
            neighbours.append(try FeatureMatching.neighbours(dec, activations: compact[di], limit: matchLimit))
            step += 1
            progress("analyse", step, steps)
        }
        var matches: [Pair: [FeatureMatchLists]] = [:]
        var crosses: [Pair: CrossDictionaryMatches] = [:]
        for i in 0..<decoders.count {
            for j in (i + 1)..<max(i + 1, decoders.count) where decoders[i].dim == decoders[j].dim {
                let m = try FeatureMatching.crossMatches(a: decoders[i], b: decoders[j], activationsA: compact[i], activationsB: compact[j], limit: matchLimit)
                matches[Pair(i, j)] = m.aToB
                matches[Pair(j, i)] = m.bToA
                crosses[Pair(i, j)] = m
                step += 1
                progress("analyse", step, steps)
            }
        }
        let summaries = cache.dictionaries.enumerated().map { i, d in
            DictionarySummary(name: d.descriptor.name, score: ScoreKind(rawValue: d.descriptor.score) ?? .unknown, tokenCount: realNorms.count, stats: allStats[i])
        }
        var comparisons: [DictionaryComparison] = []
        for (p, m) in crosses.sorted(by: { ($0.key.from, $0.key.to) < ($1.key.from, $1.key.to) }) {
            comparisons.append(DictionaryComparison(a: summaries[p.from], b: summaries[p.to], matches: m))
        }
        return CacheAnalysis(cacheFingerprint: key(for: cache), stats: allStats, neighbours: neighbours, matches: matches,
                             summaries: summaries, comparisons: comparisons)
    }

    /// Columns with row indices moved to the real-token numbering.
    static func remap(_ c: SparseColumns, realIndex: [Int32], realCount: Int) -> SparseColumns {
        var rows = [UInt32](repeating: 0, count: c.nonzeroCount)
        for k in 0..<c.nonzeroCount { rows[k] = UInt32(max(0, realIndex[Int(c.rows[k])])) }
        return SparseColumns(rowCount: realCount, featureCount: c.featureCount, colPtr: Array(c.colPtr), rows: rows, values: Array(c.values))
    }
}
