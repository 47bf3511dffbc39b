import ArgumentParser
import Foundation
import SAEKit

struct Contexts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a feature's top contexts, then its interval samples, random examples and logit effects.",
        discussion: """
        CACHE is a cache from saex cache build, or what the explorer imports (a Neuronpedia feature JSON \
        or bulk export, an SAEDashboard batch JSON, a delphi latent cache with --vocab). \
        JSON (--format json) is a contract: {"dictionary", "feature", "contexts": [{"sequence", "position", \
        "value", "tokens", "activations", "start", "peak"}], "intervals": [{"lower", "upper", "contains", \
        "examples": [...]}], "random": [...], "logits_positive": [{"token", "value", "id"?}], "logits_negative": \
        [...]}, contexts best first. "sequence" is the row of the activation \
        file, "position" the peak token's position in that sequence, "start" the position of tokens[0] \
        (0 unless --window cuts the sequence) and "peak" the peak's index in "tokens". Tokens are display \
        strings (byte-level BPE decoded, docs/FORMATS.md). The logit lists are most positive (negative) \
        first, null when the input has none (a cache built without --unembed).
        """)

    @Argument(help: "A cache file, or a Neuronpedia, SAEDashboard or delphi cache to import.") var cache: String
    @Option(help: "The dictionary's name (optional when the input holds one).") var dict: String?
    @Option(help: "Feature index.") var feature: Int
    @Option(help: "Output format: text or json.") var format: TextOrJSON = .text
    @Option(help: "Tokens shown on each side of the peak (default: the whole sequence).") var window: Int?
    @Option(help: "Vocabulary for a delphi latent cache (tokenizer.json or a JSON array).") var vocab: String?

    func run() throws {
        if let window, window < 0 { throw ValidationError("--window must be 0 or more") }
        var header: [String]
        var ctx: FeatureContexts
        let name: String
        switch try FeatureSources.openInput(path: cache, vocabularyPath: vocab) {
        case .cache(let c):
            let di = try c.dictionaryIndex(named: dict)
            name = c.manifest.dictionaries[di].name
            try checkFeature(c.dictionaries[di].featureCount, name)
            ctx = c.contexts(dict: di, feature: feature)
            let active = c.dictionaries[di].columns.range(feature).count
            header = ["\(name) feature \(feature): \(active) active tokens of \(c.realTokenCount)"]
            if ctx.top.isEmpty { header.append("(never active in this sample)") }
        case .imported(let source):
            let di = try source.dictionaryIndex(named: dict, path: cache)
            name = source.dictionaries[di].name
            try checkFeature(source.dictionaries[di].featureCount, name)
            ctx = try source.contexts(dict: di, feature: feature)
            let st = source.stats(dict: di, feature: feature)
            header = ["\(name) feature \(feature) (\(source.kind)): " + (source.feature(feature) == nil ? "not in the import"
                : String(format: "density %.4g%%, max %.4g", st.density * 100, st.maxActivation))]
        }
        if let window {
            ctx.top = ctx.top.map { $0.windowed(window) }
            ctx.random = ctx.random.map { $0.windowed(window) }
            ctx.intervals = ctx.intervals.map { var g = $0; g.examples = g.examples.map { $0.windowed(window) }; return g }
        }
        if format == .json {
            Console.out(try jsonString(ContextsJSON(dictionary: name, feature: feature, ctx)))
            return
        }
        var out = header.map(TerminalText.escapedLine)
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
        if let l = ctx.logits {
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
        Console.out(out.joined(separator: "\n"))
    }

    func checkFeature(_ count: Int, _ name: String) throws {
        guard feature >= 0 && feature < count else {
            throw SAEKitError(.badInput, path: cache, subject: "--feature \(feature)",
                              reason: count > 0 ? "is out of range: dictionary \"\(name)\" has features 0 to \(count - 1)"
                                                : "is out of range: \"\(name)\" has no features")
        }
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

    init(dictionary: String, feature: Int, _ c: FeatureContexts) {
        self.dictionary = dictionary
        self.feature = feature
        contexts = c.top.map(Context.init)
        intervals = c.intervals.map { Interval(lower: $0.lower, upper: $0.upper, contains: $0.contains, examples: $0.examples.map(Context.init)) }
        random = c.random.map(Context.init)
        logitsPositive = c.logits.map { $0.positive.map { Logit(token: $0.token, value: $0.value, id: $0.id) } }
        logitsNegative = c.logits.map { $0.negative.map { Logit(token: $0.token, value: $0.value, id: $0.id) } }
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
