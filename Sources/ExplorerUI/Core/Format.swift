import Foundation

/// Number formatting shared by all screens; nil is "n/a", never 0.
public enum Format {
    public static func number(_ value: Float?, _ decimals: Int) -> String {
        guard let value else { return "n/a" }
        if value.isNaN { return "n/a" }
        return String(format: "%.\(decimals)f", Double(value))
    }

    public static func percent(_ value: Double?, _ decimals: Int = 3) -> String {
        guard let value, !value.isNaN else { return "n/a" }
        return String(format: "%.\(decimals)f%%", value * 100)
    }

    /// Right-aligns (pads on the left) to `width` columns; plain ASCII inputs only.
    public static func right(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    public static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
