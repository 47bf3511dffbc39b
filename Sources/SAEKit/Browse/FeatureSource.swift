/// What a browser can ask of a cache: the one protocol the explorer depends on.
///
/// Implementations must be cheap for `stats` (called for every visible list row on every frame)
/// and may be slower for `contexts`, `matches` and `sample` (called for one feature at a time).
public protocol FeatureSource: AnyObject, Sendable {
    var dictionaries: [DictionaryDescriptor] { get }
    /// Statistics of `feature` in dictionary number `dict`.
    func stats(dict: Int, feature: Int) -> FeatureStats
    func contexts(dict: Int, feature: Int) throws -> FeatureContexts
    /// Up to `limit` closest features of dictionary `other`, best first (by decoder cosine).
    func matches(dict: Int, feature: Int, other: Int, limit: Int) throws -> [FeatureMatch]
    /// Up to `limit` nearest features of the same dictionary by decoder cosine.
    func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch]
    func sample(dict: Int, feature: Int) throws -> ActivationSample
    /// Every feature of dictionary `dict` as a table (sorts, filters, searches, summaries). Sources
    /// that have one stored return it; the default reads `stats` of every feature.
    func table(dict: Int) -> FeatureTable
}

extension FeatureSource {
    public func table(dict: Int) -> FeatureTable {
        let d = dictionaries[dict]
        return FeatureTable(descriptor: d, tokenCount: nil, stats: (0..<d.featureCount).map { stats(dict: dict, feature: $0) })
    }
}
