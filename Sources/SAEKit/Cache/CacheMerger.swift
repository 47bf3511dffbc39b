import Foundation

/// Merges caches built from consecutive shards of one corpus into the cache one build would give.
///
/// The shards must share the dictionaries (names and fingerprints), the vocabulary, the sequence
/// length and the example options. Rows are concatenated in argument order; sparse columns are
/// concatenated with row offsets; top contexts, intervals and random picks are re-derived from the
/// merged columns (they depend only on the columns and the seed), so they equal a single build's.
/// Elasticity sums are added, which equals a single build up to floating-point summation order.
public enum CacheMerger {
    public static func merge(inputs: [String], output: String, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws {
        let caches = try inputs.map { try ContextCache(path: $0) }
        guard let first = caches.first else {
            throw SAEKitError(.badInput, path: nil, reason: "no caches to merge")
        }
        let m0 = first.manifest
        for (c, p) in zip(caches, inputs).dropFirst() {
            let m = c.manifest
            guard m.dictionaries.map(\.name) == m0.dictionaries.map(\.name), m.dictionaries.map(\.fingerprint) == m0.dictionaries.map(\.fingerprint) else {
                throw SAEKitError(.badInput, path: p, reason: "was built with other dictionaries than \(inputs[0])", remedy: "merge only shards built with the same --dict arguments")
            }
            guard m.sample.vocabularyFingerprint == m0.sample.vocabularyFingerprint else {
                throw SAEKitError(.badInput, path: p, reason: "was built with another vocabulary than \(inputs[0])", remedy: "use the same --vocab for every shard")
            }
            guard m.sample.sequenceLength == m0.sample.sequenceLength else {
                throw SAEKitError(.badInput, path: p, reason: "has sequence length \(m.sample.sequenceLength), \(inputs[0]) has \(m0.sample.sequenceLength)")
            }
            guard m.options == m0.options else {
                throw SAEKitError(.badInput, path: p, reason: "was built with other --top-k/--bins/--per-bin/--random/--seed than \(inputs[0])", remedy: "use the same options for every shard")
            }
        }
        let totalRows = caches.reduce(0) { $0 + $1.manifest.sample.rows }
        guard totalRows < Int(UInt32.max) else {
            throw SAEKitError(.unsupported, path: output, reason: "the merged sample would exceed 4 billion tokens")
        }
        var tokens: [Int32] = []
        var norms: [Float] = []
        tokens.reserveCapacity(totalRows)
        norms.reserveCapacity(totalRows)
        for c in caches {
            tokens.append(contentsOf: c.tokens)
            norms.append(contentsOf: c.norms)
        }
        var dicts: [DictionaryCacheData] = []
        for (di, d0) in first.dictionaries.enumerated() {
            progress("merge \(d0.descriptor.name)", di, first.dictionaries.count)
            let f = d0.featureCount
            var colPtr = [Int64](repeating: 0, count: f + 1)
            let nnz = caches.reduce(0) { $0 + $1.dictionaries[di].columns.nonzeroCount }
            var rows = [UInt32](repeating: 0, count: nnz)
            var values = [Float](repeating: 0, count: nnz)
            var k = 0
            for feat in 0..<f {
                var offset = 0
                for c in caches {
                    let cols = c.dictionaries[di].columns
                    for j in cols.range(feat) {
                        rows[k] = cols.rows[j] + UInt32(offset)
                        values[k] = cols.values[j]
                        k += 1
                    }
                    offset += c.manifest.sample.rows
                }
                colPtr[feat + 1] = Int64(k)
            }
            var bDec: [Float] = []
            var elasticity = [Double](repeating: 0, count: f)
            for c in caches {
                bDec.append(contentsOf: c.dictionaries[di].bDecNorms)
                for i in 0..<f { elasticity[i] += c.dictionaries[di].elasticitySum[i] }
            }
            var descriptor = d0.descriptor
            descriptor.path = RelativePath.of(first.dictionaryPath(di), fromFolderOf: output)
            dicts.append(DictionaryCacheData(
                descriptor: descriptor,
                columns: SparseColumns(rowCount: totalRows, featureCount: f, colPtr: colPtr, rows: rows, values: values),
                bDecNorms: bDec, elasticitySum: elasticity, alpha: Array(d0.alpha), encoderNorms: Array(d0.encoderNorms),
                decoderNorms: Array(d0.decoderNorms), encoderDecoderCosine: Array(d0.encoderDecoderCosine)))
        }
        var manifest = CacheManifest(options: m0.options)
        var h = DictionaryFingerprint()
        for c in caches { h.update(c.manifest.sample.activationsFingerprint) }
        let sequences = caches.reduce(0) { $0 + $1.manifest.sample.sequences }
        manifest.sample = CacheManifest.Sample(
            rows: totalRows, sequences: sequences, sequenceLength: m0.sample.sequenceLength,
            activationsPath: zip(caches, inputs).map { c, p in
                RelativePath.of(c.manifest.sample.activationsPath.hasPrefix("/") ? c.manifest.sample.activationsPath
                                : ((p as NSString).deletingLastPathComponent as NSString).appendingPathComponent(c.manifest.sample.activationsPath), fromFolderOf: output)
            }.joined(separator: " + "),
            activationsFingerprint: h.hex(),
            vocabularyPath: RelativePath.of(m0.sample.vocabularyPath.hasPrefix("/") ? m0.sample.vocabularyPath
                                            : ((inputs[0] as NSString).deletingLastPathComponent as NSString).appendingPathComponent(m0.sample.vocabularyPath), fromFolderOf: output), vocabularyFingerprint: m0.sample.vocabularyFingerprint,
            shards: caches.reduce(0) { $0 + $1.manifest.sample.shards })
        var display: [String] = []
        var special: [Bool] = []
        for id in 0..<first.vocabularySize {
            display.append(first.tokenText(Int32(id)))
            special.append(first.isSpecial(Int32(id)))
        }
        let vocab = Vocabulary(display: display, special: special, style: Vocabulary.Style(rawValue: first.vocabularyStyle) ?? .plain)
        let sample = SampleData(tokens: tokens, norms: norms, sequences: sequences, sequenceLength: m0.sample.sequenceLength)
        try CacheWriter.write(manifest: manifest, sample: sample, vocabulary: vocab, dictionaries: dicts, output: output, progress: progress)
    }
}
