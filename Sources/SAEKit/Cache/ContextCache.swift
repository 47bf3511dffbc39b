import Foundation

/// A context cache opened for reading: a memory map and a validated table of contents.
///
/// Opening maps the file, validates the safetensors structure, the manifest and every tensor's
/// shape against it; per-feature data is read lazily, when asked for. Immutable and thread-safe.
public final class ContextCache: TokenVocabulary, @unchecked Sendable {
    public let path: String
    public let manifest: CacheManifest
    public let file: SafetensorsFile
    public let vocabularyStyle: String
    /// Token id per row (-1 = padding).
    public let tokens: UnsafeBufferPointer<Int32>

    /// Tokens of the sample less the padding (token id -1): what every message calls tokens.
    public let realTokenCount: Int
    /// [2 x d_in]: sum x_j, then sum x_j^2 over the real tokens (docs/FORMATS.md); nil in caches
    /// built without the inputs (`--feature-acts`) or before saex recorded the FVU.
    public let inputSums: UnsafeBufferPointer<Double>?
    /// ||x|| per row.
    public let norms: UnsafeBufferPointer<Float>
    private let vocabBytes: UnsafeRawBufferPointer
    private let vocabOffsets: UnsafeBufferPointer<Int64>
    private let vocabSpecial: UnsafeBufferPointer<UInt8>
    /// Whether `vocab.bytes` holds byte-level BPE tokens' bytes, which rows decode together (`ByteLevelText`).
    private let byteLevel: Bool
    public let dictionaries: [CachedDictionary]

    /// One dictionary's part of the cache.
    public struct CachedDictionary: @unchecked Sendable {
        public let descriptor: CacheManifest.Dictionary
        public let columns: SparseColumns
        public let bDecNorms: UnsafeBufferPointer<Float>
        public let elasticitySum: UnsafeBufferPointer<Double>
        public let alpha, encoderNorms, decoderNorms, encoderDecoderCosine: UnsafeBufferPointer<Float>
        /// The logit effects, in a cache built with --unembed.
        public let logits: LogitTable?
        /// Sum over the real tokens of ||x - x_hat||^2; nil where the cache does not record it.
        public let residualSum: Double?
        /// The reconstruction's fraction of variance unexplained over the real tokens (`FVU`); nil
        /// where the cache does not record it.
        public let fvu: Double?

        public var featureCount: Int { descriptor.dSAE }

        /// Mean elasticity over active tokens; nil for features that never fire.
        public func elasticity(_ f: Int) -> Float? {
            let n = columns.range(f).count
            return n > 0 ? Float(elasticitySum[f] / Double(n)) : nil
        }
    }

    /// Opens and validates `path`.
    public init(path: String) throws {
        self.path = path
        let file: SafetensorsFile
        let mapped = try MappedFile(path: path)
        do {
            file = try SafetensorsFile(file: mapped)
        } catch let e as SAEKitError {
            var e = e
            if e.code == .badInput { e.remedy = "the cache is damaged or truncated; rebuild it with saex cache build" }
            throw e
        }
        self.file = file
        guard let text = file.metadata["saex_cache"] else {
            throw SAEKitError(
                .badInput, path: path, reason: "is a safetensors file but not a saex cache",
                remedy: "build one with saex cache build, or open a dictionary with saex inspect")
        }
        let m = try CacheManifest.decode(text, path: path)
        manifest = m
        vocabularyStyle = file.metadata["vocab.style"] ?? "plain"
        byteLevel = vocabularyStyle == Vocabulary.Style.byteLevel.rawValue
        let reader = CacheTensorReader(file: file, path: path)
        // CacheManifest.decode checked rows == sequences x sequence_length (without overflow).
        let rows = m.sample.rows
        let tokens = try reader.buffer("sample.tokens", Int32.self, shape: [rows])
        self.tokens = tokens
        let realTokens = tokens.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        realTokenCount = realTokens
        // The FVU's sums: optional (older caches, --feature-acts builds), checked when present.
        let dIn = m.dictionaries.first?.dIn ?? 0
        let inputSums = try reader.optionalSums("sample.input_sums", shape: [2, dIn]) { $0 / 2 }
        self.inputSums = inputSums
        norms = try reader.buffer("sample.norms", Float.self, shape: [rows])
        let vocabOffsets = try reader.buffer("vocab.offsets", Int64.self, shape: nil)
        self.vocabOffsets = vocabOffsets
        let vocabBytes = try reader.require("vocab.bytes", dtype: .u8, shape: nil).rawBytes
        self.vocabBytes = vocabBytes
        vocabSpecial = try reader.buffer("vocab.special", UInt8.self, shape: [max(0, vocabOffsets.count - 1)])
        guard vocabOffsets.first == 0, vocabOffsets.last.map({ Int($0) == vocabBytes.count }) ?? false,
            zip(vocabOffsets.dropFirst(), vocabOffsets).allSatisfy({ $0 >= $1 })
        else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"vocab.offsets\"", reason: "offsets are not ascending within the vocabulary bytes",
                remedy: "rebuild the cache with saex cache build")
        }
        let vocabSize = vocabOffsets.count - 1
        for (i, t) in tokens.enumerated() where t >= Int32(vocabSize) {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"sample.tokens\"",
                reason: "row \(i) holds token id \(t) outside the \(vocabSize)-token vocabulary",
                remedy: "rebuild the cache with saex cache build")
        }
        var dicts: [CachedDictionary] = []
        for (i, d) in m.dictionaries.enumerated() {
            let p = "d\(i)."
            let f = d.dSAE
            let colPtr = try reader.buffer(p + "col_ptr", Int64.self, shape: [f + 1])
            let rowsT = try reader.buffer(p + "rows", UInt32.self, shape: nil)
            let values = try reader.buffer(p + "values", Float.self, shape: [rowsT.count])
            // Column pointers must ascend from 0 to nnz and rows must lie inside the sample.
            guard colPtr.first == 0, Int(colPtr[f]) == rowsT.count, zip(colPtr.dropFirst(), colPtr).allSatisfy({ $0 >= $1 }) else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)col_ptr\"",
                    reason: "column pointers do not ascend from 0 to the nonzero count",
                    remedy: "rebuild the cache with saex cache build")
            }
            if let bad = rowsT.firstIndex(where: { Int($0) >= rows }) {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)rows\"", reason: "entry \(bad) points past the \(rows)-row sample",
                    remedy: "rebuild the cache with saex cache build")
            }
            // Rows ascend within each column (examples and merges rely on it).
            for feat in 0..<f {
                let lo = Int(colPtr[feat]), hi = Int(colPtr[feat + 1])
                if lo + 1 < hi, let bad = (lo + 1..<hi).first(where: { rowsT[$0] <= rowsT[$0 - 1] }) {
                    throw SAEKitError(
                        .badInput, path: path, subject: "tensor \"\(p)rows\"",
                        reason: "entry \(bad) breaks the ascending row order of feature \(feat)",
                        remedy: "rebuild the cache with saex cache build")
                }
            }
            let residual = try reader.optionalSums(p + "residual_sum", shape: [1]) { _ in 0 }?[0]
            dicts.append(
                CachedDictionary(
                    descriptor: d,
                    columns: SparseColumns(rowCount: rows, featureCount: f, colPtr: colPtr, rows: rowsT, values: values, owner: file),
                    bDecNorms: try reader.buffer(p + "bdec_norms", Float.self, shape: [rows]),
                    elasticitySum: try reader.buffer(p + "elasticity_sum", Double.self, shape: [f]),
                    alpha: try reader.buffer(p + "alpha", Float.self, shape: [f]),
                    encoderNorms: try reader.buffer(p + "encoder_norms", Float.self, shape: [f]),
                    decoderNorms: try reader.buffer(p + "decoder_norms", Float.self, shape: [f]),
                    encoderDecoderCosine: try reader.buffer(p + "enc_dec_cos", Float.self, shape: [f]),
                    logits: try m.unembed.map { try reader.logitTable(prefix: p, features: f, unembed: $0) },
                    residualSum: residual,
                    fvu: residual.flatMap { r in inputSums.flatMap { FVU.value(residual: r, inputSums: $0, count: realTokens) } }))
        }
        dictionaries = dicts
    }

    /// Where dictionary `i` lives: its manifest path, taken relative to the cache's folder unless absolute.
    public func dictionaryPath(_ i: Int) -> String {
        let p = manifest.dictionaries[i].path
        if p.hasPrefix("/") { return p }
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? p : (dir as NSString).appendingPathComponent(p)
    }

    /// Loads dictionary `i` from its path and checks it still has the weights the cache was built with.
    public func loadDictionary(_ i: Int) throws -> SAEDictionary {
        let d = manifest.dictionaries[i]
        let loaded = try DictionaryLoader.load(path: dictionaryPath(i))
        guard loaded.fingerprint == d.fingerprint else {
            throw SAEKitError(
                .badInput, path: dictionaryPath(i), subject: "dictionary \"\(d.name)\"",
                reason: "has other weights (fingerprint \(loaded.fingerprint)) than the cache was built with (\(d.fingerprint))",
                remedy: "rebuild the cache with saex cache build")
        }
        return loaded
    }

    /// Each dictionary as a browser sees it.
    public var descriptors: [DictionaryDescriptor] {
        zip(manifest.dictionaries, dictionaries).map { d, c in
            DictionaryDescriptor(
                name: d.name, score: Score.Kind(rawValue: d.score) ?? .unknown, architecture: d.architecture, dIn: d.dIn,
                featureCount: d.dSAE, fingerprint: d.fingerprint, path: d.path, hasNorms: true, fvu: c.fvu)
        }
    }

    /// The display string of token id `id` on its own.
    public func tokenText(_ id: Int32) -> String {
        guard id >= 0, Int(id) + 1 < vocabOffsets.count else { return "" }
        if byteLevel { return ByteLevelText.display(token: tokenBytes(id)) }
        let a = Int(vocabOffsets[Int(id)]), b = Int(vocabOffsets[Int(id) + 1])
        return String(decoding: UnsafeRawBufferPointer(rebasing: vocabBytes[a..<b]), as: UTF8.self)
    }

    /// The bytes stored for token id `id`: its display string, or for a byte-level BPE vocabulary the
    /// bytes it stands for (caches written before saex kept them hold the display string there too).
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) + 1 < vocabOffsets.count else { return [] }
        let a = Int(vocabOffsets[Int(id)]), b = Int(vocabOffsets[Int(id) + 1])
        return Array(vocabBytes[a..<b])
    }

    /// Display strings of the tokens of `rows`, read together (a byte-level character split across
    /// tokens is joined, `ByteLevelText`).
    public func tokenTexts(rows: Range<Int>) -> [String] {
        byteLevel ? ByteLevelText.display(row: rows.map { tokenBytes(tokens[$0]) }) : rows.map { tokenText(tokens[$0]) }
    }

    /// A token id as the logit effects show it: beyond the tokenizer (an unembedding padded past the
    /// vocabulary) as `<unk:id>`.
    public func logitTokenText(_ id: Int) -> String {
        id < vocabularySize ? tokenText(Int32(id)) : "<unk:\(id)>"
    }

    public func isSpecial(_ id: Int32) -> Bool { id >= 0 && Int(id) < vocabSpecial.count && vocabSpecial[Int(id)] != 0 }

    public var vocabularySize: Int { vocabOffsets.count - 1 }

    /// Index of the dictionary called `name`.
    public func dictionaryIndex(named name: String) throws -> Int {
        guard let i = manifest.dictionaries.firstIndex(where: { $0.name == name }) else {
            let names = manifest.dictionaries.map(\.name).joined(separator: ", ")
            throw SAEKitError(
                .badInput, path: path, subject: "--dict \(name)", reason: "no dictionary of that name in the cache (it has: \(names))")
        }
        return i
    }

    /// The context around `row` for feature `feature` of dictionary `dict`: the row's whole
    /// sequence up to its padding, with the feature's activation on every token.
    public func context(dict: Int, feature: Int, row: Int) -> TokenContext {
        let L = manifest.sample.sequenceLength
        let seq = row / L
        let base = seq * L
        var end = base + L
        for r in base..<(base + L) where tokens[r] < 0 {
            // Padding ends the sequence only when nothing real follows.
            if (r..<(base + L)).allSatisfy({ tokens[$0] < 0 }) { end = r; break }
        }
        let cols = dictionaries[dict].columns
        var acts = [Float](repeating: 0, count: end - base)
        // Walk the feature's column over this sequence's rows.
        let range = cols.range(feature)
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(cols.rows[mid]) < base { lo = mid + 1 } else { hi = mid }
        }
        var k = lo
        while k < range.upperBound, Int(cols.rows[k]) < end {
            acts[Int(cols.rows[k]) - base] = cols.values[k]
            k += 1
        }
        let toks = tokenTexts(rows: base..<end)
        return TokenContext(
            sequence: seq, position: row - base, value: cols.value(feature: feature, row: row), start: 0, tokens: toks, activations: acts)
    }

    /// The example rows of one feature, derived from its column (see `FeatureExamples`).
    public func examples(dict: Int, feature: Int) -> FeatureExamples {
        FeatureExamples.derive(feature: feature, columns: dictionaries[dict].columns, options: manifest.options)
    }

    /// Top contexts, interval groups and random examples of one feature.
    public func contexts(dict: Int, feature: Int) -> FeatureContexts {
        let e = examples(dict: dict, feature: feature)
        let top = e.top.map { context(dict: dict, feature: feature, row: $0.row) }
        var groups: [IntervalGroup] = []
        if e.activeCount > 0 {
            for (b, bin) in e.intervals.enumerated() {
                let bounds = e.binBounds(b)
                groups.append(
                    IntervalGroup(
                        lower: bounds.lower, upper: bounds.upper, contains: Double(bin.count) / Double(e.activeCount),
                        examples: bin.rows.map { context(dict: dict, feature: feature, row: $0) }))
            }
        }
        let random = e.random.map { context(dict: dict, feature: feature, row: $0) }
        return FeatureContexts(top: top, intervals: groups, random: random, logits: logitEffects(dict: dict, feature: feature))
    }

    /// The logit effects of one feature, or nil when the cache was built without --unembed.
    public func logitEffects(dict: Int, feature: Int) -> LogitEffects? {
        dictionaries[dict].logits?.effects(feature: feature, tokenText: logitTokenText)
    }
}

/// Typed, shape-checked access to a cache's tensors, with one-line errors.
struct CacheTensorReader {
    let file: SafetensorsFile
    let path: String

    /// The tensor `name` of `dtype` with exactly `shape`, or (shape nil) of any shape of `rank` dimensions.
    func require(_ name: String, dtype: DType, shape: [Int]?, rank: Int = 1) throws -> TensorView {
        guard let t = file.tensor(name) else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"", reason: "missing",
                remedy: "the cache is damaged or from another tool; rebuild it with saex cache build")
        }
        guard t.dtype == dtype, shape.map({ t.shape == $0 }) ?? (t.shape.count == rank) else {
            let expected = shape.map { "\($0)" } ?? "[" + Array(repeating: "n", count: rank).joined(separator: ", ") + "]"
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"", reason: "is \(t.summary), expected \(dtype.rawValue) \(expected)",
                remedy: "rebuild the cache with saex cache build")
        }
        return t
    }

    /// The logit tables of dictionary prefix `p` (`d{i}.`): token ids inside the unembedding's
    /// vocabulary (or -1), values finite where the id is set.
    func logitTable(prefix p: String, features f: Int, unembed u: CacheManifest.Unembed) throws -> LogitTable {
        let k = min(u.count, u.dVocab)
        func side(_ name: String) throws -> ([Int32], [Float]) {
            let ids = Array(try buffer(p + "logit_\(name)_ids", Int32.self, shape: [f, k]))
            let values = Array(try buffer(p + "logit_\(name)_values", Float.self, shape: [f, k]))
            if let bad = ids.indices.first(where: { ids[$0] < -1 || Int(ids[$0]) >= u.dVocab || (ids[$0] >= 0 && !values[$0].isFinite) }) {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"\(p)logit_\(name)_ids\"",
                    reason: "entry \(bad) holds token \(ids[bad]) (value \(values[bad])) outside the "
                        + "\(u.dVocab)-token unembedding",
                    remedy: "rebuild the cache with saex cache build --unembed")
            }
            return (ids, values)
        }
        let (pi, pv) = try side("pos"), (ni, nv) = try side("neg")
        return LogitTable(featureCount: f, count: k, positiveIDs: pi, positiveValues: pv, negativeIDs: ni, negativeValues: nv)
    }

    /// The F64 tensor `name` of `shape` when the cache has it (nil when absent); its entries from
    /// `squaresFrom(count)` on are sums of squares, so a negative one is refused.
    func optionalSums(_ name: String, shape: [Int], squaresFrom: (Int) -> Int) throws -> UnsafeBufferPointer<Double>? {
        guard file.tensor(name) != nil else { return nil }
        let b = try buffer(name, Double.self, shape: shape)
        if let bad = (squaresFrom(b.count)..<b.count).first(where: { b[$0] < 0 }) {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"",
                reason: "entry \(bad) is \(b[bad]), a sum of squares below 0",
                remedy: "rebuild the cache with saex cache build")
        }
        return b
    }

    func buffer<T>(_ name: String, _ type: T.Type, shape: [Int]?) throws -> UnsafeBufferPointer<T> {
        let dtype: DType
        switch type {
        case is Int32.Type: dtype = .i32
        case is UInt32.Type: dtype = .u32
        case is Int64.Type: dtype = .i64
        case is Float.Type: dtype = .f32
        case is Double.Type: dtype = .f64
        case is UInt8.Type: dtype = .u8
        default: preconditionFailure("unsupported cache tensor type")
        }
        let t = try require(name, dtype: dtype, shape: shape)
        let raw = t.rawBytes
        guard let base = raw.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        guard Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"", reason: "is not aligned in the file",
                remedy: "rebuild the cache with saex cache build")
        }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: t.elementCount)
    }
}
