import SAEKit

/// Names and one-letter marks for verdicts.
public enum VerdictDisplay {
    public static func name(_ v: Verdict) -> String {
        switch v {
        case .interpretable: "interpretable"
        case .normDetector: "norm detector"
        case .uninterpretable: "uninterpretable"
        case .polysemantic: "polysemantic"
        case .unsure: "unsure"
        }
    }
    /// The list's label column (4 columns).
    public static func mark(_ v: Verdict) -> String {
        switch v {
        case .interpretable: "INT"
        case .normDetector: "NORM"
        case .uninterpretable: "UNIN"
        case .polysemantic: "POLY"
        case .unsure: "?"
        }
    }
}
