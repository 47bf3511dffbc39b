import Foundation

/// The explorer's view of a native cache: contexts from the cache, statistics and matches from
/// its analysis.
public final class CacheFeatureSource: FeatureSource, @unchecked Sendable {
    public let cache: ContextCache
    public let analysis: CacheAnalysis
    public let dictionaries: [DictionaryDescriptor]
    /// Peak tokens shown in list previews.
    public static let previewCount = 4
    /// Previews already derived, by dictionary and feature: `stats` runs for every visible row on
    /// every frame, and deriving walks the feature's whole column.
    private var previews: [Int: [String]] = [:]
    private let previewLock = NSLock()

    public init(cache: ContextCache, analysis: CacheAnalysis) {
        self.cache = cache
        self.analysis = analysis
        dictionaries = cache.manifest.dictionaries.map {
            DictionaryDescriptor(name: $0.name, score: Score.Kind(rawValue: $0.score) ?? .unknown, architecture: $0.architecture, dIn: $0.dIn,
                                 featureCount: $0.dSAE, fingerprint: $0.fingerprint, path: $0.path, hasNorms: true)
        }
    }

    /// Opens a cache and its analysis (computing and storing the analysis when missing or stale).
    public convenience init(path: String, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws {
        let cache = try ContextCache(path: path)
        self.init(cache: cache, analysis: try CacheAnalysis.load(cache: cache, progress: progress))
    }

    public func stats(dict: Int, feature: Int) -> FeatureStats {
        var s = analysis.stats[dict][feature]
        let key = dict &* 1 << 32 &+ feature
        if let known = previewLock.withLock({ previews[key] }) {
            s.topTokens = known
            return s
        }
        let rows = FeatureExamples.topRows(feature: feature, columns: cache.dictionaries[dict].columns, k: Self.previewCount)
        let tokens = rows.map { cache.tokenText(cache.tokens[$0]) }
        previewLock.withLock { previews[key] = tokens }
        s.topTokens = tokens
        return s
    }

    public func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        cache.contexts(dict: dict, feature: feature)
    }

    public func matches(dict: Int, feature: Int, other: Int, limit: Int) throws -> [FeatureMatch] {
        guard let lists = analysis.matches[CacheAnalysis.Pair(dict, other)] else { return [] }
        return Array(lists[feature].byDecoderCosine.prefix(limit))
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
