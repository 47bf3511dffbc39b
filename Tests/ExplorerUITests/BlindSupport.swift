import Foundation
@testable import ExplorerUI
import SAEKit

/// A source whose dictionary names, fingerprints and statistics are distinctive strings, so a test
/// can prove none of them reaches the blind screen. Contexts are plain words (no digits).
final class BlindTestSource: FeatureSource {
    static let names = ["ZEBRAFINCH_standard_dict", "QUOKKA_cosine_dict"]
    static let fingerprints = ["fpZEBRA0123456789abcdef", "fpQUOKKA0123456789abcdef"]
    static let alpha: Float = 7.777
    static let normSpearman: Float = 0.8642
    let dictionaries: [DictionaryDescriptor]

    init(featureCount: Int = 3000) {
        dictionaries = (0..<2).map { i in
            DictionaryDescriptor(
                name: Self.names[i], score: i == 0 ? .innerProduct : .cosine, architecture: i == 0 ? "jumprelu" : "cosine",
                dIn: 16, featureCount: featureCount, fingerprint: Self.fingerprints[i], path: "test://\(Self.names[i])", hasNorms: true)
        }
    }

    /// Only features 1000 and above are alive, so every sampled index has four digits.
    static func density(_ feature: Int) -> Double { feature < 1000 ? 0 : 1e-4 * Double(1 + feature % 37) }

    static let words = [" the", " court", " held", " that", " naïve", " 東京", " cat", " sat", " on", " mat", "<bos>", " end"]

    func stats(dict: Int, feature: Int) -> FeatureStats {
        FeatureStats(
            feature: feature, alpha: Self.alpha, elasticity: 0.9753, normPearson: 0.8642, normSpearman: Self.normSpearman,
            density: Self.density(feature), maxActivation: 5, dead: feature < 1000, normDetectorHint: true, topTokens: [Self.names[dict]])
    }

    func context(_ dict: Int, _ feature: Int, _ k: Int, value: Float) -> TokenContext {
        let tokens = (0..<9).map { Self.words[(feature &* 7 &+ dict &* 3 &+ k &+ $0) % Self.words.count] }
        let acts = (0..<9).map { i in i == 4 ? value : value * Float(i % 3) / 4 }
        return TokenContext(sequence: feature, position: 104, value: value, start: 100, tokens: tokens, activations: acts)
    }

    func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        FeatureContexts(
            top: (0..<3).map { context(dict, feature, $0, value: 9 - Float($0)) },
            intervals: [
                IntervalGroup(lower: 0, upper: 3, contains: 0.5, examples: [context(dict, feature, 5, value: 1)]),
                IntervalGroup(lower: 3, upper: 9, contains: 0.5, examples: [context(dict, feature, 6, value: 4)])
            ],
            random: [context(dict, feature, 8, value: 2)])
    }

    func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: [])
    }
    func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] { [] }
    func sample(dict: Int, feature: Int) throws -> ActivationSample { ActivationSample(values: [], norms: nil) }
}

/// A blind session over `BlindTestSource` in a fresh temporary folder.
struct BlindFixture {
    let directory: String
    let source = BlindTestSource()

    init(perDictionary: Int = 3, seed: UInt64 = 42) throws {
        directory = NSTemporaryDirectory() + "saex-blind-ui-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let offered = source.dictionaries.map { d in
            BlindDictionary(
                name: d.name, fingerprint: d.fingerprint, featureCount: d.featureCount,
                density: (0..<d.featureCount).map(BlindTestSource.density))
        }
        try BlindSession.create(directory: directory, dictionaries: offered, perDictionary: perDictionary, seed: seed).close()
    }

    /// Opens the session and the screen on it (close `.session` before reopening).
    func open(width: Int = 120, height: Int = 40) throws -> (session: BlindSession, screen: BlindLabellingSession) {
        let session = try BlindSession(directory: directory)
        let screen = try BlindLabellingSession(source: source, session: session, size: TerminalSize(width: width, height: height))
        screen.performer.now = { Date(timeIntervalSince1970: 1_800_000_000) }
        screen.runEffects()
        return (session, screen)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

extension ScreenBuffer {
    /// Every row's text, joined by newlines.
    var allText: String { (0..<height).map { rowText($0) }.joined(separator: "\n") }
}
