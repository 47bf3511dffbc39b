import Foundation

/// One row of `saex analyze`: a feature's statistics with stable, documented field names.
///
/// The field names are a contract (docs/ANALYSIS.md): scripts read them from JSON and CSV.
/// Unknown values are JSON null, an empty CSV cell, and "n/a" in tables.
public struct FeatureRecord: Sendable, Equatable {
    public static let fields = [
        "dictionary", "feature", "alpha", "elasticity", "norm_pearson", "norm_spearman", "norm_pearson_active",
        "norm_spearman_active", "top_norm_mass", "norm_auc", "density", "log10_density", "max_activation", "mean_activation",
        "dead", "norm_detector_hint", "decoder_norm", "encoder_norm", "enc_dec_cos", "single_token_concentration",
        "special_token_concentration", "top_tokens",
    ]

    /// A value of one field.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case number(Double?)
        case bool(Bool)
        case strings([String])

        /// For sorting: numbers (nil last), then strings.
        var sortKey: Double? {
            switch self {
            case .int(let i): return Double(i)
            case .number(let d): return d
            case .bool(let b): return b ? 1 : 0
            default: return nil
            }
        }
    }

    public var dictionary: String
    public var stats: FeatureStats

    public init(dictionary: String, stats: FeatureStats) {
        self.dictionary = dictionary
        self.stats = stats
    }

    public func value(_ field: String) -> Value? {
        let s = stats
        func f(_ v: Float?) -> Value { .number(v.map(Double.init)) }
        switch field {
        case "dictionary": return .string(dictionary)
        case "feature": return .int(s.feature)
        case "alpha": return f(s.alpha)
        case "elasticity": return f(s.elasticity)
        case "norm_pearson": return f(s.normPearson)
        case "norm_spearman": return f(s.normSpearman)
        case "norm_pearson_active": return f(s.normPearsonActive)
        case "norm_spearman_active": return f(s.normSpearmanActive)
        case "top_norm_mass": return f(s.topNormMass)
        case "norm_auc": return f(s.normAUC)
        case "density": return .number(s.density)
        case "log10_density": return .number(s.density > 0 ? log10(s.density) : nil)
        case "max_activation": return f(s.maxActivation)
        case "mean_activation": return f(s.meanActivation)
        case "dead": return .bool(s.dead)
        case "norm_detector_hint": return .bool(s.normDetectorHint)
        case "decoder_norm": return f(s.decoderNorm)
        case "encoder_norm": return f(s.encoderNorm)
        case "enc_dec_cos": return f(s.encoderDecoderCosine)
        case "single_token_concentration": return f(s.singleTokenConcentration)
        case "special_token_concentration": return f(s.specialTokenConcentration)
        case "top_tokens": return .strings(s.topTokens)
        default: return nil
        }
    }

    /// A JSON object with every field.
    public var jsonObject: [String: Any] {
        var o: [String: Any] = [:]
        for k in Self.fields {
            switch value(k) {
            case .string(let v): o[k] = v
            case .int(let v): o[k] = v
            case .number(let v): o[k] = v.map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull()
            case .bool(let v): o[k] = v
            case .strings(let v): o[k] = v
            case nil: break
            }
        }
        return o
    }

    /// Sorts records by `field`, descending unless `ascending`; unknown values last; ties by
    /// dictionary then feature.
    public static func sort(_ records: inout [FeatureRecord], by field: String, ascending: Bool) throws {
        guard fields.contains(field), field != "top_tokens" else {
            throw SAEKitError(.badInput, path: nil, subject: "--sort \(field)", reason: "is not a field",
                              remedy: "use one of: \(fields.filter { $0 != "top_tokens" }.joined(separator: ", "))")
        }
        let keys = records.map { r -> (Double?, String) in
            let v = r.value(field)
            if case .string(let s)? = v { return (nil, s) }
            return (v?.sortKey, "")
        }
        let order = records.indices.sorted { i, j in
            let (a, sa) = keys[i], (b, sb) = keys[j]
            if field == "dictionary", sa != sb { return ascending ? sa < sb : sa > sb }
            switch (a, b) {
            case let (x?, y?) where x != y: return ascending ? x < y : x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return (records[i].dictionary, records[i].stats.feature) < (records[j].dictionary, records[j].stats.feature)
            }
        }
        records = order.map { records[$0] }
    }
}
