/// The values a browser (the explorer, `saex contexts`, `saex analyze`) reads about features.
///
/// These are plain value types, filled by a context cache (`ContextCache`) or an importer, and by
/// tests with hand-made data. A nil statistic means "unavailable" (for example norm statistics of
/// an imported Neuronpedia cache, which carries no input norms) and must be shown as such, never
/// as zero.

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

    public init(name: String, score: Score.Kind, architecture: String, dIn: Int, featureCount: Int, fingerprint: String, path: String, hasNorms: Bool) {
        self.name = name
        self.score = score
        self.architecture = architecture
        self.dIn = dIn
        self.featureCount = featureCount
        self.fingerprint = fingerprint
        self.path = path
        self.hasNorms = hasNorms
    }
}

/// A window of tokens around one position of one sequence, with the feature's activation on each.
public struct TokenContext: Sendable, Equatable {
    /// Row of the activation file.
    public var sequence: Int
    /// Position (in the sequence) of the token this context is about (the peak, for top contexts).
    public var position: Int
    /// The feature's activation at `position`.
    public var value: Float
    /// Position in the sequence of `tokens[0]`.
    public var start: Int
    /// Token strings as decoded from the vocabulary (untrusted: sanitise before display).
    public var tokens: [String]
    /// The feature's activation on each token (same count as `tokens`).
    public var activations: [Float]

    public init(sequence: Int, position: Int, value: Float, start: Int, tokens: [String], activations: [Float]) {
        self.sequence = sequence
        self.position = position
        self.value = value
        self.start = start
        self.tokens = tokens
        self.activations = activations
    }

    /// Index of the peak token inside `tokens`.
    public var peakIndex: Int { position - start }
}

/// Examples whose activation falls in one equal-width bin of (0, max].
public struct IntervalGroup: Sendable, Equatable {
    public var lower: Float
    public var upper: Float
    /// Share of the feature's active tokens that fall in this bin (0...1).
    public var contains: Double
    public var examples: [TokenContext]

    public init(lower: Float, upper: Float, contains: Double, examples: [TokenContext]) {
        self.lower = lower
        self.upper = upper
        self.contains = contains
        self.examples = examples
    }
}

/// Everything a browser shows as text for one feature.
public struct FeatureContexts: Sendable, Equatable {
    /// Best first.
    public var top: [TokenContext]
    /// Lowest bin first.
    public var intervals: [IntervalGroup]
    /// Uniformly sampled active tokens.
    public var random: [TokenContext]

    public init(top: [TokenContext], intervals: [IntervalGroup], random: [TokenContext]) {
        self.top = top
        self.intervals = intervals
        self.random = random
    }

    public static let empty = FeatureContexts(top: [], intervals: [], random: [])
}

/// Per-feature statistics; docs/ANALYSIS.md defines each.
public struct FeatureStats: Sendable, Equatable {
    public var feature: Int
    /// Learned magnitude exponent: 1 for inner-product dictionaries, nil when unknown.
    public var alpha: Float?
    /// Mean d log(pre) / d log(s) over active tokens; nil when unknown.
    public var elasticity: Float?
    public var normPearson: Float?
    public var normSpearman: Float?
    public var normPearsonActive: Float?
    public var normSpearmanActive: Float?
    /// Share of activation mass on the top 1% highest-norm tokens.
    public var topNormMass: Float?
    /// Fraction of tokens where the feature is active.
    public var density: Double
    public var maxActivation: Float
    /// Mean over all tokens, zeros included.
    public var meanActivation: Float
    public var dead: Bool
    public var decoderNorm: Float?
    public var encoderNorm: Float?
    public var encoderDecoderCosine: Float?
    /// Share of top contexts whose peak is the most common peak token.
    public var singleTokenConcentration: Float?
    /// Share of top contexts whose peak is at position 0 or on a special token.
    public var specialTokenConcentration: Float?
    /// The documented norm-detector rule fired (a hint, never a label).
    public var normDetectorHint: Bool
    /// The peak tokens of the best few contexts, for list previews.
    public var topTokens: [String]
    /// P(an active token's norm exceeds an inactive token's), ties counting 1/2; nil when unknown.
    public var normAUC: Float?

    public init(feature: Int, alpha: Float? = nil, elasticity: Float? = nil, normPearson: Float? = nil, normSpearman: Float? = nil,
                normPearsonActive: Float? = nil, normSpearmanActive: Float? = nil, topNormMass: Float? = nil, density: Double = 0,
                maxActivation: Float = 0, meanActivation: Float = 0, dead: Bool = true, decoderNorm: Float? = nil, encoderNorm: Float? = nil,
                encoderDecoderCosine: Float? = nil, singleTokenConcentration: Float? = nil, specialTokenConcentration: Float? = nil,
                normDetectorHint: Bool = false, topTokens: [String] = [], normAUC: Float? = nil) {
        self.feature = feature
        self.alpha = alpha
        self.elasticity = elasticity
        self.normPearson = normPearson
        self.normSpearman = normSpearman
        self.normPearsonActive = normPearsonActive
        self.normSpearmanActive = normSpearmanActive
        self.topNormMass = topNormMass
        self.density = density
        self.maxActivation = maxActivation
        self.meanActivation = meanActivation
        self.dead = dead
        self.decoderNorm = decoderNorm
        self.encoderNorm = encoderNorm
        self.encoderDecoderCosine = encoderDecoderCosine
        self.singleTokenConcentration = singleTokenConcentration
        self.specialTokenConcentration = specialTokenConcentration
        self.normDetectorHint = normDetectorHint
        self.topTokens = topTokens
        self.normAUC = normAUC
    }
}

/// A feature of another dictionary close to a given one.
public struct FeatureMatch: Sendable, Equatable {
    public var feature: Int
    /// Cosine between the two decoder rows.
    public var decoderCosine: Float
    /// Pearson correlation of the two activations over the shared token sample; nil when unknown.
    public var activationCorrelation: Float?
    /// Each is the other's best match (by decoder cosine).
    public var mutual: Bool

    public init(feature: Int, decoderCosine: Float, activationCorrelation: Float?, mutual: Bool) {
        self.feature = feature
        self.decoderCosine = decoderCosine
        self.activationCorrelation = activationCorrelation
        self.mutual = mutual
    }
}

/// A feature's activations with the input norm of each active token, for histograms and scatters.
public struct ActivationSample: Sendable, Equatable {
    /// Nonzero activations (all of them, or a uniform sample when there are very many).
    public var values: [Float]
    /// ||x|| of the same tokens; nil when the cache has no norms.
    public var norms: [Float]?

    public init(values: [Float], norms: [Float]?) {
        self.values = values
        self.norms = norms
    }
}

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
}
