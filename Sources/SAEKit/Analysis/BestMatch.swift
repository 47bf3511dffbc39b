/// A feature's best match in one other dictionary under one ranking, with both scores: what
/// `saex analyze --format json` (`match_decoder`, `match_activation`) and label exports carry, so
/// scripts need not join tables.
public struct BestMatch: Sendable, Equatable, Codable {
    public var dictionary: String
    public var feature: Int
    /// The ranking this is the best under ("decoder" or "activation").
    public var by: String
    /// The score it was ranked by.
    @NullEncoded public var score: Double?
    public var decoderCosine: Double
    @NullEncoded public var activationCorrelation: Double?

    enum CodingKeys: String, CodingKey {
        case dictionary, feature, by, score
        case decoderCosine = "decoder_cosine"
        case activationCorrelation = "activation_correlation"
    }
}

extension BestMatch {
    /// The highest-scoring of `matches` under `ranking` (ties: the first), nil when none has a score.
    public static func strongest(_ matches: [BestMatch], by ranking: MatchRanking) -> BestMatch? {
        var best: BestMatch?
        for m in matches where m.by == ranking.rawValue {
            guard let s = m.score else { continue }
            if let b = best?.score, b >= s { continue }
            best = m
        }
        return best
    }
}
