import Foundation

/// What `saex inspect` says about a dictionary, as text or JSON (field names are a documented contract).
public struct DictionaryReport: Codable, Sendable, Equatable {
    public struct AlphaSummary: Codable, Sendable, Equatable {
        /// "global" or "per_feature".
        public var mode: String
        public var count: Int
        public var min: Float
        public var median: Float
        public var max: Float
        public var countAbove05: Int

        enum CodingKeys: String, CodingKey {
            case mode, count, min, median, max
            case countAbove05 = "count_above_0_5"
        }
    }

    public var path: String
    public var kind: String
    public var architecture: String
    public var score: String
    public var dIn: Int
    public var dSAE: Int
    public var dtype: String
    public var activation: String
    public var applyBDecToInput: Bool
    public var normalization: String
    public var modelName: String?
    public var hookName: String?
    public var alpha: AlphaSummary?
    public var fingerprint: String

    enum CodingKeys: String, CodingKey {
        case path, kind, architecture, score, dtype, activation, normalization, alpha, fingerprint
        case dIn = "d_in", dSAE = "d_sae", applyBDecToInput = "apply_b_dec_to_input", modelName = "model_name", hookName = "hook_name"
    }

    public init(_ d: SAEDictionary) {
        path = d.metadata.path
        kind = d.metadata.format.rawValue
        architecture = d.metadata.architecture
        score = d.score.kind.rawValue
        dIn = d.dIn
        dSAE = d.dSAE
        dtype = d.metadata.dtype
        activation = d.rule.description
        applyBDecToInput = d.applyBDecToInput
        normalization = d.normalization.description
        modelName = d.metadata.modelName
        hookName = d.metadata.hookName
        fingerprint = d.fingerprint
        if case .cosine(let a) = d.score {
            let v = a.values.sorted()
            let median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
            let mode: String
            if case .global = a { mode = "global" } else { mode = "per_feature" }
            alpha = AlphaSummary(
                mode: mode, count: v.count, min: v.first ?? 0, median: median, max: v.last ?? 0, countAbove05: v.filter { $0 > 0.5 }.count)
        }
    }

    /// Aligned "key: value" lines; every value goes through `TerminalText.escapedLine` (cfg.json
    /// fields and paths come from files, and a newline in them must not start another line).
    public var text: String {
        var rows: [(String, String)] = [
            ("path", path), ("recognised as", kind), ("architecture", architecture),
            ("score", score == "cosine" ? "cosine: cos(w, u) * ||u||^alpha + b" : "inner product: w . u + b (alpha = 1)"),
            ("d_in", String(dIn)), ("d_sae", String(dSAE)), ("dtype", dtype), ("activation", activation),
            ("b_dec", applyBDecToInput ? "subtracted from the input" : "not subtracted from the input"),
            ("normalisation", normalization)
        ]
        if let modelName { rows.append(("model", modelName)) }
        if let hookName { rows.append(("hook", hookName)) }
        if let a = alpha {
            if a.mode == "global" {
                rows.append(("alpha", String(format: "%.4f (one for the whole dictionary)", a.min)))
            } else {
                rows.append(
                    (
                        "alpha",
                        String(
                            format: "per feature: min %.4f, median %.4f, max %.4f; %d of %d above 0.5", a.min, a.median, a.max,
                            a.countAbove05, a.count)
                    ))
            }
        }
        rows.append(("fingerprint", fingerprint))
        let w = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + ":" + String(repeating: " ", count: w - $0.0.count + 1) + TerminalText.escapedLine($0.1) }.joined(
            separator: "\n")
    }
}
