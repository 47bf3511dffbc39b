import Foundation

/// What an importer knows about one feature besides its contexts.
///
/// `stats` sets only what the files carry: density, maximum and top tokens (and, for delphi, the
/// mean). Norm statistics, alpha, elasticity and weight norms are always nil: imported caches carry
/// no input norms and no weights. `meanActivation` is 0 when the file does not carry it (Neuronpedia,
/// SAEDashboard); `meanKnown` says which.
public struct ImportedFeature: Sendable, Equatable {
    public var stats: FeatureStats
    /// Whether `stats.meanActivation` came from the file (true for delphi caches only).
    public var meanKnown: Bool
    /// Explanations as stored, in file order (Neuronpedia's API sends the best-scored first).
    public var explanations: [String]

    public init(stats: FeatureStats, meanKnown: Bool = false, explanations: [String] = []) {
        self.stats = stats
        self.meanKnown = meanKnown
        self.explanations = explanations
    }

    /// The first explanation, if any (untrusted text: sanitise before display).
    public var description: String? { explanations.first }
}

/// Supplies the slower per-feature data of an imported cache (contexts and activation samples).
protocol ImportedContextLoader: Sendable {
    func contexts(feature: Int) throws -> FeatureContexts
    func sampleValues(feature: Int) throws -> [Float]
}

/// Contexts held in memory, for formats that are small enough to read whole.
struct InMemoryContexts: ImportedContextLoader {
    var contexts: [Int: FeatureContexts]
    var samples: [Int: [Float]]

    func contexts(feature: Int) throws -> FeatureContexts { contexts[feature] ?? .empty }
    func sampleValues(feature: Int) throws -> [Float] { samples[feature] ?? [] }
}

/// A read-only `FeatureSource` over a cache another tool produced (Neuronpedia, SAEDashboard, delphi).
///
/// It has exactly one dictionary (score `.unknown`, `hasNorms` false, `dIn` 0 because the weights
/// are not part of the cache). Features the files do not mention get empty statistics with
/// `dead == false` (unknown, not dead) and empty contexts; `featureIndices` lists the ones they do.
/// `matches` and `neighbours` are always empty (no decoder weights) and samples have no norms.
public final class ImportedFeatureSource: FeatureSource, @unchecked Sendable {
    /// What was recognised, e.g. "neuronpedia-feature-json", "delphi-latent-cache".
    public let kind: String
    public let descriptor: DictionaryDescriptor
    /// Feature numbers the files carry, ascending.
    public let featureIndices: [Int]
    private let features: [Int: ImportedFeature]
    private let loader: any ImportedContextLoader

    init(kind: String, descriptor: DictionaryDescriptor, features: [Int: ImportedFeature], loader: any ImportedContextLoader) {
        self.kind = kind
        self.descriptor = descriptor
        self.features = features
        self.featureIndices = features.keys.sorted()
        self.loader = loader
    }

    public var dictionaries: [DictionaryDescriptor] { [descriptor] }

    /// The imported record of `index`, or nil when the files do not mention it.
    public func feature(_ index: Int) -> ImportedFeature? { features[index] }

    public func stats(dict: Int, feature: Int) -> FeatureStats {
        guard dict == 0, let f = features[feature] else { return FeatureStats(feature: feature, dead: false) }
        return f.stats
    }

    public func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        try checkDict(dict)
        guard features[feature] != nil else { return .empty }
        return try loader.contexts(feature: feature)
    }

    public func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        try checkDict(dict)
        return FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: [])
    }

    public func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] {
        try checkDict(dict)
        return []
    }

    public func sample(dict: Int, feature: Int) throws -> ActivationSample {
        try checkDict(dict)
        guard features[feature] != nil else { return ActivationSample(values: [], norms: nil) }
        return ActivationSample(values: try loader.sampleValues(feature: feature), norms: nil)
    }

    private func checkDict(_ dict: Int) throws {
        guard dict == 0 else {
            throw SAEKitError(.badInput, path: descriptor.path, subject: "dictionary \(dict)",
                              reason: "does not exist (an imported cache has one dictionary, number 0)")
        }
    }
}

/// Fingerprints of imported files.
enum ImportFingerprint {
    /// Bytes hashed from the start and from the end of each file; the size is always hashed.
    static let headBytes = 64 << 20
    static let tailBytes = 1 << 20

    /// A digest of `kind` and of each file's name (relative to `root`), size and content. Files
    /// larger than 65 MiB contribute their first 64 MiB and last 1 MiB, so opening stays fast.
    static func of(kind: String, root: String, files: [String]) throws -> String {
        var f = DictionaryFingerprint()
        f.update(kind)
        for path in files.sorted() {
            let name = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : (path as NSString).lastPathComponent
            f.update(name)
            let map = try MappedFile(path: path)
            f.update(String(map.count))
            let bytes = map.bytes
            if bytes.count <= headBytes + tailBytes {
                f.update(bytes)
            } else {
                f.update(UnsafeRawBufferPointer(rebasing: bytes[0..<headBytes]))
                f.update(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - tailBytes)...]))
            }
        }
        return f.hex()
    }
}
