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
            header = [
                "\(name) feature \(feature) (\(source.kind)): "
                    + (source.feature(feature) == nil
                        ? "not in the import"
                        : String(format: "density %.4g%%, max %.4g", st.density * 100, st.maxActivation))
            ]
        }
        if let window { ctx = ctx.windowed(window) }
        if format == .json {
            try Console.out(try jsonString(ContextsJSON(dictionary: name, feature: feature, ctx)))
            return
        }
        try Console.out(ctx.text(header: header))
    }

    func checkFeature(_ count: Int, _ name: String) throws {
        guard feature >= 0 && feature < count else {
            throw SAEKitError(
                .badInput, path: cache, subject: "--feature \(feature)",
                reason: count > 0
                    ? "is out of range: dictionary \"\(name)\" has features 0 to \(count - 1)"
                    : "is out of range: \"\(name)\" has no features")
        }
    }
}
