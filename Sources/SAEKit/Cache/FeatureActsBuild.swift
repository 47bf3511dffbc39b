import Foundation

/// The CPU cross-check of sparse feature activations written elsewhere (a GPU, another library):
/// saex re-encodes each file's check sample (`check.activations`) with its own encoder and compares.
///
/// Tolerance (docs/FORMATS.md): two numbers a (the file's) and b (saex's) agree when
/// |a - b| <= rtol * (|b| + s), where s is the largest |pre-activation| saex computes on that
/// token (an absolute floor for values near zero) and rtol is 1e-3 for files encoded in F32, 1e-2 in
/// F16 and 3e-2 in BF16 (the file's `dtype`). An entry active on one side only (a flip at the
/// activation rule's boundary) is allowed only when saex's pre-activation lies within the same
/// tolerance of that boundary: the threshold (JumpReLU, BatchTopK), 0 (ReLU; gated: the gate or the
/// magnitude), the k-th largest pre-activation of the token (TopK). Values, pre-activations of
/// entries active on both sides, the input norm, ||u|| and ||x - b_dec|| are compared.
public enum FeatureActsCheck {
    public static func relativeTolerance(dtype: String?) -> Float {
        switch dtype?.lowercased() {
        case "f16", "float16": return 1e-2
        case "bf16", "bfloat16": return 3e-2
        default: return 1e-3
        }
    }

    /// The worst disagreement found, as a multiple of the tolerance (<= 1 agrees).
    public struct Worst: Sendable {
        public var ratio: Float = 0
        public var dictionary = ""
        public var feature = -1
        public var row = 0
        public var what = ""
    }

    /// Re-encodes `file`'s check sample with every dictionary and throws one line naming the worst
    /// disagreement beyond the tolerance; returns the worst ratio otherwise.
    @discardableResult
    public static func run(_ file: FeatureActsFile, dictionaries: [NamedDictionary]) throws -> Worst {
        let rtol = relativeTolerance(dtype: file.meta.dtype)
        let m = file.checkRows.count
        let dIn = file.meta.dIn
        var worst = Worst()
        guard m > 0 else { return worst }
        let rowsForGemm = max(m, 16)
        var x = [Float](repeating: 0, count: rowsForGemm * dIn)
        for k in 0..<(m * dIn) { x[k] = file.checkActivations[k] }
        func consider(_ ratio: Float, _ dict: String, _ feature: Int, _ row: Int, _ what: String) {
            if ratio > worst.ratio || ratio.isNaN {
                worst = Worst(ratio: ratio.isNaN ? .infinity : ratio, dictionary: dict, feature: feature, row: row, what: what)
            }
        }
        func agreement(_ a: Float, _ b: Float, scale: Float) -> Float { abs(a - b) / max(rtol * (abs(b) + scale), .leastNormalMagnitude) }
        // The input norms of the sample.
        for k in 0..<m {
            let row = Int(file.checkRows[k])
            let n = x.withUnsafeBufferPointer { BLAS.norm(dIn, $0.baseAddress! + k * dIn) }
            consider(agreement(file.norms[row], n, scale: 0), "", -1, row, "norms: the file has \(file.norms[row]), saex computes \(n)")
        }
        for nd in dictionaries {
            let part = try file.part(for: nd)
            let d = nd.dictionary
            let f = d.dSAE
            let enc = FeatureEncoder(d)
            let calc = ElasticityCalculator(enc)
            var u = [Float](repeating: 0, count: rowsForGemm * dIn)
            var pre = [Float](repeating: 0, count: rowsForGemm * f)
            var acts = [Float](repeating: 0, count: rowsForGemm * f)
            var gate = [Float](repeating: 0, count: d.rule.isGated ? rowsForGemm * f : 0)
            x.withUnsafeBufferPointer { xp in
                u.withUnsafeMutableBufferPointer { up in
                    pre.withUnsafeMutableBufferPointer { pp in
                        acts.withUnsafeMutableBufferPointer { ap in
                            gate.withUnsafeMutableBufferPointer { gp in
                                let g = d.rule.isGated ? gp.baseAddress : nil
                                enc.prepareInput(xp.baseAddress!, rows: rowsForGemm, into: up.baseAddress!)
                                enc.preActivations(UnsafePointer(up.baseAddress!), rows: rowsForGemm, into: pp.baseAddress!, gate: g)
                                enc.activate(
                                    UnsafePointer(pp.baseAddress!), rows: rowsForGemm, into: ap.baseAddress!,
                                    gate: g.map { UnsafePointer($0) })
                            }
                        }
                    }
                }
            }
            for k in 0..<m {
                let row = Int(file.checkRows[k])
                let p = pre[(k * f)..<((k + 1) * f)]
                let scale = p.reduce(Float(0)) { max($0, abs($1)) }
                // The rule's boundary per feature (for flips).
                var kth: Float = 0
                if case .topK(let kk) = d.rule {
                    let sorted = p.sorted(by: >)
                    kth = max(0, sorted[min(kk, f) - 1])
                }
                func boundaryRatio(_ i: Int) -> Float {
                    let v = pre[k * f + i]
                    switch d.rule {
                    case .relu: return agreement(v, 0, scale: scale)
                    case .jumpReLU(let thresholds): return agreement(v, max(0, thresholds[i]), scale: scale)
                    case .batchTopKThreshold(let t): return agreement(v, max(0, Float(t)), scale: scale)
                    case .topK: return agreement(v, kth, scale: scale)
                    case .gated: return min(agreement(gate[k * f + i], 0, scale: scale), agreement(v, 0, scale: scale))
                    }
                }
                let terms = u.withUnsafeBufferPointer { calc.rowTerms($0.baseAddress! + k * dIn) }
                consider(
                    agreement(part.uNorm[row], terms.norm, scale: 0), nd.name, -1, row,
                    "\(nd.name).u_norm: the file has \(part.uNorm[row]), saex computes \(terms.norm)")
                var bd: Double = 0
                for j in 0..<dIn { let v = Double(x[k * dIn + j] - d.bDec[j]); bd += v * v }
                consider(
                    agreement(part.bDecNorms[row], Float(bd.squareRoot()), scale: 0), nd.name, -1, row,
                    "\(nd.name).bdec_norms: the file has \(part.bDecNorms[row]), saex computes \(Float(bd.squareRoot()))")
                let lo = Int(part.rowPtr[row]), hi = Int(part.rowPtr[row + 1])
                var e = lo
                for i in 0..<f {
                    let mine = acts[k * f + i]
                    var theirs: Float = 0, theirPre: Float = 0
                    if e < hi && Int(part.features[e]) == i {
                        theirs = part.values[e]
                        theirPre = part.pre[e]
                        e += 1
                    }
                    if mine == 0 && theirs == 0 { continue }
                    if mine != 0 && theirs != 0 {
                        consider(
                            agreement(theirs, mine, scale: scale), nd.name, i, row, "the file has \(theirs), saex's encoder gives \(mine)")
                        consider(
                            agreement(theirPre, pre[k * f + i], scale: scale), nd.name, i, row,
                            "the file's pre-activation is \(theirPre), saex's \(pre[k * f + i])")
                    } else {
                        consider(
                            boundaryRatio(i), nd.name, i, row,
                            "the file has \(theirs), saex's encoder gives \(mine) (pre-activation \(pre[k * f + i]))")
                    }
                }
            }
        }
        if worst.ratio > 1 {
            let L = file.sequenceLength
            let token = "token (sequence \(worst.row / L), position \(worst.row % L))"
            let subject = worst.feature >= 0 ? "dictionary \"\(worst.dictionary)\" feature \(worst.feature) at \(token)" : "\(token)"
            throw SAEKitError(
                .badInput, path: file.path, subject: subject,
                reason: "\(worst.what), \(String(format: "%.3g", worst.ratio)) times the tolerance (rtol \(rtol), docs/FORMATS.md)",
                remedy: "these activations were not encoded as saex encodes them; check the dump's --encode dictionaries and dtype")
        }
        return worst
    }
}

extension CacheBuilder {
    /// Builds a cache from sparse feature activations (`--feature-acts`), without encoding: token
    /// ids, norms, every dictionary's nonzeros, pre-activations (for the elasticity sums) and per-row
    /// terms come from the files, after each file's check sample has passed `FeatureActsCheck`.
    /// Files are one corpus, in the order given; `shard` builds one part as `build(corpus:)` does.
    public static func build(
        dictionaries: [NamedDictionary], featureFiles files: [FeatureActsFile], shard: ShardSpec? = nil,
        vocabulary: Vocabulary, vocabularyPath: String, unembedding: Unembedding? = nil,
        options: CacheOptions = CacheOptions(), output: String, progress: ProgressHandler = { _, _, _ in }
    ) throws {
        guard let first = files.first else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--feature-acts", reason: "no file given",
                remedy: "give one or more OUT.features.safetensors files")
        }
        guard !dictionaries.isEmpty else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--dict", reason: "no dictionary given", remedy: "add --dict NAME=PATH (one or more)")
        }
        for f in files.dropFirst() where f.sequenceLength != first.sequenceLength || f.meta.dIn != first.meta.dIn {
            throw SAEKitError(
                .badInput, path: f.path,
                reason:
                    "has sequence length \(f.sequenceLength), d_in \(f.meta.dIn) but \(first.path) has \(first.sequenceLength), \(first.meta.dIn)",
                remedy: "give the files of one activation dump")
        }
        guard !vocabulary.display.isEmpty else { throw SAEKitError(.badInput, path: vocabularyPath, reason: "holds no tokens") }
        if let unembedding {
            try validate(unembedding: unembedding, dictionaries: dictionaries, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        }
        // Every file's parts (names, shapes, fingerprints), then the cross-check, before any work.
        let parts = try files.map { f in try dictionaries.map { try f.part(for: $0) } }
        for (i, f) in files.enumerated() {
            progress("check", i, files.count)
            try FeatureActsCheck.run(f, dictionaries: dictionaries)
        }
        let logits = unembedding.map { logitTables(dictionaries, $0, progress: progress) }
        let L = first.sequenceLength
        var offsets = [0]
        for f in files { offsets.append(offsets.last! + f.sequences) }
        let part = try partRows(sequences: offsets.last!, sequenceLength: L, shard: shard)
        guard offsets.last! * L < Int(UInt32.max) else {
            throw SAEKitError(
                .unsupported, path: first.path, reason: "the files hold more than 4 billion tokens",
                remedy: "build parts with --shard I/N and merge the caches")
        }
        let vsize = Int32(clamping: vocabulary.display.count)
        let plan = BuildMemoryPlan(options: options, featureCounts: dictionaries.map(\.dictionary.dSAE), dIn: first.meta.dIn, gated: false)
        let folder = SpillFolder(output: output)
        defer { folder.remove() }
        let acc = CacheAccumulator(featureCounts: dictionaries.map(\.dictionary.dSAE), plan: plan, folder: folder)
        let encoders = dictionaries.map { FeatureEncoder($0.dictionary) }
        let elastic = encoders.map { ElasticityCalculator($0) }
        var done = 0
        for (fi, f) in files.enumerated() {
            let g0 = offsets[fi] * L
            let lo = max(part.rows.lowerBound, g0) - g0, hi = min(part.rows.upperBound, g0 + f.rows) - g0
            guard lo < hi else { continue }
            for row in lo..<hi {
                let t = f.tokens[row]
                guard t < vsize else {
                    throw SAEKitError(
                        .badInput, path: f.path, subject: "tokens[\(row / L), \(row % L)]",
                        reason: "token id \(t) is outside the vocabulary of \(vocabularyPath) (\(vsize) tokens)",
                        remedy: "give the tokenizer of the model that produced the activations")
                }
                try acc.appendSample(token: t < 0 ? -1 : t, norm: t < 0 ? 0 : f.norms[row])
            }
            for (di, p) in parts[fi].enumerated() {
                let columns = acc.columns[di], sums = acc.elasticity[di], calc = elastic[di], bdec = acc.bDecNorms[di]
                for row in lo..<hi {
                    guard f.tokens[row] >= 0 else {
                        try bdec.append(0)
                        try columns.endRow()
                        continue
                    }
                    try bdec.append(p.bDecNorms[row])
                    let terms = (norm: p.uNorm[row], dotBDec: p.uDotBDec[row])
                    for k in Int(p.rowPtr[row])..<Int(p.rowPtr[row + 1]) {
                        let i = Int(p.features[k])
                        columns.append(feature: i, value: p.values[k])
                        sums.add(calc.value(feature: i, pre: p.pre[k], row: terms), to: i)
                    }
                    try columns.endRow()
                    if (row - lo) & 0xFFFF == 0xFFFF { p.release(rows: (row - 0xFFFF)..<(row + 1)) }
                }
                p.release(rows: (lo + (hi - lo) / 0x10000 * 0x10000)..<hi)
            }
            done += hi - lo
            progress("read", done, part.rows.count)
        }
        let sample = try sampleDescription(
            paths: files.map(\.path), corpusSequences: offsets.last!, sequenceLength: L, shard: shard, part: part,
            vocabularyPath: vocabularyPath, output: output)
        try write(
            acc, dictionaries: dictionaries, encoders: encoders, logits: logits, sample: sample, keepExact: shard != nil,
            unembedding: unembedding, vocabulary: vocabulary, options: options, output: output, progress: progress)
    }
}
