import Foundation

/// Everything computed from a cache for browsing and reporting: per-feature statistics,
/// neighbours, cross-dictionary matches, summaries and comparisons (docs/ANALYSIS.md).
///
/// Stored beside the cache (`CACHE.analysis`, a safetensors file) keyed by the cache's fingerprint
/// and the analysis version, and recomputed when either changes.
public final class CacheAnalysis: @unchecked Sendable {
    public static let version = 3
    /// How many matches and neighbours are kept per feature.
    public static let matchLimit = 5
    /// Peak tokens kept per feature for list previews (the first of its top contexts).
    public static let previewWidth = 4

    public let cacheFingerprint: String
    /// Per dictionary, every feature's statistics and preview tokens.
    public let tables: [FeatureTable]
    public let neighbours: [[FeatureMatchLists]]
    /// For dictionaries (i, j), i != j: each feature of i's matches in j.
    public let matches: [Pair: [FeatureMatchLists]]
    /// Why some dictionaries have no neighbours or matches (their weights could not be loaded).
    public let unavailable: [String]

    public typealias Pair = DictionaryPair

    init(cacheFingerprint: String, tables: [FeatureTable], neighbours: [[FeatureMatchLists]], matches: [Pair: [FeatureMatchLists]],
         unavailable: [String]) {
        self.cacheFingerprint = cacheFingerprint
        self.tables = tables
        self.neighbours = neighbours
        self.matches = matches
        self.unavailable = unavailable
    }

    /// One row of dictionary `dict`'s table.
    public func stats(dict: Int, feature: Int) -> FeatureStats { tables[dict].stats(feature) }

    /// Per-dictionary summaries (what `saex summary` prints), from the tables.
    public var summaries: [DictionarySummary] { tables.map { DictionarySummary(table: $0) } }

    /// The comparison of every pair of dictionaries that were matched, in pair order.
    public var comparisons: [DictionaryComparison] { report(labels: nil).comparisons }

    /// Summaries and comparisons, with `labels[i]` the labels of dictionary i (nil: none given).
    public func report(labels: [[FeatureLabel]]?, isBlind: (FeatureLabel) -> Bool = LabelTally.isBlindLabel) -> ComparisonReport {
        ComparisonReport(tables: tables, matches: matches, labels: labels, isBlind: isBlind)
    }

    /// Fingerprint the stored analysis must carry to be reused.
    public static func key(for cache: ContextCache) -> String { "v\(version)-\(cache.manifest.fingerprint)" }

    /// Computes the analysis of `cache`. Neighbours and matches need the decoders: `decoders[i]`
    /// when given, else dictionary i is loaded from its path in the manifest (and must still have
    /// the fingerprint the cache recorded); where neither works, `unavailable` says why and that
    /// dictionary gets no neighbours or matches.
    public static func compute(_ cache: ContextCache, decoders given: [DecoderRows?]? = nil,
                               progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws -> CacheAnalysis {
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
            let cols = remap(d.columns, realIndex: realIndex, realCount: realNorms.count)
            compact.append(cols)
            let f = d.featureCount
            let weights = WeightStatistics(decoderNorms: Array(d.decoderNorms), encoderNorms: Array(d.encoderNorms),
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
            let stats = FeatureStatsBuilder.build(columns: cols, norms: normContext, weights: weights, alphas: alphas,
                                                  elasticity: elasticity, peaks: peaks, special: special)
            tables.append(FeatureTable(descriptor: cache.descriptors[di], tokenCount: realNorms.count, stats: stats, previewIDs: previews,
                                       previewWidth: previewWidth, vocabulary: cache))
            step += 1
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
        var neighbours: [[FeatureMatchLists]] = []
        for (di, dec) in decoders.enumerated() {
            guard let dec else {
                neighbours.append([FeatureMatchLists](repeating: FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: []), count: cache.dictionaries[di].featureCount))
                continue
            }
            neighbours.append(try FeatureMatching.neighbours(dec, activations: compact[di], limit: matchLimit))
            step += 1
            progress("analyse", step, steps)
        }
        var matches: [Pair: [FeatureMatchLists]] = [:]
        for i in 0..<decoders.count {
            for j in (i + 1)..<max(i + 1, decoders.count) {
                guard let a = decoders[i], let b = decoders[j], a.dim == b.dim else { continue }
                let m = try FeatureMatching.crossMatches(a: a, b: b, activationsA: compact[i], activationsB: compact[j], limit: matchLimit)
                matches[Pair(i, j)] = m.aToB
                matches[Pair(j, i)] = m.bToA
                step += 1
                progress("analyse", step, steps)
            }
        }
        return CacheAnalysis(cacheFingerprint: key(for: cache), tables: tables, neighbours: neighbours, matches: matches, unavailable: unavailable)
    }

    /// Columns with row indices moved to the real-token numbering.
    static func remap(_ c: SparseColumns, realIndex: [Int32], realCount: Int) -> SparseColumns {
        var rows = [UInt32](repeating: 0, count: c.nonzeroCount)
        for k in 0..<c.nonzeroCount { rows[k] = UInt32(max(0, realIndex[Int(c.rows[k])])) }
        return SparseColumns(rowCount: realCount, featureCount: c.featureCount, colPtr: Array(c.colPtr), rows: rows, values: Array(c.values))
    }
}
