import ArgumentParser
import SAEKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a dictionary: kind, architecture, score, sizes, activation rule, alpha, fingerprint.")

    @Argument(help: "A dictionary folder (SAELens, sparsify, cosine) or a Gemma Scope params.npz.")
    var dict: String

    @Option(help: "Output format: text or json.")
    var format: TextOrJSON = .text

    func run() throws {
        let d = try DictionaryLoader.load(path: dict)
        let report = DictionaryReport(d)
        try Console.out(format == .json ? try jsonString(report) : report.text)
    }
}
