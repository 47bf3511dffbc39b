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
    /// The file's logit tables (`pos_str`/`pos_values`, `neg_str`/`neg_values`), tokens decoded as
    /// the contexts' are; nil when the file has none.
    public var logits: LogitEffects?

    public init(stats: FeatureStats, meanKnown: Bool = false, explanations: [String] = [], logits: LogitEffects? = nil) {
        self.stats = stats
        self.meanKnown = meanKnown
        self.explanations = explanations
        self.logits = logits
    }

    /// The first explanation, if any (untrusted text: sanitise before display).
    public var description: String? { explanations.first }
}

/// How an import's token strings are shown: as stored, or, when they are written in GPT-2's
/// byte-level alphabet (SAEDashboard writes the tokenizer's own strings, `âĢĻ` for `’`), decoded
/// with `ByteLevelText` (rows read together, so a character split across tokens is joined).
struct ImportedTokens: Sendable {
    var byteLevel: Bool

    static let asStored = ImportedTokens(byteLevel: false)

    /// Decides from everything the import holds: rows of context tokens and single logit tokens.
    init(rows: [[String]], singles: [String]) {
        var e = ByteLevelText.Evidence()
        for r in rows { e.add(row: r) }
        for t in singles { e.add(row: [t]) }
        byteLevel = e.isByteLevel
    }

    init(byteLevel: Bool) { self.byteLevel = byteLevel }

    func row(_ tokens: [String]) -> [String] { byteLevel ? ByteLevelText.decode(row: tokens) : tokens }

    func single(_ token: String) -> String { byteLevel ? ByteLevelText.display(token: ByteLevelText.bytes(of: token)) : token }

    func context(_ c: TokenContext) -> TokenContext {
        guard byteLevel else { return c }
        var c = c
        c.tokens = row(c.tokens)
        return c
    }

    func contexts(_ c: FeatureContexts) -> FeatureContexts {
        guard byteLevel else { return c }
        var c = c
        c.top = c.top.map(context)
        c.random = c.random.map(context)
        c.intervals = c.intervals.map {
            var g = $0; g.examples = g.examples.map(context); return g
        }
        return c
    }

    func logits(_ l: LogitEffects?) -> LogitEffects? {
        guard byteLevel, var l else { return l }
        l.positive = l.positive.map { TokenLogit(token: single($0.token), value: $0.value, id: $0.id) }
        l.negative = l.negative.map { TokenLogit(token: single($0.token), value: $0.value, id: $0.id) }
        return l
    }

    /// The display string of a context's peak token (what the top-token previews show).
    func peak(_ c: TokenContext) -> String { row(c.tokens)[c.peakIndex] }
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
    /// Whether the files' token strings are GPT-2 byte-level BPE, shown decoded (`ByteLevelText`).
    public var byteLevelTokens: Bool { tokens.byteLevel }
    private let features: [Int: ImportedFeature]
    private let loader: any ImportedContextLoader
    private let tokens: ImportedTokens

    /// `features` carry their statistics and logits already decoded; the loader's contexts are decoded here.
    init(
        kind: String, descriptor: DictionaryDescriptor, features: [Int: ImportedFeature], loader: any ImportedContextLoader,
        tokens: ImportedTokens = .asStored
    ) {
        self.kind = kind
        self.descriptor = descriptor
        self.features = features
        self.featureIndices = features.keys.sorted()
        self.loader = loader
        self.tokens = tokens
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
        guard let f = features[feature] else { return .empty }
        var c = tokens.contexts(try loader.contexts(feature: feature))
        c.logits = f.logits
        return c
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
            throw SAEKitError(
                .badInput, path: descriptor.path, subject: "dictionary \(dict)",
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
