import Foundation

/// A dictionary with the name the user gave it (`--dict NAME=PATH`).
public struct NamedDictionary: Sendable {
    public var name: String
    public var dictionary: SAEDictionary

    public init(name: String, dictionary: SAEDictionary) {
        self.name = name
        self.dictionary = dictionary
    }
}

/// Everything a cache build produces for one dictionary, before it is written.
public struct DictionaryCacheData: Sendable {
    public var descriptor: CacheManifest.Dictionary
    public var columns: SparseColumns
    /// ||x - b_dec|| per row (0 on padding).
    public var bDecNorms: [Float]
    /// Sum and count of per-token elasticity over active tokens, per feature.
    public var elasticitySum: [Double]
    public var alpha: [Float]
    public var encoderNorms: [Float]
    public var decoderNorms: [Float]
    public var encoderDecoderCosine: [Float]
}

/// The token sample shared by all dictionaries of a cache.
public struct SampleData: Sendable {
    /// Token id per row; -1 marks padding.
    public var tokens: [Int32]
    /// ||x|| per row (0 on padding).
    public var norms: [Float]
    public var sequences: Int
    public var sequenceLength: Int
}

/// Builds a context cache: encodes every token with every dictionary and keeps what the explorer shows.
public enum CacheBuilder {
    public typealias ProgressHandler = (_ stage: String, _ done: Int, _ total: Int) -> Void

    /// Encodes `input` with each dictionary and writes the cache to `output` (docs/FORMATS.md).
    public static func build(dictionaries: [NamedDictionary], input: ActivationFile, vocabulary: Vocabulary, vocabularyPath: String,
                             options: CacheOptions = CacheOptions(), output: String, progress: ProgressHandler = { _, _, _ in }) throws {
        try validate(dictionaries: dictionaries, input: input, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        guard let tokenIDs = try input.tokenIDs() else {
            throw SAEKitError(.badInput, path: input.path, subject: "tensor \"tokens\"", reason: "missing: contexts need the token ids",
                              remedy: "store tokens [n_seq, seq_len] in the file or give --tokens FILE")
        }
        let tokens = try checkTokens(tokenIDs, vocabulary: vocabulary, input: input, vocabularyPath: vocabularyPath)
        let rows = input.rows
        var norms = [Float](repeating: 0, count: rows)
        let encoders = dictionaries.map { FeatureEncoder($0.dictionary) }
        let elastic = encoders.map { ElasticityCalculator($0) }
        let maxF = dictionaries.map(\.dictionary.dSAE).max() ?? 1
        let batch = max(1, min(4096, options.memoryBudget / max(1, 12 * maxF)))
        let dIn = input.dIn

        // Per dictionary: CSR triplets in row order, converted to CSC at the end.
        var csrFeatures = [[UInt32]](repeating: [], count: dictionaries.count)
        var csrValues = [[Float]](repeating: [], count: dictionaries.count)
        var csrRowPtr = [[Int]](repeating: [0], count: dictionaries.count)
        var elasticitySum = dictionaries.map { [Double](repeating: 0, count: $0.dictionary.dSAE) }
        var bDecNorms = dictionaries.map { _ in [Float](repeating: 0, count: rows) }

        let x = UnsafeMutablePointer<Float>.allocate(capacity: batch * dIn)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: batch * dIn)
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: batch * maxF)
        let acts = UnsafeMutablePointer<Float>.allocate(capacity: batch * maxF)
        let gate = UnsafeMutablePointer<Float>.allocate(capacity: batch * maxF)
        defer { x.deallocate(); u.deallocate(); pre.deallocate(); acts.deallocate(); gate.deallocate() }

        var start = 0
        progress("encode", 0, rows)
        while start < rows {
            let n = min(batch, rows - start)
            try input.copyRows(start..<(start + n), into: x)
            for r in 0..<n where tokens[start + r] >= 0 {
                norms[start + r] = BLAS.norm(dIn, x + r * dIn)
            }
            for (di, nd) in dictionaries.enumerated() {
                let d = nd.dictionary
                let enc = encoders[di]
                let f = d.dSAE
                enc.prepareInput(x, rows: n, into: u)
                enc.preActivations(u, rows: n, into: pre, gate: d.rule.isGated ? gate : nil)
                enc.activate(pre, rows: n, into: acts, gate: d.rule.isGated ? UnsafePointer(gate) : nil)
                for r in 0..<n {
                    let row = start + r
                    guard tokens[row] >= 0 else {
                        csrRowPtr[di].append(csrFeatures[di].count)
                        continue
                    }
                    var s: Double = 0
                    d.bDec.withUnsafeBufferPointer { b in
                        for j in 0..<dIn { let v = Double(x[r * dIn + j] - b[j]); s += v * v }
                    }
                    bDecNorms[di][row] = Float(s.squareRoot())
                    let terms = elastic[di].rowTerms(u + r * dIn)
                    let a = acts + r * f, p = pre + r * f
                    for i in 0..<f where a[i] != 0 {
                        csrFeatures[di].append(UInt32(i))
                        csrValues[di].append(a[i])
                        elasticitySum[di][i] += Double(elastic[di].value(feature: i, pre: p[i], row: terms))
                    }
                    csrRowPtr[di].append(csrFeatures[di].count)
                }
            }
            start += n
            progress("encode", start, rows)
        }

        var data: [DictionaryCacheData] = []
        for (di, nd) in dictionaries.enumerated() {
            let d = nd.dictionary
            let cols = transpose(rowPtr: csrRowPtr[di], features: csrFeatures[di], values: csrValues[di], featureCount: d.dSAE, rowCount: rows)
            csrFeatures[di] = []
            csrValues[di] = []
            let enc = encoders[di]
            let cosEncDec = encoderDecoderCosines(d, encoderNorms: enc.encoderNorms, decoderNorms: enc.decoderNorms)
            var descriptor = CacheManifest.Dictionary(d, name: nd.name)
            descriptor.path = RelativePath.of(d.metadata.path, fromFolderOf: output)
            data.append(DictionaryCacheData(
                descriptor: descriptor,
                columns: cols, bDecNorms: bDecNorms[di], elasticitySum: elasticitySum[di],
                alpha: (0..<d.dSAE).map { d.alpha($0) }, encoderNorms: enc.encoderNorms, decoderNorms: enc.decoderNorms,
                encoderDecoderCosine: cosEncDec))
        }
        let sample = SampleData(tokens: tokens, norms: norms, sequences: input.sequences, sequenceLength: input.sequenceLength)
        var manifest = CacheManifest(options: options)
        manifest.sample = CacheManifest.Sample(
            rows: rows, sequences: input.sequences, sequenceLength: input.sequenceLength,
            activationsPath: RelativePath.of(input.path, fromFolderOf: output), activationsFingerprint: try fileFingerprint(input.path),
            vocabularyPath: RelativePath.of(vocabularyPath, fromFolderOf: output), vocabularyFingerprint: try fileFingerprint(vocabularyPath), shards: 1)
        try CacheWriter.write(manifest: manifest, sample: sample, vocabulary: vocabulary, dictionaries: data, output: output, progress: progress)
    }

    static func validate(dictionaries: [NamedDictionary], input: ActivationFile, vocabulary: Vocabulary, vocabularyPath: String) throws {
        guard !dictionaries.isEmpty else {
            throw SAEKitError(.badInput, path: nil, subject: "--dict", reason: "no dictionary given", remedy: "add --dict NAME=PATH (one or more)")
        }
        var seen = Set<String>()
        for nd in dictionaries {
            guard !nd.name.isEmpty, nd.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw SAEKitError(.badInput, path: nil, subject: "--dict \(nd.name)=...", reason: "a name may hold letters, digits, '_' and '-' only")
            }
            guard seen.insert(nd.name).inserted else {
                throw SAEKitError(.badInput, path: nil, subject: "--dict \(nd.name)=...", reason: "the name is used twice", remedy: "give each dictionary its own name")
            }
            guard nd.dictionary.dIn == input.dIn else {
                throw SAEKitError(.badInput, path: input.path, subject: "tensor \"\(input.activations.name)\"",
                                  reason: "has d_in = \(input.dIn) but dictionary \"\(nd.name)\" (\(nd.dictionary.metadata.path)) expects \(nd.dictionary.dIn)",
                                  remedy: "use activations from the hook the dictionary was trained on")
            }
        }
        guard input.rows < Int(UInt32.max) else {
            throw SAEKitError(.unsupported, path: input.path, reason: "has more than 4 billion tokens", remedy: "split it into shards and merge the caches")
        }
        guard !vocabulary.display.isEmpty else {
            throw SAEKitError(.badInput, path: vocabularyPath, reason: "holds no tokens")
        }
    }

    static func checkTokens(_ ids: [Int64], vocabulary: Vocabulary, input: ActivationFile, vocabularyPath: String) throws -> [Int32] {
        var out = [Int32](repeating: -1, count: ids.count)
        let v = Int64(vocabulary.display.count)
        for (i, t) in ids.enumerated() {
            if t < 0 { continue }
            guard t < v else {
                let seq = i / max(1, input.sequenceLength), pos = i % max(1, input.sequenceLength)
                throw SAEKitError(.badInput, path: input.path, subject: "tokens[\(seq), \(pos)]",
                                  reason: "token id \(t) is outside the vocabulary of \(vocabularyPath) (\(v) tokens)",
                                  remedy: "give the tokenizer of the model that produced the activations")
            }
            out[i] = Int32(t)
        }
        return out
    }

    /// cos(W_enc[:, i], W_dec[i, :]) per feature, in double precision. A [d_in x d_sae] encoder is
    /// read row by row (one sweep of each matrix), not column by column: a column walk touches a
    /// new cache line per value, which at a million features costs minutes.
    static func encoderDecoderCosines(_ d: SAEDictionary, encoderNorms: [Float], decoderNorms: [Float]) -> [Float] {
        let f = d.dSAE, dIn = d.dIn
        var dot = [Double](repeating: 0, count: f)
        let enc = d.wEnc.pointer, dec = d.wDec.pointer
        if d.encoderIsFeatureMajor {
            for i in 0..<f {
                var s = 0.0
                for j in 0..<dIn { s += Double(enc[i * dIn + j]) * Double(dec[i * dIn + j]) }
                dot[i] = s
            }
        } else {
            // Feature blocks small enough that their decoder rows stay in cache across the d_in sweeps.
            let block = 256
            dot.withUnsafeMutableBufferPointer { out in
                var lo = 0
                while lo < f {
                    let hi = min(f, lo + block)
                    for j in 0..<dIn {
                        let row = enc + j * f
                        for i in lo..<hi { out[i] += Double(row[i]) * Double(dec[i * dIn + j]) }
                    }
                    lo = hi
                }
            }
        }
        return (0..<f).map { i in
            let denom = Double(encoderNorms[i]) * Double(decoderNorms[i])
            return denom > 0 ? Float(dot[i] / denom) : 0
        }
    }

    /// CSR (row-major) triplets to CSC by counting sort; rows stay ascending within each column.
    static func transpose(rowPtr: [Int], features: [UInt32], values: [Float], featureCount: Int, rowCount: Int) -> SparseColumns {
        var counts = [Int64](repeating: 0, count: featureCount + 1)
        for f in features { counts[Int(f) + 1] += 1 }
        for i in 0..<featureCount { counts[i + 1] += counts[i] }
        var next = counts
        var rows = [UInt32](repeating: 0, count: features.count)
        var vals = [Float](repeating: 0, count: features.count)
        for r in 0..<(rowPtr.count - 1) {
            for k in rowPtr[r]..<rowPtr[r + 1] {
                let f = Int(features[k])
                let dst = Int(next[f])
                rows[dst] = UInt32(r)
                vals[dst] = values[k]
                next[f] += 1
            }
        }
        return SparseColumns(rowCount: rowCount, featureCount: featureCount, colPtr: counts, rows: rows, values: vals)
    }

    /// Digest of a file's bytes (mapped).
    public static func fileFingerprint(_ path: String) throws -> String {
        let f = try MappedFile(path: path)
        var h = DictionaryFingerprint()
        h.update(f.bytes)
        return h.hex()
    }
}
