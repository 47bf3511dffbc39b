import Foundation

/// One row of `saex pairs`: A's feature, its best match in B, both scores and both sides' columns.
/// The JSON field names are a contract (docs/ANALYSIS.md).
public struct PairRecord: Encodable, Sendable {
    /// One side's columns.
    public struct Side: Codable, Sendable, Equatable {
        public var feature: Int
        @NullEncoded public var alpha: Double?
        @NullEncoded public var elasticity: Double?
        @NullEncoded public var normSpearmanActive: Double?
        public var normDetectorHint: Bool
        public var density: Double
        @NullEncoded public var verdict: String?
        public var concept: String

        enum CodingKeys: String, CodingKey {
            case feature, alpha, elasticity, density, verdict, concept
            case normSpearmanActive = "norm_spearman_active"
            case normDetectorHint = "norm_detector_hint"
        }

        init(_ t: FeatureTable, _ f: Int, _ label: FeatureLabel?) {
            feature = f
            alpha = t.value(.alpha, f)
            elasticity = t.value(.elasticity, f)
            normSpearmanActive = t.value(.normSpearmanActive, f)
            normDetectorHint = t.hint[f] != 0
            density = t.density[f]
            verdict = label?.verdict?.rawValue
            concept = label?.concept ?? ""
        }
    }

    public var a: Side
    @NullEncoded public var b: Side?
    @NullEncoded public var decoderCosine: Double?
    @NullEncoded public var activationCorrelation: Double?
    /// The ranking's score of the pair.
    @NullEncoded public var score: Double?
    public var mutual: Bool
    /// The best score is below the table's threshold: the feature is only in A.
    public var unmatched: Bool

    enum CodingKeys: String, CodingKey {
        case a, b, score, mutual, unmatched
        case decoderCosine = "decoder_cosine"
        case activationCorrelation = "activation_correlation"
    }

    public init(_ t: PairTable, _ i: Int, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel]) {
        func d(_ v: Float) -> Double? { v.isNaN ? nil : Double(v) }
        a = Side(t.a, i, labelsA[i])
        b = t.matchOf(i).map { Side(t.b, $0, labelsB[$0]) }
        decoderCosine = d(t.decoderCosine[i])
        activationCorrelation = d(t.activationCorrelation[i])
        score = d(t.score[i])
        mutual = t.mutual[i]
        unmatched = t.isUnmatched(i)
    }

    /// The CSV header and one row's cells, in the same order (nested fields as `a.x`, `b.x`).
    public static let csvHeader = [
        "a.feature", "b.feature", "score", "decoder_cosine", "activation_correlation", "mutual", "unmatched",
        "a.alpha", "b.alpha", "a.elasticity", "b.elasticity", "a.norm_spearman_active", "b.norm_spearman_active",
        "a.norm_detector_hint", "b.norm_detector_hint", "a.density", "b.density", "a.verdict", "b.verdict",
        "a.concept", "b.concept"
    ]

    public var csvCells: [String] {
        func n(_ v: Double?) -> String { v.map { String(Float($0)) } ?? "" }
        return [
            String(a.feature), b.map { String($0.feature) } ?? "", n(score), n(decoderCosine), n(activationCorrelation), String(mutual),
            String(unmatched), n(a.alpha), n(b?.alpha), n(a.elasticity), n(b?.elasticity), n(a.normSpearmanActive),
            n(b?.normSpearmanActive),
            String(a.normDetectorHint), b.map { String($0.normDetectorHint) } ?? "", n(a.density), n(b?.density), a.verdict ?? "",
            b?.verdict ?? "", a.concept, b?.concept ?? ""
        ]
    }
}
