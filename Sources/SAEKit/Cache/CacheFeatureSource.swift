import Foundation

/// The explorer's view of a native cache: contexts from the cache, statistics, previews and
/// matches from its analysis.
public final class CacheFeatureSource: FeatureSource, @unchecked Sendable {
    public let cache: ContextCache
    public let analysis: CacheAnalysis
    public let dictionaries: [DictionaryDescriptor]

    public init(cache: ContextCache, analysis: CacheAnalysis) {
        self.cache = cache
        self.analysis = analysis
        dictionaries = cache.descriptors
    }

    /// Opens a cache and its analysis (computing and storing the analysis when missing or stale).
    /// `options` and `announce` as for `CacheAnalysis.load`.
    public convenience init(
        path: String, options: AnalysisOptions = AnalysisOptions(), announce: (String) -> Void = { _ in },
        progress: CacheBuilder.ProgressHandler = { _, _, _ in }
    ) throws {
        let cache = try ContextCache(path: path)
        self.init(cache: cache, analysis: try CacheAnalysis.load(cache: cache, options: options, announce: announce, progress: progress))
    }

    public func stats(dict: Int, feature: Int) -> FeatureStats { analysis.stats(dict: dict, feature: feature) }

    public func table(dict: Int) -> FeatureTable { analysis.tables[dict] }

    public func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        cache.contexts(dict: dict, feature: feature)
    }

    public func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        analysis.matches[CacheAnalysis.Pair(dict, other)]?[feature] ?? FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: [])
    }

    /// Builds every feature's lists from the mapped analysis (a pass over the pair's columns).
    public func allMatchLists(dict: Int, other: Int) -> [FeatureMatchLists]? {
        analysis.matches[CacheAnalysis.Pair(dict, other)].map(Array.init)
    }

    public func contexts(dict: Int, feature: Int, at others: [TokenContext]) throws -> [TokenContext] {
        let length = cache.manifest.sample.sequenceLength
        return others.map { cache.context(dict: dict, feature: feature, row: $0.sequence * length + $0.position) }
    }

    public func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] {
        Array(analysis.neighbours[dict][feature].byDecoderCosine.prefix(limit))
    }

    public func sample(dict: Int, feature: Int) throws -> ActivationSample {
        let cols = cache.dictionaries[dict].columns
        let r = cols.range(feature)
        // At most 20,000 points: a deterministic stride keeps the shape of the distribution.
        let stride = max(1, r.count / 20_000)
        var values: [Float] = [], norms: [Float] = []
        var k = r.lowerBound
        while k < r.upperBound {
            values.append(cols.values[k])
            norms.append(cache.norms[Int(cols.rows[k])])
            k += stride
        }
        return ActivationSample(values: values, norms: norms)
    }
}
