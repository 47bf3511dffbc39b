import Foundation

/// A feature's contexts as `saex contexts` writes them, as text and as JSON; the explorer's copy key
/// writes the same two files.
extension FeatureContexts {
    /// Every context cut to `w` tokens on each side of its peak.
    public func windowed(_ w: Int) -> FeatureContexts {
        var c = self
        c.top = top.map { $0.windowed(w) }
        c.random = random.map { $0.windowed(w) }
        c.intervals = intervals.map {
            var g = $0; g.examples = g.examples.map { $0.windowed(w) }; return g
        }
        return c
    }

    /// The text form: `header` lines, the top contexts (peak in [[ ]]), the interval samples with
    /// their bounds and share, the random examples and the logit effects. Terminal-safe.
    public func text(header: [String]) -> String {
        var out = header.map(TerminalText.escapedLine)
        out.append("")
        out.append("top contexts (peak token in [[ ]]):")
        for (i, t) in top.enumerated() { out.append(String(format: "%3d  %8.3f  ", i + 1, t.value) + t.plainText) }
        if !intervals.isEmpty {
            out.append("")
            out.append("interval samples:")
            for g in intervals {
                out.append(String(format: "  %.3f to %.3f  contains %.1f%%", g.lower, g.upper, g.contains * 100))
                for t in g.examples { out.append(String(format: "       %8.3f  ", t.value) + t.plainText) }
            }
        }
        if !random.isEmpty {
            out.append("")
            out.append("random active examples:")
            for t in random { out.append(String(format: "       %8.3f  ", t.value) + t.plainText) }
        }
        if let l = logits {
            out.append("")
            out.append("logit effects (most positive | most negative):")
            for i in 0..<max(l.positive.count, l.negative.count) {
                func cell(_ side: [TokenLogit]) -> String {
                    guard i < side.count else { return "" }
                    return String(format: "%9.3f  ", side[i].value) + TerminalText.safeString(side[i].token, visibleSpaces: true)
                }
                let left = cell(l.positive)
                out.append("  " + left + String(repeating: " ", count: max(2, 32 - TerminalText.width(left))) + "|  " + cell(l.negative))
            }
        }
        return out.joined(separator: "\n")
    }
}

/// The documented JSON shape of `saex contexts`.
public struct ContextsJSON: Encodable {
    struct Context: Encodable {
        var sequence: Int
        var position: Int
        var value: Float
        var tokens: [String]
        var activations: [Float]
        var start: Int
        var peak: Int
        init(_ t: TokenContext) {
            sequence = t.sequence
            position = t.position
            start = t.start
            peak = t.peakIndex
            value = t.value
            tokens = t.tokens
            activations = t.activations
        }
    }

    struct Interval: Encodable {
        var lower: Float
        var upper: Float
        var contains: Double
        var examples: [Context]
    }

    struct Logit: Codable, Sendable, Equatable {
        var token: String
        var value: Float
        var id: Int?
    }

    var dictionary: String
    var feature: Int
    var contexts: [Context]
    var intervals: [Interval]
    var random: [Context]
    @NullEncoded var logitsPositive: [Logit]?
    @NullEncoded var logitsNegative: [Logit]?

    enum CodingKeys: String, CodingKey {
        case dictionary, feature, contexts, intervals, random
        case logitsPositive = "logits_positive", logitsNegative = "logits_negative"
    }

    public init(dictionary: String, feature: Int, _ c: FeatureContexts) {
        self.dictionary = dictionary
        self.feature = feature
        contexts = c.top.map(Context.init)
        intervals = c.intervals.map {
            Interval(lower: $0.lower, upper: $0.upper, contains: $0.contains, examples: $0.examples.map(Context.init))
        }
        random = c.random.map(Context.init)
        logitsPositive = c.logits.map { $0.positive.map { Logit(token: $0.token, value: $0.value, id: $0.id) } }
        logitsNegative = c.logits.map { $0.negative.map { Logit(token: $0.token, value: $0.value, id: $0.id) } }
    }
}

extension TokenContext {
    /// The context cut to `w` tokens on each side of the peak.
    public func windowed(_ w: Int) -> TokenContext {
        let p = peakIndex
        let lo = max(0, p - w), hi = min(tokens.count, p + w + 1)
        return TokenContext(
            sequence: sequence, position: position, value: value, start: start + lo,
            tokens: Array(tokens[lo..<hi]), activations: Array(activations[lo..<hi]))
    }

    /// One line of text with the peak token marked; control characters made visible.
    public var plainText: String {
        var s = ""
        for (i, t) in tokens.enumerated() {
            let clean = TerminalText.safeString(t)
            s += i == peakIndex ? "[[" + clean + "]]" : clean
        }
        return s.trimmingCharacters(in: .whitespaces)
    }
}
