import ArgumentParser
import Foundation
import SAEKit

struct Contexts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a feature's top contexts, then its interval samples and random examples.",
        discussion: """
        JSON (--format json) is a contract: {"dictionary", "feature", "contexts": [{"sequence", "position", \
        "value", "tokens", "activations", "start", "peak"}], "intervals": [{"lower", "upper", "contains", \
        "examples": [...]}], "random": [...]}, contexts best first. "sequence" is the row of the activation \
        file, "position" the peak token's position in that sequence, "start" the position of tokens[0] \
        (0 unless --window cuts the sequence) and "peak" the peak's index in "tokens".
        """)

    @Argument(help: "A cache file.") var cache: String
    @Option(help: "The dictionary's name in the cache.") var dict: String
    @Option(help: "Feature index.") var feature: Int
    @Option(help: "Output format: text or json.") var format: TextOrJSON = .text
    @Option(help: "Tokens shown on each side of the peak (default: the whole sequence).") var window: Int?

    func run() throws {
        let c = try ContextCache(path: cache)
        let di = try c.dictionaryIndex(named: dict)
        let f = c.dictionaries[di].featureCount
        guard feature >= 0 && feature < f else {
            throw SAEKitError(.badInput, path: cache, subject: "--feature \(feature)", reason: "is out of range: dictionary \"\(dict)\" has features 0 to \(f - 1)")
        }
        if let window, window < 0 { throw ValidationError("--window must be 0 or more") }
        var ctx = c.contexts(dict: di, feature: feature)
        if let window {
            ctx.top = ctx.top.map { $0.windowed(window) }
            ctx.random = ctx.random.map { $0.windowed(window) }
            ctx.intervals = ctx.intervals.map { var g = $0; g.examples = g.examples.map { $0.windowed(window) }; return g }
        }
        if format == .json {
            try Console.out(try jsonString(ContextsJSON(dictionary: dict, feature: feature, ctx)))
            return
        }
        var out: [String] = []
        out.append("\(dict) feature \(feature): \(c.dictionaries[di].columns.range(feature).count) active tokens of \(c.manifest.sample.rows)")
        if ctx.top.isEmpty { out.append("(never active in this sample)") }
        out.append("")
        out.append("top contexts (peak token in [[ ]]):")
        for (i, t) in ctx.top.enumerated() { out.append(String(format: "%3d  %8.3f  ", i + 1, t.value) + t.plainText) }
        if !ctx.intervals.isEmpty {
            out.append("")
            out.append("interval samples:")
            for g in ctx.intervals {
                out.append(String(format: "  (%.3f, %.3f]  contains %.1f%%", g.lower, g.upper, g.contains * 100))
                for t in g.examples { out.append(String(format: "       %8.3f  ", t.value) + t.plainText) }
            }
        }
        if !ctx.random.isEmpty {
            out.append("")
            out.append("random active examples:")
            for t in ctx.random { out.append(String(format: "       %8.3f  ", t.value) + t.plainText) }
        }
        try Console.lines(out)
    }
}

/// The documented JSON shape of `saex contexts`.
struct ContextsJSON: Encodable {
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

    var dictionary: String
    var feature: Int
    var contexts: [Context]
    var intervals: [Interval]
    var random: [Context]

    init(dictionary: String, feature: Int, _ c: FeatureContexts) {
        self.dictionary = dictionary
        self.feature = feature
        contexts = c.top.map(Context.init)
        intervals = c.intervals.map { Interval(lower: $0.lower, upper: $0.upper, contains: $0.contains, examples: $0.examples.map(Context.init)) }
        random = c.random.map(Context.init)
    }
}

extension TokenContext {
    /// The context cut to `w` tokens on each side of the peak.
    func windowed(_ w: Int) -> TokenContext {
        let p = peakIndex
        let lo = max(0, p - w), hi = min(tokens.count, p + w + 1)
        return TokenContext(sequence: sequence, position: position, value: value, start: start + lo,
                            tokens: Array(tokens[lo..<hi]), activations: Array(activations[lo..<hi]))
    }

    /// One line of text with the peak token marked; control characters made visible.
    var plainText: String {
        var s = ""
        for (i, t) in tokens.enumerated() {
            let clean = TerminalText.safeString(t)
            s += i == peakIndex ? "[[" + clean + "]]" : clean
        }
        return s.trimmingCharacters(in: .whitespaces)
    }
}
