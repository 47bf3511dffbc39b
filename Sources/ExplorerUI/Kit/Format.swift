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

    /// A short axis label (at most 6 characters, so charts stay aligned): "0", "-1", "0.25",
    /// "12.5", "2.2e6", "1.5e-3".
    public static func axis(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        if value == value.rounded(), abs(value) < 100_000 { return String(Int(value)) }
        let a = abs(value)
        if a >= 0.01, a < 1000 {
            var text = String(format: a < 10 ? "%.2f" : a < 100 ? "%.1f" : "%.0f", value)
            while text.contains("."), text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
        var exponent = Int((log10(a)).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs((mantissa * 10).rounded()) >= 100 {
            exponent += 1
            mantissa /= 10
        }
        let text = String(format: "%.1f", mantissa) + "e\(exponent)"
        return text.count <= 6 ? text : String(format: "%.0f", mantissa) + "e\(exponent)"  // -1.5e-3, 1.0e-10
    }

    /// At most `limit` characters of `text` for display, ending in "…" when cut: a label's notes
    /// can be megabytes (imported, or edited outside saex), and each frame sanitises what it shows.
    public static func preview(_ text: String, limit: Int = 500) -> String {
        guard text.utf8.count > limit else { return text }
        let head = text.prefix(limit)
        return head.endIndex == text.endIndex ? text : String(head) + "…"
    }

    /// Right-aligns (pads on the left) to `width` columns; plain ASCII inputs only.
    public static func right(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    public static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
