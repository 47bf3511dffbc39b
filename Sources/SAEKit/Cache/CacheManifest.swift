import Foundation

/// The JSON description stored in a cache's `__metadata__["saex_cache"]` (docs/FORMATS.md).
///
/// Versioned: a cache written by a newer saex is refused with a message to upgrade; missing
/// optional keys take defaults.
public struct CacheManifest: Codable, Sendable, Equatable {
    public static let currentVersion = 1

    public struct Sample: Codable, Sendable, Equatable {
        public var rows: Int
        public var sequences: Int
        public var sequenceLength: Int
        public var activationsPath: String
        public var activationsFingerprint: String
        public var vocabularyPath: String
        public var vocabularyFingerprint: String
        /// How many activation files (or merged caches) the sample was read from.
        public var shards: Int
        /// Set in a cache of one `--shard I/N` part only: what a merge of all parts needs to write the
        /// single build's description of the whole corpus.
        public var shard: ShardRecord? = nil

        enum CodingKeys: String, CodingKey {
            case rows, sequences, shards, shard
            case sequenceLength = "sequence_length", activationsPath = "activations_path", activationsFingerprint =
                "activations_fingerprint"
            case vocabularyPath = "vocabulary_path", vocabularyFingerprint = "vocabulary_fingerprint"
        }
    }

    /// A `--shard I/N` part: its place and the corpus it is part of.
    public struct ShardRecord: Codable, Sendable, Equatable {
        public var index: Int
        public var count: Int
        public var corpusSequences: Int
        public var files: [CorpusFile]

        /// One activation file of the corpus: its path (relative to the cache's folder), size, and
        /// the digests of the 8 MiB chunks this part hashed (`firstChunk` on), for the corpus fingerprint.
        public struct CorpusFile: Codable, Sendable, Equatable {
            public var path: String
            public var bytes: Int
            public var firstChunk: Int
            public var digests: [String]

            enum CodingKeys: String, CodingKey {
                case path, bytes, digests
                case firstChunk = "first_chunk"
            }
        }

        enum CodingKeys: String, CodingKey {
            case index, count, files
            case corpusSequences = "corpus_sequences"
        }
    }

    public struct Dictionary: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var fingerprint: String
        public var format: String
        public var architecture: String
        /// "inner_product" or "cosine".
        public var score: String
        public var dIn: Int
        public var dSAE: Int
        public var activation: String
        public var modelName: String?
        public var hookName: String?

        enum CodingKeys: String, CodingKey {
            case name, path, fingerprint, format, architecture, score, activation
            case dIn = "d_in", dSAE = "d_sae", modelName = "model_name", hookName = "hook_name"
        }
    }

    /// What `--unembed` gave the logit effects (docs/FORMATS.md): the file and how it was read.
    public struct Unembed: Codable, Sendable, Equatable {
        /// The unembedding file, relative to the cache's folder unless absolute.
        public var path: String
        public var fingerprint: String
        public var modelName: String?
        public var dModel: Int
        public var dVocab: Int
        /// "LayerNorm", "RMSNorm" or "none": the final norm folded into the effects.
        public var finalNorm: String
        /// Added to final_norm.weight (1 for Gemma).
        public var weightOffset: Float
        /// Tokens kept on each side per feature.
        public var count: Int

        enum CodingKeys: String, CodingKey {
            case path, fingerprint, count
            case modelName = "model_name", dModel = "d_model", dVocab = "d_vocab", finalNorm = "final_norm"
            case weightOffset = "final_norm_weight_offset"
        }
    }

    public var version: Int = CacheManifest.currentVersion
    public var saexVersion: String = SAEKitVersion.string
    public var options: CacheOptions
    public var sample: Sample = Sample(
        rows: 0, sequences: 0, sequenceLength: 0, activationsPath: "", activationsFingerprint: "",
        vocabularyPath: "", vocabularyFingerprint: "", shards: 1)
    public var dictionaries: [Dictionary] = []
    /// Set when the cache holds logit effects (`saex cache build --unembed`).
    public var unembed: Unembed? = nil

    enum CodingKeys: String, CodingKey {
        case version, options, sample, dictionaries, unembed
        case saexVersion = "saex_version"
    }

    public init(options: CacheOptions) { self.options = options }

    /// A digest of everything the cache was built from: labels and analysis results key on it.
    public var fingerprint: String {
        var h = DictionaryFingerprint()
        h.update("cache-v\(version)")
        h.update(sample.activationsFingerprint)
        h.update(sample.vocabularyFingerprint)
        h.update(String(sample.rows))
        for d in dictionaries { h.update(d.name); h.update(d.fingerprint) }
        h.update("\(options.topK),\(options.bins),\(options.perBin),\(options.randomCount),\(options.seed)")
        if let u = unembed { h.update("unembed \(u.fingerprint) \(u.count)") }
        return h.hex()
    }

    func encoded() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }

    static func decode(_ text: String, path: String) throws -> CacheManifest {
        struct VersionOnly: Decodable { var version: Int }
        guard let v = try? JSONDecoder().decode(VersionOnly.self, from: Data(text.utf8)) else {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_cache", reason: "is not a saex cache description",
                remedy: "rebuild the cache with saex cache build")
        }
        if v.version > currentVersion {
            throw SAEKitError(
                .unsupported, path: path,
                reason: "was written by a newer saex (cache version \(v.version); this saex reads \(currentVersion))",
                remedy: "upgrade saex")
        }
        let m: CacheManifest
        do {
            m = try JSONDecoder().decode(CacheManifest.self, from: Data(text.utf8))
        } catch {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_cache", reason: "is incomplete (\(CacheManifest.describe(error)))",
                remedy: "rebuild the cache with saex cache build")
        }
        try m.checkRanges(path: path)
        return m
    }

    /// The example counts `saex cache build` accepts (its --top-k, --bins, --per-bin, --random).
    public static let topKRange = 1...4096, binsRange = 0...1000, perBinRange = 0...1000, randomRange = 0...10000

    /// Refuses numbers no build writes: the readers size buffers by the example counts, multiply
    /// the sample's sequences by their length and allocate d_sae + 1 column pointers.
    func checkRanges(path: String) throws {
        func bad(_ key: String, _ value: Int, _ expected: String) -> SAEKitError {
            SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_cache", reason: "\(key) is \(value), expected \(expected)",
                remedy: "rebuild the cache with saex cache build")
        }
        let o = options
        for (key, value, range) in [
            ("options.top_k", o.topK, Self.topKRange), ("options.bins", o.bins, Self.binsRange),
            ("options.per_bin", o.perBin, Self.perBinRange), ("options.random", o.randomCount, Self.randomRange)
        ]
        where !range.contains(value) {
            throw bad(key, value, "\(range.lowerBound) to \(range.upperBound)")
        }
        guard sample.sequences >= 0 else { throw bad("sample.sequences", sample.sequences, "0 or more") }
        guard sample.sequenceLength >= 1 else { throw bad("sample.sequence_length", sample.sequenceLength, "1 or more") }
        let (rows, overflow) = sample.sequences.multipliedReportingOverflow(by: sample.sequenceLength)
        guard !overflow, rows == sample.rows else {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_cache.sample",
                reason: "rows \(sample.rows) != sequences x sequence_length",
                remedy: "rebuild the cache with saex cache build")
        }
        for (i, d) in dictionaries.enumerated() where d.dSAE < 0 || d.dSAE == Int.max {
            throw bad("dictionaries.\(i).d_sae", d.dSAE, "a feature count")
        }
        if let u = unembed {
            guard (1...1000).contains(u.count) else { throw bad("unembed.count", u.count, "1 to 1000") }
            guard u.dVocab >= 1 && u.dVocab < Int(Int32.max) else { throw bad("unembed.d_vocab", u.dVocab, "a vocabulary size") }
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, _): return "missing key \"\(k.stringValue)\""
        case DecodingError.typeMismatch(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.valueNotFound(_, let c): return "null at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "malformed JSON"
        }
    }
}

extension CacheOptions {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? topK
        bins = try c.decodeIfPresent(Int.self, forKey: .bins) ?? bins
        perBin = try c.decodeIfPresent(Int.self, forKey: .perBin) ?? perBin
        randomCount = try c.decodeIfPresent(Int.self, forKey: .randomCount) ?? randomCount
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }
}

extension CacheManifest.Dictionary {
    /// The record of `d` (the fields `saex inspect` also reports, under the same names).
    public init(_ d: SAEDictionary, name: String) {
        let m = d.metadata
        self.init(
            name: name, path: m.path, fingerprint: d.fingerprint, format: m.format.rawValue, architecture: m.architecture,
            score: d.score.kind.rawValue, dIn: d.dIn, dSAE: d.dSAE, activation: d.rule.description, modelName: m.modelName,
            hookName: m.hookName)
    }
}
