import Foundation

/// Merges caches built from consecutive shards of one corpus into the cache one build would give.
///
/// The shards must share the dictionaries (names and fingerprints), the vocabulary, the sequence
/// length and the example options. Rows are concatenated in argument order; sparse columns are
/// concatenated with row offsets; top contexts, intervals and random picks are re-derived from the
/// merged columns (they depend only on the columns and the seed), so they equal a single build's.
///
/// The caches of all N parts of a `--shard I/N` build, given in order, merge into the same bytes as
/// a single build of the corpus: their exact elasticity sums are added exactly and the corpus
/// fingerprint is derived from the chunk digests the parts computed. Other caches (of separate
/// activation files) merge into what a build of those files as one list gives, up to the rounding of
/// the elasticity sums, which are then added as Doubles.
public enum CacheMerger {
    /// A run of inputs that stands for one build: a plain cache, or all parts of a --shard build.
    struct Unit {
        var caches: [ContextCache]
        var paths: [String]
        /// Activation files as paths relative to the merged output.
        var activationsPath: String
        var activationsFingerprint: String
        var files: Int
        var rows: Int { caches.reduce(0) { $0 + $1.manifest.sample.rows } }
    }

    public static func merge(inputs: [String], output: String, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws {
        let caches = try inputs.map { try ContextCache(path: $0) }
        guard let first = caches.first else {
            throw SAEKitError(.badInput, path: nil, reason: "no caches to merge")
        }
        let m0 = first.manifest
        for (c, p) in zip(caches, inputs).dropFirst() {
            let m = c.manifest
            guard m.dictionaries.map(\.name) == m0.dictionaries.map(\.name),
                m.dictionaries.map(\.fingerprint) == m0.dictionaries.map(\.fingerprint)
            else {
                throw SAEKitError(
                    .badInput, path: p, reason: "was built with other dictionaries than \(inputs[0])",
                    remedy: "merge only shards built with the same --dict arguments")
            }
            guard m.sample.vocabularyFingerprint == m0.sample.vocabularyFingerprint else {
                throw SAEKitError(
                    .badInput, path: p, reason: "was built with another vocabulary than \(inputs[0])",
                    remedy: "use the same --vocab for every shard")
            }
            guard m.sample.sequenceLength == m0.sample.sequenceLength else {
                throw SAEKitError(
                    .badInput, path: p,
                    reason: "has sequence length \(m.sample.sequenceLength), \(inputs[0]) has \(m0.sample.sequenceLength)")
            }
            guard m.options == m0.options else {
                throw SAEKitError(
                    .badInput, path: p, reason: "was built with other --top-k/--bins/--per-bin/--random/--seed than \(inputs[0])",
                    remedy: "use the same options for every shard")
            }
            guard m.unembed?.fingerprint == m0.unembed?.fingerprint, m.unembed?.count == m0.unembed?.count else {
                let say = { (u: CacheManifest.Unembed?) in u.map { "--unembed \($0.path)" } ?? "no --unembed" }
                throw SAEKitError(
                    .badInput, path: p, reason: "was built with \(say(m.unembed)), \(inputs[0]) with \(say(m0.unembed))",
                    remedy: "build every shard with the same --unembed (or none)")
            }
        }
        let units = try groupUnits(caches: caches, inputs: inputs, output: output)
        try refuseOverlaps(units)
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
        // The FVU's sums, when every input has them (caches built from activations by this saex).
        let reconstruction = caches.allSatisfy { c in c.inputSums != nil && c.dictionaries.allSatisfy { $0.residualSum != nil } }
        let dIn = m0.dictionaries.first?.dIn ?? 0
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
            for c in caches { bDec.append(contentsOf: c.dictionaries[di].bDecNorms) }
            let elasticity = try mergedSums(units, name: "d\(di).elasticity", shape: [f], layout: .float) {
                Array($0.dictionaries[di].elasticitySum)
            }
            let residual =
                reconstruction
                ? try mergedSums(units, name: "d\(di).residual", shape: [1], layout: .squares) {
                    [$0.dictionaries[di].residualSum ?? .nan]
                }[0] : nil
            var descriptor = d0.descriptor
            descriptor.path = RelativePath.of(first.dictionaryPath(di), fromFolderOf: output)
            // Logit effects depend on the weights and the unembedding only: every input holds the same.
            if let bad = zip(caches, inputs).first(where: { $0.0.dictionaries[di].logits != d0.logits }) {
                throw SAEKitError(
                    .badInput, path: bad.1, subject: "tensor \"d\(di).logit_pos_ids\"",
                    reason: "holds other logit effects than \(inputs[0]) for the same weights and unembedding",
                    remedy: "rebuild the shards with one saex")
            }
            dicts.append(
                DictionaryCacheData(
                    descriptor: descriptor,
                    columns: SparseColumns(rowCount: totalRows, featureCount: f, colPtr: colPtr, rows: rows, values: values),
                    bDecNorms: bDec, elasticitySum: elasticity, alpha: Array(d0.alpha), encoderNorms: Array(d0.encoderNorms),
                    decoderNorms: Array(d0.decoderNorms), encoderDecoderCosine: Array(d0.encoderDecoderCosine), residualSum: residual))
            dicts[dicts.count - 1].logits = d0.logits
        }
        var manifest = CacheManifest(options: m0.options)
        let sequences = caches.reduce(0) { $0 + $1.manifest.sample.sequences }
        manifest.sample = CacheManifest.Sample(
            rows: totalRows, sequences: sequences, sequenceLength: m0.sample.sequenceLength,
            activationsPath: units.map(\.activationsPath).joined(separator: " + "),
            activationsFingerprint: units.count == 1
                ? units[0].activationsFingerprint : CacheBuilder.corpusFingerprint(units.map(\.activationsFingerprint)),
            vocabularyPath: RelativePath.of(resolve(m0.sample.vocabularyPath, besideCache: inputs[0]), fromFolderOf: output),
            vocabularyFingerprint: m0.sample.vocabularyFingerprint,
            shards: units.reduce(0) { $0 + $1.files })
        if var u = m0.unembed {
            u.path = RelativePath.of(resolve(u.path, besideCache: inputs[0]), fromFolderOf: output)
            manifest.unembed = u
        }
        var display: [String] = []
        var special: [Bool] = []
        var bytes: [[UInt8]] = []
        for id in 0..<first.vocabularySize {
            display.append(first.tokenText(Int32(id)))
            special.append(first.isSpecial(Int32(id)))
            bytes.append(first.tokenBytes(Int32(id)))
        }
        let style = Vocabulary.Style(rawValue: first.vocabularyStyle) ?? .plain
        let vocab = Vocabulary(display: display, special: special, style: style, bytes: style == .byteLevel ? bytes : nil)
        var sample = SampleData(
            rows: totalRows, tokens: TensorBytes(tokens), norms: TensorBytes(norms), sequences: sequences,
            sequenceLength: m0.sample.sequenceLength)
        if reconstruction {
            sample.inputSums = try mergedSums(units, name: "sample.input_sums", shape: [2, dIn], layout: .squares) {
                Array($0.inputSums ?? .init(start: nil, count: 0))
            }
        }
        try CacheWriter.write(
            manifest: manifest, sample: sample, vocabulary: vocab, dictionaries: dicts, output: output, progress: progress)
    }

    /// A path stored in the cache at `cachePath`, as a path usable from here.
    static func resolve(_ stored: String, besideCache cachePath: String) -> String {
        stored.hasPrefix("/") ? stored : ((cachePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(stored)
    }

    /// Splits the inputs into units: consecutive parts of one --shard build (which must be complete
    /// and in order) and plain caches.
    static func groupUnits(caches: [ContextCache], inputs: [String], output: String) throws -> [Unit] {
        var units: [Unit] = []
        var i = 0
        while i < caches.count {
            let c = caches[i], p = inputs[i]
            guard let rec = c.manifest.sample.shard else {
                let stored = c.manifest.sample.activationsPath.components(separatedBy: " + ")
                units.append(
                    Unit(
                        caches: [c], paths: [p],
                        activationsPath: stored.map { RelativePath.of(resolve($0, besideCache: p), fromFolderOf: output) }.joined(
                            separator: " + "),
                        activationsFingerprint: c.manifest.sample.activationsFingerprint, files: c.manifest.sample.shards))
                i += 1
                continue
            }
            let corpus = rec.files.map { RelativePath.absolute(resolve($0.path, besideCache: p)) }
            guard rec.index == 0 else {
                throw SAEKitError(
                    .badInput, path: p,
                    reason: "is part \(rec.index)/\(rec.count) of a --shard build, but part 0/\(rec.count) does not come before it",
                    remedy: "give all \(rec.count) parts in order (0 to \(rec.count - 1))")
            }
            var group = [c], groupPaths = [p]
            for j in 1..<rec.count {
                let k = i + j
                guard k < caches.count, let r = caches[k].manifest.sample.shard, r.index == j, r.count == rec.count,
                    r.files.map({ RelativePath.absolute(resolve($0.path, besideCache: inputs[k])) }) == corpus,
                    r.files.map(\.bytes) == rec.files.map(\.bytes)
                else {
                    throw SAEKitError(
                        .badInput, path: k < inputs.count ? inputs[k] : p,
                        reason:
                            "part \(j)/\(rec.count) of the --shard build \(p) belongs to is not \(k < inputs.count ? "this cache" : "given")",
                        remedy: "give all \(rec.count) parts of one build in order (0 to \(rec.count - 1))")
                }
                group.append(caches[k])
                groupPaths.append(inputs[k])
            }
            let seqs = group.reduce(0) { $0 + $1.manifest.sample.sequences }
            guard seqs == rec.corpusSequences else {
                throw SAEKitError(
                    .badInput, path: p, reason: "the \(rec.count) parts hold \(seqs) sequences, the corpus has \(rec.corpusSequences)",
                    remedy: "rebuild the parts with the same activations")
            }
            // Each file's fingerprint from the chunk digests the parts computed, in order.
            var fingerprints: [String] = []
            for (fi, file) in rec.files.enumerated() {
                var digests: [UInt64] = []
                for (g, gp) in zip(group, groupPaths) {
                    let cf = g.manifest.sample.shard!.files[fi]
                    guard cf.digests.isEmpty || cf.firstChunk == digests.count else {
                        throw SAEKitError(
                            .badInput, path: gp, subject: "__metadata__.saex_cache.sample.shard",
                            reason: "the chunk digests of \(file.path) do not follow on",
                            remedy: "rebuild the parts with one saex and the same activations")
                    }
                    for h in cf.digests {
                        guard let v = FileDigests.parseHex(h) else {
                            throw SAEKitError(
                                .badInput, path: gp, subject: "__metadata__.saex_cache.sample.shard",
                                reason: "holds a malformed chunk digest",
                                remedy: "rebuild the part")
                        }
                        digests.append(v)
                    }
                }
                guard digests.count == FileDigests.chunkCount(file.bytes) else {
                    throw SAEKitError(
                        .badInput, path: p, subject: "__metadata__.saex_cache.sample.shard",
                        reason: "the parts hashed \(digests.count) of the \(FileDigests.chunkCount(file.bytes)) chunks of \(file.path)",
                        remedy: "rebuild the parts with one saex and the same activations")
                }
                var h = DictionaryFingerprint()
                h.update(chunkDigests: digests, byteCount: file.bytes)
                fingerprints.append(h.hex())
            }
            units.append(
                Unit(
                    caches: group, paths: groupPaths,
                    activationsPath: corpus.map { RelativePath.of($0, fromFolderOf: output) }.joined(separator: " + "),
                    activationsFingerprint: CacheBuilder.corpusFingerprint(fingerprints), files: rec.files.count))
            i += rec.count
        }
        return units
    }

    /// Refuses units that hold the same tokens twice: the same activation fingerprint (the same
    /// cache given twice, or a plain build and a --shard build of one corpus), or an activation
    /// file in common. Every context would otherwise be counted twice.
    static func refuseOverlaps(_ units: [Unit]) throws {
        var seen: [String: String] = [:]
        var files: [String: String] = [:]
        for u in units {
            let name = u.paths.count == 1 ? u.paths[0] : "\(u.paths[0]) (with its other parts)"
            if let other = seen[u.activationsFingerprint] {
                throw SAEKitError(
                    .badInput, path: name,
                    reason: "was built from the same activations as \(other) (fingerprint \(u.activationsFingerprint)); "
                        + "merging would count every context twice", remedy: "give each part of the corpus once")
            }
            seen[u.activationsFingerprint] = name
            for f in u.activationsPath.components(separatedBy: " + ") where !f.isEmpty {
                if let other = files[f], other != name {
                    throw SAEKitError(
                        .badInput, path: name,
                        reason: "shares the activation file \(f) with \(other); merging would count its contexts twice",
                        remedy: "give each part of the corpus once")
                }
                files[f] = name
            }
        }
    }

    /// Sums over the units, `shape` of them: a --shard build's exact sums (tensor `NAME_exact`,
    /// shape + [slots] of `layout`) added exactly and rounded once (the single build's values), a
    /// plain cache's stored sums (`stored`); the units' sums are then added in order.
    static func mergedSums(
        _ units: [Unit], name: String, shape: [Int], layout: ExactSums.Layout,
        stored: (ContextCache) -> [Double]
    ) throws -> [Double] {
        let count = shape.reduce(1, *)
        var total = [Double](repeating: 0, count: count)
        for u in units {
            let sums = try unitSums(u, name: name, shape: shape, layout: layout, stored: stored)
            for i in 0..<count { total[i] += sums[i] }
        }
        return total
    }

    static func unitSums(
        _ u: Unit, name: String, shape: [Int], layout: ExactSums.Layout,
        stored: (ContextCache) -> [Double]
    ) throws -> [Double] {
        guard u.caches[0].manifest.sample.shard != nil else { return stored(u.caches[0]) }
        let count = shape.reduce(1, *)
        let total = ExactSums(count: count, layout: layout)
        for (c, p) in zip(u.caches, u.paths) {
            let tensor = name + "_exact"
            guard let t = c.file.tensor(tensor), t.dtype == .i64, t.shape == shape + [layout.slots],
                let part = ExactSums(count: count, layout: layout, storage: try t.int64s())
            else {
                throw SAEKitError(
                    .badInput, path: p, subject: "tensor \"\(tensor)\"", reason: "missing or malformed in a --shard part",
                    remedy: "rebuild the part with saex cache build --shard")
            }
            total.add(part)
        }
        return total.values()
    }
}
