/// Per-feature statistics; docs/ANALYSIS.md defines each.
///
/// These are plain value types, filled by a context cache (`ContextCache`) or an importer, and by
/// tests with hand-made data. A nil statistic means "unavailable" (for example norm statistics of
/// an imported Neuronpedia cache, which carries no input norms) and must be shown as such, never
/// as zero.
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
    /// Tokens where the feature is active; nil when unknown (imports give only a density).
    public var activeCount: Int?

    public init(
        feature: Int, alpha: Float? = nil, elasticity: Float? = nil, normPearson: Float? = nil, normSpearman: Float? = nil,
        normPearsonActive: Float? = nil, normSpearmanActive: Float? = nil, topNormMass: Float? = nil, density: Double = 0,
        maxActivation: Float = 0, meanActivation: Float = 0, dead: Bool = true, decoderNorm: Float? = nil, encoderNorm: Float? = nil,
        encoderDecoderCosine: Float? = nil, singleTokenConcentration: Float? = nil, specialTokenConcentration: Float? = nil,
        normDetectorHint: Bool = false, topTokens: [String] = [], normAUC: Float? = nil, activeCount: Int? = nil
    ) {
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
        self.activeCount = activeCount
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
