import Foundation

/// The bytes of one tensor, streamed into the cache file when its turn comes.
struct TensorBytes {
    let count: Int
    let write: (SafetensorsStreamWriter) throws -> Void

    init(count: Int, write: @escaping (SafetensorsStreamWriter) throws -> Void) {
        self.count = count
        self.write = write
    }

    init<T>(_ array: [T]) {
        count = array.count
        write = { try $0.append(array) }
    }

    init<T>(_ buffer: UnsafeBufferPointer<T>) {
        count = buffer.count
        write = { try $0.append(UnsafeRawBufferPointer(buffer)) }
    }
}

/// Everything a cache build produces for one dictionary, before it is written.
struct DictionaryCacheData {
    var descriptor: CacheManifest.Dictionary
    var featureCount: Int
    var colPtr: [Int64]
    /// Row indices and values of the nonzeros, column by column ([nonzeros] each).
    var rows: TensorBytes
    var values: TensorBytes
    /// ||x - b_dec|| per row (0 on padding).
    var bDecNorms: TensorBytes
    /// Sum of per-token elasticity over active tokens, per feature (the exact sum, rounded).
    var elasticitySum: [Double]
    /// The exact sums themselves (ExactSums storage), written only into caches of one --shard part,
    /// so that merging the parts gives the single build's rounded sums.
    var elasticityExact: [Int64]?
    var alpha: [Float]
    var encoderNorms: [Float]
    var decoderNorms: [Float]
    var encoderDecoderCosine: [Float]
    /// The logit effects (`--unembed`), when the build was given an unembedding.
    var logits: LogitTable?
    /// Sum over real tokens of ||x - x_hat||^2 (the FVU's numerator, exact sum rounded once); nil
    /// when the build did not see x (`--feature-acts`).
    var residualSum: Double?
    /// Its exact sum (ExactSums storage, `Layout.squares`), only in caches of one --shard part.
    var residualExact: [Int64]?

    var nonzeroCount: Int { Int(colPtr.last ?? 0) }

    init(
        descriptor: CacheManifest.Dictionary, columns: SparseColumns, bDecNorms: [Float], elasticitySum: [Double], alpha: [Float],
        encoderNorms: [Float], decoderNorms: [Float], encoderDecoderCosine: [Float], residualSum: Double?
    ) {
        self.init(
            descriptor: descriptor, featureCount: columns.featureCount, colPtr: Array(columns.colPtr), rows: TensorBytes(columns.rows),
            values: TensorBytes(columns.values), bDecNorms: TensorBytes(bDecNorms), elasticitySum: elasticitySum, elasticityExact: nil,
            alpha: alpha, encoderNorms: encoderNorms, decoderNorms: decoderNorms, encoderDecoderCosine: encoderDecoderCosine,
            residualSum: residualSum, residualExact: nil)
        // The columns' buffers must outlive the write: keep the owner alive through the closures.
        let keep = columns
        rows = TensorBytes(count: keep.rows.count) { try $0.append(UnsafeRawBufferPointer(keep.rows)) }
        values = TensorBytes(count: keep.values.count) { try $0.append(UnsafeRawBufferPointer(keep.values)) }
    }

    init(
        descriptor: CacheManifest.Dictionary, featureCount: Int, colPtr: [Int64], rows: TensorBytes, values: TensorBytes,
        bDecNorms: TensorBytes,
        elasticitySum: [Double], elasticityExact: [Int64]?, alpha: [Float], encoderNorms: [Float], decoderNorms: [Float],
        encoderDecoderCosine: [Float], residualSum: Double?, residualExact: [Int64]?
    ) {
        self.descriptor = descriptor
        self.featureCount = featureCount
        self.colPtr = colPtr
        self.rows = rows
        self.values = values
        self.bDecNorms = bDecNorms
        self.elasticitySum = elasticitySum
        self.elasticityExact = elasticityExact
        self.alpha = alpha
        self.encoderNorms = encoderNorms
        self.decoderNorms = decoderNorms
        self.encoderDecoderCosine = encoderDecoderCosine
        self.residualSum = residualSum
        self.residualExact = residualExact
    }
}

/// The token sample shared by all dictionaries of a cache.
struct SampleData {
    var rows: Int
    /// Token id per row; -1 marks padding.
    var tokens: TensorBytes
    /// ||x|| per row (0 on padding).
    var norms: TensorBytes
    var sequences: Int
    var sequenceLength: Int
    /// [2 x d_in]: sum x_j, then sum x_j^2 over real tokens (exact sums rounded once); nil when the
    /// build did not see x (`--feature-acts`).
    var inputSums: [Double]? = nil
    /// Their exact sums (ExactSums storage, `Layout.squares`), only in caches of one --shard part.
    var inputSumsExact: [Int64]? = nil
}

/// Writes a cache file (a safetensors file; tensor names in docs/FORMATS.md).
enum CacheWriter {
    static func write(
        manifest m: CacheManifest, sample: SampleData, vocabulary: Vocabulary, dictionaries: [DictionaryCacheData],
        output: String, progress: CacheBuilder.ProgressHandler
    ) throws {
        var manifest = m
        manifest.dictionaries = dictionaries.map(\.descriptor)
        var vocabBytes: [UInt8] = []
        var vocabOffsets: [Int64] = [0]
        // Byte-level BPE vocabularies keep each token's bytes (a token may hold part of a character);
        // others their display strings.
        for (i, s) in vocabulary.display.enumerated() {
            vocabBytes.append(contentsOf: vocabulary.bytes?[i] ?? Array(s.utf8))
            vocabOffsets.append(Int64(vocabBytes.count))
        }
        let rows = sample.rows
        precondition(sample.tokens.count == rows && sample.norms.count == rows)
        // Each entry: its spec and how to write its bytes. Written widest element type first so
        // that every tensor starts aligned for its type (safetensors allows no padding between).
        var parts: [(spec: SafetensorsStreamWriter.Spec, write: (SafetensorsStreamWriter) throws -> Void)] = [
            (.init("sample.tokens", .i32, [rows]), sample.tokens.write),
            (.init("sample.norms", .f32, [rows]), sample.norms.write),
            (.init("vocab.bytes", .u8, [vocabBytes.count]), { try $0.append(vocabBytes) }),
            (.init("vocab.offsets", .i64, [vocabOffsets.count]), { try $0.append(vocabOffsets) }),
            (.init("vocab.special", .u8, [vocabulary.special.count]), { try $0.append(vocabulary.special.map { UInt8($0 ? 1 : 0) }) })
        ]
        // The FVU's sums (docs/FORMATS.md), when every dictionary has its residual.
        let reconstruction = sample.inputSums != nil && dictionaries.allSatisfy { $0.residualSum != nil }
        if reconstruction, let sums = sample.inputSums {
            let dIn = sums.count / 2, slots = ExactSums.Layout.squares.slots
            parts.append((.init("sample.input_sums", .f64, [2, dIn]), { try $0.append(sums) }))
            if let exact = sample.inputSumsExact {
                parts.append((.init("sample.input_sums_exact", .i64, [2, dIn, slots]), { try $0.append(exact) }))
            }
        }
        for (i, d) in dictionaries.enumerated() {
            let f = d.featureCount, nnz = d.nonzeroCount
            precondition(d.rows.count == nnz && d.values.count == nnz && d.bDecNorms.count == rows)
            let p = "d\(i)."
            parts += [
                (.init(p + "bdec_norms", .f32, [rows]), d.bDecNorms.write),
                (.init(p + "col_ptr", .i64, [f + 1]), { try $0.append(d.colPtr) }),
                (.init(p + "rows", .u32, [nnz]), d.rows.write),
                (.init(p + "values", .f32, [nnz]), d.values.write),
                (.init(p + "elasticity_sum", .f64, [f]), { try $0.append(d.elasticitySum) }),
                (.init(p + "alpha", .f32, [f]), { try $0.append(d.alpha) }),
                (.init(p + "encoder_norms", .f32, [f]), { try $0.append(d.encoderNorms) }),
                (.init(p + "decoder_norms", .f32, [f]), { try $0.append(d.decoderNorms) }),
                (.init(p + "enc_dec_cos", .f32, [f]), { try $0.append(d.encoderDecoderCosine) })
            ]
            if let t = d.logits {
                precondition(t.featureCount == f)
                parts += [
                    (.init(p + "logit_pos_ids", .i32, [f, t.count]), { try $0.append(t.positiveIDs) }),
                    (.init(p + "logit_pos_values", .f32, [f, t.count]), { try $0.append(t.positiveValues) }),
                    (.init(p + "logit_neg_ids", .i32, [f, t.count]), { try $0.append(t.negativeIDs) }),
                    (.init(p + "logit_neg_values", .f32, [f, t.count]), { try $0.append(t.negativeValues) })
                ]
            }
            if let exact = d.elasticityExact {
                parts.append((.init(p + "elasticity_exact", .i64, [f, ExactSums.slots]), { try $0.append(exact) }))
            }
            if reconstruction, let residual = d.residualSum {
                parts.append((.init(p + "residual_sum", .f64, [1]), { try $0.append([residual]) }))
                if let exact = d.residualExact {
                    parts.append((.init(p + "residual_exact", .i64, [1, ExactSums.Layout.squares.slots]), { try $0.append(exact) }))
                }
            }
        }
        let ordered = parts.enumerated().sorted { a, b in
            let wa = a.element.spec.dtype.bitSize, wb = b.element.spec.dtype.bitSize
            return wa != wb ? wa > wb : a.offset < b.offset
        }.map(\.element)
        let manifestText = try manifest.encoded()
        // Room for the metadata: what it has always been, plus twice the manifest's length beyond
        // 3 KiB (JSON escapes '/' and '"' inside the string). It depends only on the manifest text,
        // so a merge of --shard parts lays out its header exactly as a single build of the corpus.
        let reserve = 8192 + 1024 * dictionaries.count + max(0, 2 * manifestText.utf8.count - 6144)
        let w = try SafetensorsStreamWriter(path: output, tensors: ordered.map(\.spec), metadataReserve: reserve)
        for (k, part) in ordered.enumerated() {
            try part.write(w)
            progress("write", k + 1, ordered.count)
        }
        w.metadata["saex_cache"] = manifestText
        w.metadata["vocab.style"] = vocabulary.style.rawValue
        try w.finish()
    }
}
