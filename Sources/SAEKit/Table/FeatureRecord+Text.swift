import Foundation

/// How `saex analyze` writes record values as text (docs/ANALYSIS.md, "Text output").
extension FeatureColumn {
    /// True for statistics the tables store as Float (everything numeric but the densities and counts).
    public var isFloat32: Bool {
        switch self {
        case .feature, .label, .topTokens, .density, .log10Density, .activeCount, .dead, .normDetectorHint: false
        default: true
        }
    }
}

extension FeatureRecord {
    /// A CSV field's text (unquoted): numbers in the shortest form that reads back as the stored
    /// value (a Float for Float statistics, so 0.268 and not 0.26800000667572021), unknown values
    /// empty, top tokens trimmed and joined by " | ".
    public func csvText(_ field: String) -> String {
        switch value(field) {
        case .string(let x)?: return x
        case .int(let x)?: return x.map(String.init) ?? ""
        case .number(let x)?:
            guard let x, x.isFinite else { return "" }
            return FeatureColumn(rawValue: field)?.isFloat32 == true ? String(Float(x)) : String(x)
        case .bool(let x)?: return x ? "true" : "false"
        case .strings(let x)?: return Self.tokenList(x, separator: " | ", clean: { $0 })
        case nil: return ""
        }
    }

    /// Tokens trimmed of surrounding spaces (made terminal-safe by `clean`), whitespace-only ones
    /// left out, joined by `separator`: no doubled spaces.
    public static func tokenList(_ tokens: [String], separator: String, clean: (String) -> String) -> String {
        tokens.map { clean($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: separator)
    }

    /// One column of a table as text in one notation: fixed with three decimals, or, when some
    /// nonzero value is below 1e-3 or from 1e5 in magnitude, scientific with three significant
    /// digits for every value of the column. Unknown values are "n/a".
    public static func numberColumn(_ values: [Double?]) -> [String] {
        let scientific = values.contains { v in
            guard let v, v.isFinite, v != 0 else { return false }
            return abs(v) < 1e-3 || abs(v) >= 1e5
        }
        return values.map { v in
            guard let v else { return "n/a" }
            return String(format: scientific ? "%.2e" : "%.3f", v)
        }
    }
}
