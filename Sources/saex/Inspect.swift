import ArgumentParser
import SAEKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a dictionary: kind, architecture, score, sizes, activation rule, alpha, fingerprint.")
    @Argument(help: "A dictionary folder (SAELens, sparsify, cosine) or a Gemma Scope params.npz.") var dict: String
    func run() throws {}
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Encode activations with a dictionary and write the feature activations.")
    func run() throws {}
}
