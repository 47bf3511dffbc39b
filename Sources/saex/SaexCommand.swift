import ArgumentParser
import SAEKit

@main
struct Saex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saex",
        abstract: "Explore sparse-autoencoder features: standard and cosine-scored dictionaries side by side.",
        version: SAEKitVersion.string,
        subcommands: [Inspect.self, Encode.self]
    )
}
