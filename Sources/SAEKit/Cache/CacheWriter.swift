import Foundation

/// Writes a cache file (a safetensors file; tensor names in docs/FORMATS.md).
enum CacheWriter {
    static func write(manifest m: CacheManifest, sample: SampleData, vocabulary: Vocabulary, dictionaries: [DictionaryCacheData],
                      output: String, progress: CacheBuilder.ProgressHandler) throws {
        var manifest = m
        manifest.dictionaries = dictionaries.map(\.descriptor)
        var vocabBytes: [UInt8] = []
        var vocabOffsets: [Int64] = [0]
        for s in vocabulary.display {
            vocabBytes.append(contentsOf: Array(s.utf8))
            vocabOffsets.append(Int64(vocabBytes.count))
        }
        let rows = sample.tokens.count
        // Each entry: its spec and how to write its bytes. Written widest element type first so
        // that every tensor starts aligned for its type (safetensors allows no padding between).
        var parts: [(spec: SafetensorsStreamWriter.Spec, write: (SafetensorsStreamWriter) throws -> Void)] = [
            (.init("sample.tokens", .i32, [rows]), { try $0.append(sample.tokens) }),
            (.init("sample.norms", .f32, [rows]), { try $0.append(sample.norms) }),
            (.init("vocab.bytes", .u8, [vocabBytes.count]), { try $0.append(vocabBytes) }),
            (.init("vocab.offsets", .i64, [vocabOffsets.count]), { try $0.append(vocabOffsets) }),
            (.init("vocab.special", .u8, [vocabulary.special.count]), { try $0.append(vocabulary.special.map { UInt8($0 ? 1 : 0) }) }),
        ]
        for (i, d) in dictionaries.enumerated() {
            let f = d.columns.featureCount, nnz = d.columns.nonzeroCount
            let p = "d\(i)."
            let c = d.columns
            parts += [
                (.init(p + "bdec_norms", .f32, [rows]), { try $0.append(d.bDecNorms) }),
                (.init(p + "col_ptr", .i64, [f + 1]), { try $0.append(UnsafeRawBufferPointer(c.colPtr)) }),
                (.init(p + "rows", .u32, [nnz]), { try $0.append(UnsafeRawBufferPointer(c.rows)) }),
                (.init(p + "values", .f32, [nnz]), { try $0.append(UnsafeRawBufferPointer(c.values)) }),
                (.init(p + "elasticity_sum", .f64, [f]), { try $0.append(d.elasticitySum) }),
                (.init(p + "alpha", .f32, [f]), { try $0.append(d.alpha) }),
                (.init(p + "encoder_norms", .f32, [f]), { try $0.append(d.encoderNorms) }),
                (.init(p + "decoder_norms", .f32, [f]), { try $0.append(d.decoderNorms) }),
                (.init(p + "enc_dec_cos", .f32, [f]), { try $0.append(d.encoderDecoderCosine) }),
            ]
        }
        let ordered = parts.enumerated().sorted { a, b in
            let wa = a.element.spec.dtype.bitSize, wb = b.element.spec.dtype.bitSize
            return wa != wb ? wa > wb : a.offset < b.offset
        }.map(\.element)
        let w = try SafetensorsStreamWriter(path: output, tensors: ordered.map(\.spec), metadataReserve: 8192 + 1024 * dictionaries.count)
        for part in ordered { try part.write(w) }
        w.metadata["saex_cache"] = try manifest.encoded()
        w.metadata["vocab.style"] = vocabulary.style.rawValue
        try w.finish()
    }
}
