/// One token of a feature's logit effects: the token's display string and the effect on its logit.
public struct TokenLogit: Sendable, Equatable {
    /// Display string (untrusted: sanitise before drawing), decoded like context tokens.
    public var token: String
    /// The direct effect on the token's logit of one unit of the feature (docs/ANALYSIS.md).
    public var value: Float
    /// The token id, when the source knows it (a cache built with --unembed); nil for imports.
    public var id: Int?

    public init(token: String, value: Float, id: Int? = nil) {
        (self.token, self.value, self.id) = (token, value, id)
    }
}

/// The tokens whose logits a feature raises most and lowers most, what Neuronpedia and SAEDashboard
/// show first: W_dec[i] through the final norm's weight into the unembedding (a cache built with
/// `saex cache build --unembed`), or an imported dashboard's `pos_str`/`pos_values`/`neg_str`/`neg_values`.
public struct LogitEffects: Sendable, Equatable {
    /// Most positive first.
    public var positive: [TokenLogit]
    /// Most negative first.
    public var negative: [TokenLogit]

    public init(positive: [TokenLogit], negative: [TokenLogit]) {
        (self.positive, self.negative) = (positive, negative)
    }

    /// Neither list holds anything.
    public var isEmpty: Bool { positive.isEmpty && negative.isEmpty }
}
