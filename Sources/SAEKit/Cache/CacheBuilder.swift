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

/// Builds a context cache: encodes every token with every dictionary and keeps what the explorer shows.
///
/// Memory stays bounded whatever the corpus size (`CacheOptions.memoryLimit`): activations are read
/// a batch at a time and their mapped pages released once encoded, per-row values and nonzeros go
/// to a spill folder beside the output (removed on success and on failure) once their buffers are
/// full, and the columns are assembled from the spilled runs while the cache is written. The cache
/// is the same bytes whatever the limit.
public enum CacheBuilder {
    public typealias ProgressHandler = (_ stage: String, _ done: Int, _ total: Int) -> Void

    /// Encodes `input` with each dictionary and writes the cache to `output` (docs/FORMATS.md).
    public static func build(
        dictionaries: [NamedDictionary], input: ActivationFile, vocabulary: Vocabulary, vocabularyPath: String,
        unembedding: Unembedding? = nil, options: CacheOptions = CacheOptions(), output: String,
        progress: ProgressHandler = { _, _, _ in }
    ) throws {
        try build(
            dictionaries: dictionaries, corpus: try ActivationCorpus(files: [input]), vocabulary: vocabulary,
            vocabularyPath: vocabularyPath,
            unembedding: unembedding, options: options, output: output, progress: progress)
    }

    /// Encodes the corpus (or part `shard` of it) with each dictionary and writes the cache to `output`.
    /// The caches of all N parts, merged with `CacheMerger`, are the same bytes as a build of the whole.
    /// With `unembedding`, every feature's logit effects are computed and stored too (`LogitTable`).
    public static func build(
        dictionaries: [NamedDictionary], corpus: ActivationCorpus, shard: ShardSpec? = nil, vocabulary: Vocabulary,
        vocabularyPath: String, unembedding: Unembedding? = nil, options: CacheOptions = CacheOptions(),
        output: String, progress: ProgressHandler = { _, _, _ in }
    ) throws {
        try validate(dictionaries: dictionaries, corpus: corpus, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        if let unembedding {
            try validate(unembedding: unembedding, dictionaries: dictionaries, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        }
        let part = try partRows(sequences: corpus.sequences, sequenceLength: corpus.sequenceLength, shard: shard)
        try checkTokens(corpus: corpus, rows: part.rows, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        // The logit effects first, before the encode buffers exist (they need only the weights).
        let logits = unembedding.map { logitTables(dictionaries, $0, progress: progress) }
        let dIn = corpus.dIn
        let gated = dictionaries.contains { $0.dictionary.rule.isGated }
        let plan = BuildMemoryPlan(options: options, featureCounts: dictionaries.map(\.dictionary.dSAE), dIn: dIn, gated: gated)
        let folder = SpillFolder(output: output)
        defer { folder.remove() }
        let acc = CacheAccumulator(featureCounts: dictionaries.map(\.dictionary.dSAE), plan: plan, folder: folder, reconstructionDIn: dIn)
        let encoders = dictionaries.map { FeatureEncoder($0.dictionary) }
        let elastic = encoders.map { ElasticityCalculator($0) }
        let maxF = dictionaries.map(\.dictionary.dSAE).max() ?? 1
        let batch = plan.batch
        // Every product has at least `BLAS.stableRows` rows, so that a row's values do not depend on
        // where batches, files or --shard parts end.
        let minimumRows = BLAS.stableRows
        let capacity = max(batch, minimumRows)

        let x = UnsafeMutablePointer<Float>.allocate(capacity: capacity * dIn)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: capacity * dIn)
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: capacity * maxF)
        let acts = UnsafeMutablePointer<Float>.allocate(capacity: capacity * maxF)
        let gate = UnsafeMutablePointer<Float>.allocate(capacity: gated ? capacity * maxF : 1)
        // One token's reconstruction from its nonzeros, for the FVU.
        let xHat = UnsafeMutablePointer<Float>.allocate(capacity: dIn)
        defer { x.deallocate(); u.deallocate(); pre.deallocate(); acts.deallocate(); gate.deallocate(); xHat.deallocate() }
        var tokens = [Int32](repeating: -1, count: batch)

        let total = part.rows.count
        var done = 0
        progress("encode", 0, total)
        for seg in corpus.segments(rows: part.rows) {
            let file = corpus.files[seg.file]
            var start = seg.rows.lowerBound
            while start < seg.rows.upperBound {
                let n = min(batch, seg.rows.upperBound - start)
                try file.copyRows(start..<(start + n), into: x)
                let m = max(n, minimumRows)
                if m > n { (x + n * dIn).initialize(repeating: 0, count: (m - n) * dIn) }
                let ids = try file.tokenIDs(rows: start..<(start + n)) ?? []
                for r in 0..<n {
                    tokens[r] = ids[r] < 0 ? -1 : Int32(ids[r])
                    try acc.appendSample(token: tokens[r], norm: tokens[r] >= 0 ? BLAS.norm(dIn, x + r * dIn) : 0)
                    if tokens[r] >= 0 { acc.moments?.add(row: x + r * dIn) }
                }
                for (di, nd) in dictionaries.enumerated() {
                    let d = nd.dictionary
                    let enc = encoders[di]
                    let f = d.dSAE
                    let transform = enc.prepareInput(x, rows: m, into: u)
                    enc.preActivations(u, rows: m, into: pre, gate: d.rule.isGated ? gate : nil)
                    enc.activate(pre, rows: m, into: acts, gate: d.rule.isGated ? UnsafePointer(gate) : nil)
                    let columns = acc.columns[di], sums = acc.elasticity[di], calc = elastic[di], residual = acc.residuals[di]
                    for r in 0..<n {
                        guard tokens[r] >= 0 else {
                            try acc.bDecNorms[di].append(0)
                            try columns.endRow()
                            continue
                        }
                        var s: Double = 0
                        d.bDec.withUnsafeBufferPointer { b in
                            for j in 0..<dIn { let v = Double(x[r * dIn + j] - b[j]); s += v * v }
                        }
                        try acc.bDecNorms[di].append(Float(s.squareRoot()))
                        let terms = calc.rowTerms(u + r * dIn)
                        let p = pre + r * f
                        // x_hat = f W_dec + b_dec (normalisation undone) from the row's nonzeros: L0 x d_in.
                        xHat.initialize(repeating: 0, count: dIn)
                        try columns.appendRow(acts + r * f) { i, a in
                            sums.add(calc.value(feature: i, pre: p[i], row: terms), to: i)
                            enc.accumulate(feature: i, activation: a, into: xHat)
                        }
                        enc.finishReconstruction(xHat, transform: transform, row: r)
                        residual.add(FVU.squaredError(x: x + r * dIn, xHat: xHat, dIn: dIn), to: 0)
                    }
                }
                file.releaseRows(start..<(start + n))
                start += n
                done += n
                progress("encode", done, total)
            }
        }

        let sample = try sampleDescription(
            paths: corpus.files.map(\.path), corpusSequences: corpus.sequences, sequenceLength: corpus.sequenceLength,
            shard: shard, part: part, vocabularyPath: vocabularyPath, output: output)
        try write(
            acc, dictionaries: dictionaries, encoders: encoders, logits: logits, sample: sample, keepExact: shard != nil,
            unembedding: unembedding, vocabulary: vocabulary, options: options, output: output, progress: progress)
    }

    /// Writes the cache once every row is accumulated: each dictionary's columns and statistics, the
    /// manifest with `sample` and the unembedding's record, and the sample's tensors.
    static func write(
        _ acc: CacheAccumulator, dictionaries: [NamedDictionary], encoders: [FeatureEncoder], logits: [LogitTable]?,
        sample: CacheManifest.Sample, keepExact: Bool, unembedding: Unembedding?, vocabulary: Vocabulary,
        options: CacheOptions, output: String, progress: ProgressHandler
    ) throws {
        let data = try dictionaries.indices.map { di in
            try dictionaryData(
                acc, di, dictionaries[di], encoder: encoders[di], keepExact: keepExact, logits: logits?[di], output: output)
        }
        var manifest = CacheManifest(options: options)
        manifest.sample = sample
        manifest.unembed = try unembedding.map { try unembedRecord($0, output: output) }
        let tensors = try acc.sampleData(sequences: sample.sequences, sequenceLength: sample.sequenceLength, keepExact: keepExact)
        try CacheWriter.write(
            manifest: manifest, sample: tensors, vocabulary: vocabulary, dictionaries: data, output: output, progress: progress)
    }

    /// What the writer needs of dictionary `di`: its columns and sums from `acc`, and its weights' statistics.
    static func dictionaryData(
        _ acc: CacheAccumulator, _ di: Int, _ nd: NamedDictionary, encoder enc: FeatureEncoder, keepExact: Bool,
        logits: LogitTable?, output: String
    ) throws -> DictionaryCacheData {
        let d = nd.dictionary
        let cosEncDec = encoderDecoderCosines(d, encoderNorms: enc.encoderNorms, decoderNorms: enc.decoderNorms)
        var descriptor = CacheManifest.Dictionary(d, name: nd.name)
        descriptor.path = RelativePath.of(d.metadata.path, fromFolderOf: output)
        var data = try acc.dictionaryData(
            di, descriptor: descriptor, keepExact: keepExact, alpha: (0..<d.dSAE).map { d.alpha($0) },
            encoderNorms: enc.encoderNorms, decoderNorms: enc.decoderNorms, encoderDecoderCosine: cosEncDec)
        data.logits = logits
        return data
    }

    /// Each dictionary's logit effects through `u`.
    static func logitTables(_ dictionaries: [NamedDictionary], _ u: Unembedding, progress: ProgressHandler) -> [LogitTable] {
        dictionaries.map { nd in
            let d = nd.dictionary
            return LogitTable.compute(decoder: d.wDec.pointer, features: d.dSAE, dIn: d.dIn, unembedding: u) { done, total in
                progress("logits \(nd.name)", done, total)
            }
        }
    }

    /// Refuses an unembedding that does not fit the dictionaries (d_model != d_in) or the vocabulary
    /// (fewer logits than tokens: another model's), before any work.
    static func validate(
        unembedding u: Unembedding, dictionaries: [NamedDictionary], vocabulary: Vocabulary,
        vocabularyPath: String
    ) throws {
        for nd in dictionaries where nd.dictionary.dIn != u.dModel {
            throw SAEKitError(
                .badInput, path: u.path, subject: "tensor \"W_U\"",
                reason: "has d_model = \(u.dModel) but dictionary \"\(nd.name)\" (\(nd.dictionary.metadata.path)) "
                    + "has d_in = \(nd.dictionary.dIn)",
                remedy: "logit effects need a residual-stream dictionary of the model this unembedding belongs to")
        }
        guard u.dVocab >= vocabulary.display.count else {
            throw SAEKitError(
                .badInput, path: u.path, subject: "tensor \"W_U\"",
                reason: "scores \(u.dVocab) tokens but the vocabulary \(vocabularyPath) has \(vocabulary.display.count)",
                remedy: "give the unembedding of the model whose tokenizer is --vocab")
        }
    }

    /// The manifest's record of the unembedding: its path relative to the output and its fingerprint.
    static func unembedRecord(_ u: Unembedding, output: String) throws -> CacheManifest.Unembed {
        CacheManifest.Unembed(
            path: RelativePath.of(u.path, fromFolderOf: output), fingerprint: try fileFingerprint(u.path),
            modelName: u.modelName,
            dModel: u.dModel, dVocab: u.dVocab, finalNorm: u.finalNorm.rawValue, weightOffset: u.weightOffset,
            count: LogitTable.defaultCount)
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

    /// The sequences and rows a build covers: all of the corpus, or part `shard` of it.
    public static func partRows(sequences: Int, sequenceLength L: Int, shard: ShardSpec?) throws -> (
        sequences: Range<Int>, rows: Range<Int>
    ) {
        guard let shard else { return (0..<sequences, 0..<(sequences * L)) }
        guard shard.count <= sequences else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--shard \(shard)",
                reason: "the activations hold \(sequences) sequences, too few for \(shard.count) parts of whole sequences",
                remedy: "use at most \(sequences) parts")
        }
        let s = shard.sequences(of: sequences)
        return (s, (s.lowerBound * L)..<(s.upperBound * L))
    }

    /// The manifest's sample: paths relative to the output; the fingerprint of the corpus (of one
    /// file: its bytes' digest; of several: the digest of theirs), or for a --shard part its own
    /// digest and a record of the chunk digests it computed, from which a merge of all parts derives
    /// the corpus fingerprint (each part reads only its share of the files to hash them).
    static func sampleDescription(
        paths inputs: [String], corpusSequences: Int, sequenceLength: Int, shard: ShardSpec?,
        part: (sequences: Range<Int>, rows: Range<Int>), vocabularyPath: String, output: String
    ) throws -> CacheManifest.Sample {
        let paths = inputs.map { RelativePath.of($0, fromFolderOf: output) }
        var sample = CacheManifest.Sample(
            rows: part.rows.count, sequences: part.sequences.count, sequenceLength: sequenceLength,
            activationsPath: paths.joined(separator: " + "), activationsFingerprint: "",
            vocabularyPath: RelativePath.of(vocabularyPath, fromFolderOf: output),
            vocabularyFingerprint: try fileFingerprint(vocabularyPath),
            shards: inputs.count)
        guard let shard else {
            sample.activationsFingerprint = corpusFingerprint(try inputs.map { try fileFingerprint($0) })
            return sample
        }
        let sizes = try inputs.map { try FileDigests.size($0) }
        let chunkCounts = sizes.map(FileDigests.chunkCount)
        let totalChunks = chunkCounts.reduce(0, +)
        let mine = (shard.index * totalChunks / shard.count)..<((shard.index + 1) * totalChunks / shard.count)
        var files: [CacheManifest.ShardRecord.CorpusFile] = []
        var h = DictionaryFingerprint()
        h.update("shard \(shard)")
        var first = 0
        for (i, f) in inputs.enumerated() {
            let lo = max(mine.lowerBound, first), hi = min(mine.upperBound, first + chunkCounts[i])
            let local = lo < hi ? (lo - first)..<(hi - first) : 0..<0
            let digests = try FileDigests.digests(path: f, size: sizes[i], chunks: local).map(FileDigests.hex)
            files.append(.init(path: paths[i], bytes: sizes[i], firstChunk: local.lowerBound, digests: digests))
            h.update(paths[i])
            h.update(String(sizes[i]))
            for d in digests { h.update(d) }
            first += chunkCounts[i]
        }
        sample.activationsFingerprint = h.hex()
        sample.shard = CacheManifest.ShardRecord(index: shard.index, count: shard.count, corpusSequences: corpusSequences, files: files)
        return sample
    }

    /// The fingerprint of a corpus from its files' fingerprints: a single file's own, else the digest of all.
    static func corpusFingerprint(_ files: [String]) -> String {
        if files.count == 1 { return files[0] }
        var h = DictionaryFingerprint()
        for f in files { h.update(f) }
        return h.hex()
    }

    static func validate(dictionaries: [NamedDictionary], corpus: ActivationCorpus, vocabulary: Vocabulary, vocabularyPath: String) throws {
        guard !dictionaries.isEmpty else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--dict", reason: "no dictionary given", remedy: "add --dict NAME=PATH (one or more)")
        }
        var seen = Set<String>()
        let input = corpus.files[0]
        for nd in dictionaries {
            guard !nd.name.isEmpty, nd.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw SAEKitError(
                    .badInput, path: nil, subject: "--dict \(nd.name)=...", reason: "a name may hold letters, digits, '_' and '-' only")
            }
            guard seen.insert(nd.name).inserted else {
                throw SAEKitError(
                    .badInput, path: nil, subject: "--dict \(nd.name)=...", reason: "the name is used twice",
                    remedy: "give each dictionary its own name")
            }
            guard nd.dictionary.dIn == corpus.dIn else {
                throw SAEKitError(
                    .badInput, path: input.path, subject: "tensor \"\(input.activations.name)\"",
                    reason:
                        "has d_in = \(input.dIn) but dictionary \"\(nd.name)\" (\(nd.dictionary.metadata.path)) expects \(nd.dictionary.dIn)",
                    remedy: "use activations from the hook the dictionary was trained on")
            }
        }
        guard corpus.rows < Int(UInt32.max) else {
            throw SAEKitError(
                .unsupported, path: input.path, reason: "the activations hold more than 4 billion tokens",
                remedy: "build parts with --shard I/N (each under 4 billion tokens) and merge the caches")
        }
        guard !vocabulary.display.isEmpty else {
            throw SAEKitError(.badInput, path: vocabularyPath, reason: "holds no tokens")
        }
    }

    /// Refuses a missing tokens tensor or a token id outside the vocabulary before any encoding,
    /// reading the ids a window at a time.
    static func checkTokens(corpus: ActivationCorpus, rows: Range<Int>, vocabulary: Vocabulary, vocabularyPath: String) throws {
        let v = Int64(vocabulary.display.count)
        for seg in corpus.segments(rows: rows) {
            let input = corpus.files[seg.file]
            var start = seg.rows.lowerBound
            while start < seg.rows.upperBound {
                let end = min(seg.rows.upperBound, start + (1 << 20))
                guard let ids = try input.tokenIDs(rows: start..<end) else {
                    throw SAEKitError(
                        .badInput, path: input.path, subject: "tensor \"tokens\"", reason: "missing: contexts need the token ids",
                        remedy: "store tokens [n_seq, seq_len] in the file or give --tokens FILE")
                }
                if let k = ids.firstIndex(where: { $0 >= v }) {
                    let i = start + k
                    let seq = i / max(1, input.sequenceLength), pos = i % max(1, input.sequenceLength)
                    throw SAEKitError(
                        .badInput, path: input.path, subject: "tokens[\(seq), \(pos)]",
                        reason: "token id \(ids[k]) is outside the vocabulary of \(vocabularyPath) (\(v) tokens)",
                        remedy: "give the tokenizer of the model that produced the activations")
                }
                if let t = input.tokens, let w = t.dtype.byteSize { releaseMapped(t, byteRange: (start * w)..<(end * w)) }
                start = end
            }
        }
    }

    /// Digest of a file's bytes, read through a bounded buffer (the same digest as hashing it mapped).
    public static func fileFingerprint(_ path: String) throws -> String {
        let size = try FileDigests.size(path)
        var h = DictionaryFingerprint()
        h.update(chunkDigests: try FileDigests.digests(path: path, size: size, chunks: 0..<FileDigests.chunkCount(size)), byteCount: size)
        return h.hex()
    }
}
