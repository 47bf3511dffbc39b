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

/// Examples whose activation falls in one equal-width bin of (lower, upper] (a cache bins from the
/// feature's smallest positive activation, its first bin closed there; importers as their source does).
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
    /// The tokens whose logits the feature raises and lowers most, when the source has them (a cache
    /// built with --unembed, an imported dashboard with pos_str/neg_str); nil otherwise.
    public var logits: LogitEffects?

    public init(top: [TokenContext], intervals: [IntervalGroup], random: [TokenContext], logits: LogitEffects? = nil) {
        self.top = top
        self.intervals = intervals
        self.random = random
        self.logits = logits
    }

    public static let empty = FeatureContexts(top: [], intervals: [], random: [])
}
