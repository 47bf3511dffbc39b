/// What a browser can ask of a cache: the one protocol the explorer depends on.
///
/// `stats` and `table` must be cheap; `contexts`, `matchLists` and `sample` may be slower (they are
/// called for one feature at a time, on a worker).
public protocol FeatureSource: AnyObject, Sendable {
    var dictionaries: [DictionaryDescriptor] { get }
    /// Statistics of `feature` in dictionary number `dict`.
    func stats(dict: Int, feature: Int) -> FeatureStats
    func contexts(dict: Int, feature: Int) throws -> FeatureContexts
    /// The closest features of dictionary `other` to `feature` of `dict`, by decoder cosine and by
    /// activation correlation (each match carries both scores).
    func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists
    /// Every feature of `dict`'s match lists in `other` (what a pairs view needs), or nil when the
    /// source has none.
    func allMatchLists(dict: Int, other: Int) -> [FeatureMatchLists]?
    /// Up to `limit` nearest features of the same dictionary by decoder cosine.
    func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch]
    func sample(dict: Int, feature: Int) throws -> ActivationSample
    /// `feature`'s activations over the tokens of the given contexts (each whole sequence, peak at
    /// the context's position): another feature's evidence on the same tokens. Only a source that
    /// holds every feature's activations over one token sample (a cache) can answer.
    func contexts(dict: Int, feature: Int, at others: [TokenContext]) throws -> [TokenContext]
    /// Every feature of dictionary `dict` as a table (sorts, filters, searches, summaries). Sources
    /// that have one stored return it; the default reads `stats` of every feature.
    func table(dict: Int) -> FeatureTable
}

extension FeatureSource {
    public func table(dict: Int) -> FeatureTable {
        let d = dictionaries[dict]
        return FeatureTable(descriptor: d, tokenCount: nil, stats: (0..<d.featureCount).map { stats(dict: dict, feature: $0) })
    }

    public func allMatchLists(dict: Int, other: Int) -> [FeatureMatchLists]? { nil }

    public func contexts(dict: Int, feature: Int, at others: [TokenContext]) throws -> [TokenContext] {
        throw SAEKitError(
            .unsupported, path: dictionaries[dict].path, reason: "holds only each feature's own examples",
            remedy: "build a cache with saex cache build to see features side by side on the same tokens")
    }
}
