/// One dictionary as a browser sees it.
public struct DictionaryDescriptor: Sendable, Equatable {
    /// The name given with `--dict NAME=PATH` (e.g. "standard", "cosine").
    public var name: String
    public var score: Score.Kind
    /// "jumprelu", "topk", "cosine", ... as recognised from the files.
    public var architecture: String
    public var dIn: Int
    public var featureCount: Int
    /// Hex fingerprint of the weights; labels are keyed to it.
    public var fingerprint: String
    /// Where the dictionary was loaded from.
    public var path: String
    /// Whether per-token input norms exist (false for imported caches).
    public var hasNorms: Bool
    /// The reconstruction's fraction of variance unexplained on the source's tokens, where the
    /// source records it (caches built from activations); nil otherwise.
    public var fvu: Double?

    public init(
        name: String, score: Score.Kind, architecture: String, dIn: Int, featureCount: Int, fingerprint: String, path: String,
        hasNorms: Bool, fvu: Double? = nil
    ) {
        self.name = name
        self.score = score
        self.architecture = architecture
        self.dIn = dIn
        self.featureCount = featureCount
        self.fingerprint = fingerprint
        self.path = path
        self.hasNorms = hasNorms
        self.fvu = fvu
    }
}
