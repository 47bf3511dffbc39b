// saex-bench: timing harness for bench/ scripts (not a test). Prints one JSON object per run.
//
//   saex-bench open DICT [--repeat N]
//       DictionaryLoader.load (map, validate, NaN scan, fingerprint); the minimum over N runs
//       after one warm-up.
//   saex-bench encode DICT ACTS [--rows N] [--batch B] [--no-sgemm]
//       FeatureEncoder (prepareInput + preActivations + activate) over the first N rows of ACTS
//       (default: all) in batches of B rows (default: CacheBuilder's batch for this d_sae), then,
//       in the same process, a bare cblas_sgemm of the same shapes: the encode overhead over BLAS.
//       --no-sgemm leaves the sgemm out (another dictionary of the same shape has timed it).
//   saex-bench cache-build OUT ACTS VOCAB NAME=DICT [NAME=DICT ...]
//       CacheBuilder.build alone (encode every token with every dictionary, norms, elasticity sums,
//       nonzeros to CSC, write), then AnalysisStore.refresh (what `saex cache build` does next),
//       timed separately, with its parts (statistics, decoder matching, activation correlation, ...).
//       The refresh is skipped when SAEX_BENCH_SKIP_ANALYSIS=1; SAEX_BENCH_MEMORY_LIMIT
//       (e.g. 512M) sets the build's --memory-limit (default 1G).
//   saex-bench analysis-refresh CACHE [--exact | --approximate]
//       AnalysisStore.refresh alone on an existing cache (recomputed), with its parts and the plan's
//       estimates (the matching method as saex chooses it, or forced).
//   saex-bench feature-build OUT VOCAB FEATURES[,FEATURES...] NAME=DICT [NAME=DICT ...]
//       The --feature-acts build: open and validate the files, the CPU cross-check (timed alone), then
//       CacheBuilder.build(featureFiles:) (which runs the check again, then reads, sums and writes).
//   saex-bench logits DICT UNEMBED [--repeat N]
//       LogitTable.compute (every feature's ten most positive and negative logit effects through the
//       unembedding, blocked sgemm plus the search for the extremes), the minimum over N runs; then a
//       bare sgemm of the same blocks (the limit); the unembedding's open (read and finiteness check)
//       timed once. Prints the first features' ids so the numpy peer can check it did the same work.
//   saex-bench sgemm M N K [--batch B]
//       Bare cblas_sgemm C[M x N] = A[M x K] * B[K x N] (row-major, f32), in row blocks of B
//       (default: M), as the encoder's product is shaped: M tokens, K = d_in, N = d_sae.
//   saex-bench analysis ... / ui ... / labels-append ...
//       The analysis, explorer and label-store benchmarks (AnalysisBench.swift, UIBench.swift,
//       LabelsBench.swift).
//   saex-bench stream [--mib N] [--repeat R]
//       STREAM-style memory bandwidth: copy (b = a) and triad (a = b + s * c) over float arrays of
//       N MiB each (default 1024, far beyond the caches), on 1 thread and on every core; best of R.
//       The memory limit that bench/run_all.sh sets beside memory-bound steps.
// Every run also reports the OpenBLAS core in use (BLASRuntime.coreName).
import CBLAS
import Foundation
import SAEKit

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
}

func option(_ name: String, _ def: Int) -> Int {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count, let v = Int(a[i + 1]) { return v }
    return def
}

func emit(_ obj: [String: Any]) {
    var o = obj
    o["blas_core"] = BLASRuntime.coreName
    let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
    print(String(decoding: data, as: UTF8.self))
}

/// Pseudo-random floats in [-1, 1) (values do not matter to sgemm's speed; zeros or NaNs might).
func fill(_ p: UnsafeMutablePointer<Float>, _ n: Int, seed: UInt64) {
    var s = seed | 1
    for i in 0..<n {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        p[i] = Float(Int32(truncatingIfNeeded: s >> 16)) / Float(Int32.max)
    }
}

/// Bare sgemm of `rows` x n x k in blocks of `batch` rows; A and C are reused per block.
func bareSGEMM(rows: Int, n: Int, k: Int, batch: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>)
    -> Double
{
    seconds {
        var start = 0
        while start < rows {
            let m = min(batch, rows - start)
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
            start += m
        }
    }
}

/// The parts of an analysis as {name: seconds}, with "other" for the rest of `total`.
func partsRecord(_ profile: AnalysisProfile, total: Double) -> [String: Double] {
    var out: [String: Double] = [:]
    for p in profile.parts { out[p.name] = p.seconds }
    if total >= 0 { out["other"] = max(0, total - profile.parts.reduce(0) { $0 + $1.seconds }) }
    return out
}

/// CacheBuilder's rows per batch for a single dictionary of `dSAE` features (CacheOptions.memoryBudget = 256 MiB).
/// The dictionaries of NAME=PATH arguments.
func namedDictionaries(_ specs: ArraySlice<String>) throws -> [NamedDictionary] {
    try specs.map { spec in
        guard let eq = spec.firstIndex(of: "=") else { throw CocoaError(.formatting) }
        return NamedDictionary(
            name: String(spec[..<eq]), dictionary: try DictionaryLoader.load(path: String(spec[spec.index(after: eq)...])))
    }
}

func cacheBatch(_ dSAE: Int) -> Int { max(1, min(4096, (256 << 20) / max(1, 12 * dSAE))) }

/// Best-of-`repeats` GB/s (10^9 bytes) of copy and triad over `count` floats per array, split
/// into `threads` contiguous slices. Bytes counted as STREAM does: copy 2 x 4 B, triad 3 x 4 B per element.
func streamBandwidth(count: Int, threads: Int, repeats: Int) -> (copy: Double, triad: Double) {
    let a = UnsafeMutablePointer<Float>.allocate(capacity: count), b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    nonisolated(unsafe) let (pa, pb, pc) = (a, b, c)
    func slices(_ body: @escaping @Sendable (Int, Int) -> Void) -> Double {
        seconds {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                body(count * t / threads, count * (t + 1) / threads)
            }
        }
    }
    _ = slices { lo, hi in for i in lo..<hi { pa[i] = 1; pb[i] = 2; pc[i] = 0 } }  // fault the pages in
    var copy = Double.infinity, triad = Double.infinity
    for _ in 0..<repeats {
        copy = min(copy, slices { lo, hi in (pb + lo).update(from: pa + lo, count: hi - lo) })
        triad = min(triad, slices { lo, hi in for i in lo..<hi { pa[i] = pb[i] + 3 * pc[i] } })
    }
    let bytes = Double(count) * 4
    return (2 * bytes / copy / 1e9, 3 * bytes / triad / 1e9)
}

/// The kernels `saex` runs (it re-executes itself the same way); without this the timings would be
/// Debian OpenBLAS's generic fallback on CPUs it does not know.
func reexecWithFastBLASKernels() {
    guard let core = BLASRuntime.coreTypeToReexecWith() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1); setenv("SAEX_BLAS_REEXEC", "1", 1)
    var args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &args)
}

reexecWithFastBLASKernels()
let args = CommandLine.arguments
do {
    switch args.dropFirst().first {
    case "analysis": try AnalysisBench.run(Array(args.dropFirst()))
    case "ui": try UIBench.run(Array(args.dropFirst()))
    case "labels-append": try LabelsBench.run(Array(args.dropFirst()))
    default: break
    }
} catch {
    FileHandle.standardError.write(Data("saex-bench: \(error)\n".utf8))
    exit(1)
}
if ["analysis", "ui", "labels-append"].contains(args.dropFirst().first) { exit(0) }
guard args.count >= 3 || args.dropFirst().first == "stream" else {
    FileHandle.standardError.write(
        Data(
            ("usage: saex-bench open DICT | open-cache CACHE | encode DICT ACTS [--rows N] [--batch B] "
                + "[--no-sgemm] | cache-build OUT ACTS VOCAB NAME=DICT... | logits DICT UNEMBED [--repeat N] | sgemm M N K [--batch B] "
                + "| stream [--mib N] [--repeat R]\n").utf8))
    exit(2)
}
do {
    switch args[1] {
    case "open-cache":
        // ContextCache(path:): map, validate the manifest, every tensor's shape, the column
        // pointers and every row index; then derive one feature's contexts (lazy per-feature read).
        let repeats = option("--repeat", 5)
        _ = try ContextCache(path: args[2])
        var best = Double.infinity, bestContexts = Double.infinity
        var cache: ContextCache?
        for _ in 0..<repeats {
            best = min(best, try seconds { cache = try ContextCache(path: args[2]) })
            if let c = cache {
                let f = c.dictionaries[0].featureCount / 2
                bestContexts = min(bestContexts, seconds { _ = c.contexts(dict: 0, feature: f) })
            }
        }
        let nnz = cache?.dictionaries.reduce(0) { $0 + $1.columns.nonzeroCount } ?? 0
        emit([
            "what": "open-cache", "cache": args[2], "rows": cache?.manifest.sample.rows ?? 0,
            "features": cache?.dictionaries.map(\.featureCount) ?? [], "nonzeros": nnz, "top_k": cache?.manifest.options.topK ?? 0,
            "open_seconds_min": best, "one_feature_contexts_seconds_min": bestContexts, "repeats": repeats
        ])
    case "open":
        let repeats = option("--repeat", 5)
        _ = try DictionaryLoader.load(path: args[2])
        var best = Double.infinity
        var times: [Double] = []
        var d: SAEDictionary?
        for _ in 0..<repeats {
            let t = try seconds { d = try DictionaryLoader.load(path: args[2]) }
            times.append(t)
            best = min(best, t)
        }
        emit([
            "what": "open", "dict": args[2], "d_in": d?.dIn ?? 0, "d_sae": d?.dSAE ?? 0, "seconds_min": best, "seconds_all": times,
            "repeats": repeats
        ])
    case "encode":
        guard args.count >= 4 else { throw CocoaError(.fileNoSuchFile) }
        let d = try DictionaryLoader.load(path: args[2])
        let input = try ActivationFile(path: args[3])
        let n = min(option("--rows", input.rows), input.rows)
        let batch = option("--batch", cacheBatch(d.dSAE))
        let enc = FeatureEncoder(d)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dIn)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dIn)
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dSAE)
        let acts = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dSAE)
        defer { x.deallocate(); u.deallocate(); pre.deallocate(); acts.deallocate() }
        var tRead = 0.0, tEnc = 0.0
        var nonzeros = 0
        var start = 0
        while start < n {
            let m = min(batch, n - start)
            tRead += try seconds { try input.copyRows(start..<(start + m), into: x) }
            tEnc += seconds {
                enc.prepareInput(x, rows: m, into: u)
                enc.preActivations(u, rows: m, into: pre)
                enc.activate(pre, rows: m, into: acts)
            }
            for i in 0..<(m * d.dSAE) where acts[i] != 0 { nonzeros += 1 }
            start += m
        }
        var record: [String: Any] = [
            "what": "encode", "dict": args[2], "rows": n, "batch": batch, "d_in": d.dIn, "d_sae": d.dSAE,
            "encode_seconds": tEnc, "read_seconds": tRead, "nonzeros": nonzeros
        ]
        if !args.contains("--no-sgemm") {
            // Bare sgemm of the same shapes on the same input rows and the encoder matrix [d_in x d_sae].
            let b = UnsafeMutablePointer<Float>.allocate(capacity: d.dIn * d.dSAE)
            defer { b.deallocate() }
            fill(b, d.dIn * d.dSAE, seed: 7)
            let tGemm = bareSGEMM(rows: n, n: d.dSAE, k: d.dIn, batch: batch, a: u, b: b, c: pre)
            record["bare_sgemm_seconds"] = tGemm
            record["encode_over_sgemm"] = tEnc / tGemm
        }
        emit(record)
    case "cache-build":
        guard args.count >= 6 else { throw CocoaError(.formatting) }
        let named = try namedDictionaries(args[5...])
        let input = try ActivationFile(path: args[3])
        let vocabulary = try Vocabulary.load(path: args[4])
        var options = CacheOptions()
        if let m = ProcessInfo.processInfo.environment["SAEX_BENCH_MEMORY_LIMIT"] {
            options.memoryLimit = try ByteSize.parse(m, option: "SAEX_BENCH_MEMORY_LIMIT")
        }
        let tBuild = try seconds {
            try CacheBuilder.build(
                dictionaries: named, input: input, vocabulary: vocabulary, vocabularyPath: args[4], options: options, output: args[2])
        }
        var tAnalysis = -1.0
        let profile = AnalysisProfile()
        var plan: AnalysisPlan?
        if ProcessInfo.processInfo.environment["SAEX_BENCH_SKIP_ANALYSIS"] != "1" {
            tAnalysis = try seconds { plan = try AnalysisStore.refresh(cachePath: args[2], profile: profile) }
        }
        emit([
            "what": "cache-build", "rows": input.rows, "dictionaries": named.count, "build_seconds": tBuild, "analysis_seconds": tAnalysis,
            "analysis_parts": partsRecord(profile, total: tAnalysis), "analysis_method": plan?.method.rawValue ?? "",
            "estimated_analysis_seconds": plan?.estimatedSeconds ?? -1,
            "memory_limit": options.memoryLimit
        ])
    case "analysis-refresh":
        // AnalysisStore.refresh alone on an existing cache (recomputed), each part timed.
        let profile = AnalysisProfile()
        let matching: AnalysisOptions.Matching =
            args.contains("--exact") ? .exact : args.contains("--approximate") ? .approximate : .automatic
        var plan: AnalysisPlan?
        let t = try seconds {
            plan = try AnalysisStore.refresh(
                cachePath: args[2], recompute: true, options: AnalysisOptions(matching: matching),
                announce: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }, profile: profile)
        }
        emit([
            "what": "analysis-refresh", "cache": args[2], "analysis_seconds": t, "analysis_parts": partsRecord(profile, total: t),
            "method": plan?.method.rawValue ?? "", "estimated_seconds": plan?.estimatedSeconds ?? -1,
            "estimated_exact_matching_seconds": plan?.exactMatchingSeconds ?? -1,
            "estimated_approximate_matching_seconds": plan?.approximateMatchingSeconds ?? -1,
            "estimated_correlation_seconds": plan?.correlationSeconds ?? -1, "sgemm_gflops": plan?.sgemmGFLOPs ?? -1
        ])
    case "feature-build":
        // saex-bench feature-build OUT VOCAB FEATURES[,FEATURES...] NAME=DICT...: the --feature-acts
        // build (CacheBuilder.build(featureFiles:)), with the CPU cross-check timed on its own first.
        guard args.count >= 6 else { throw CocoaError(.formatting) }
        let named = try namedDictionaries(args[5...])
        let vocabulary = try Vocabulary.load(path: args[3])
        var files: [FeatureActsFile] = []
        let tOpen = try seconds { files = try args[4].split(separator: ",").map { try FeatureActsFile(path: String($0)) } }
        var worst: Float = 0
        let tCheck = try seconds { for f in files { worst = max(worst, try FeatureActsCheck.run(f, dictionaries: named).ratio) } }
        let tBuild = try seconds {
            try CacheBuilder.build(
                dictionaries: named, featureFiles: files, vocabulary: vocabulary, vocabularyPath: args[3], output: args[2])
        }
        emit([
            "what": "feature-build", "rows": files.reduce(0) { $0 + $1.rows }, "open_seconds": tOpen, "check_seconds": tCheck,
            "build_seconds": tBuild, "worst_check_ratio": Double(worst), "check_rows": files.reduce(0) { $0 + $1.checkRows.count }
        ])
    case "logits":
        guard args.count >= 4 else { throw CocoaError(.formatting) }
        let d = try DictionaryLoader.load(path: args[2])
        var u: Unembedding?
        let tOpen = try seconds { u = try Unembedding(path: args[3]) }
        guard let u else { throw CocoaError(.formatting) }
        var table: LogitTable?
        var best = Double.infinity
        for _ in 0..<option("--repeat", 1) {
            best = min(best, seconds { table = LogitTable.compute(decoder: d.wDec.pointer, features: d.dSAE, dIn: d.dIn, unembedding: u) })
        }
        let rows = max(1, min(d.dSAE, LogitTable.defaultBlockBytes / (4 * u.dVocab)))
        let a = UnsafeMutablePointer<Float>.allocate(capacity: rows * d.dIn)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: rows * u.dVocab)
        defer { a.deallocate(); c.deallocate() }
        fill(a, rows * d.dIn, seed: 3)
        let tGemm = bareSGEMM(rows: d.dSAE, n: u.dVocab, k: d.dIn, batch: rows, a: a, b: u.wU.pointer, c: c)
        let k = table?.count ?? 0
        emit([
            "what": "logits", "d_sae": d.dSAE, "d_model": u.dModel, "d_vocab": u.dVocab, "final_norm": u.finalNorm.rawValue,
            "block_rows": rows,
            "open_seconds": tOpen, "compute_seconds": best, "bare_sgemm_seconds": tGemm,
            "gflops": 2.0 * Double(d.dSAE) * Double(u.dVocab) * Double(d.dIn) / best / 1e9,
            "first_positive_ids": Array(table?.positiveIDs.prefix(4 * k) ?? []).map(Int.init),
            "first_negative_ids": Array(table?.negativeIDs.prefix(4 * k) ?? []).map(Int.init)
        ])
    case "sgemm":
        guard args.count >= 5, let m = Int(args[2]), let nn = Int(args[3]), let k = Int(args[4]) else {
            throw CocoaError(.formatting)
        }
        let batch = max(1, min(m, option("--batch", m)))
        let a = UnsafeMutablePointer<Float>.allocate(capacity: batch * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * nn)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: batch * nn)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        fill(a, batch * k, seed: 3)
        fill(b, k * nn, seed: 5)
        _ = bareSGEMM(rows: min(m, batch), n: nn, k: k, batch: batch, a: a, b: b, c: c)  // warm-up: one block
        let t = bareSGEMM(rows: m, n: nn, k: k, batch: batch, a: a, b: b, c: c)
        emit([
            "what": "sgemm", "m": m, "n": nn, "k": k, "batch": batch, "seconds": t,
            "gflops": 2.0 * Double(m) * Double(nn) * Double(k) / t / 1e9
        ])
    case "stream":
        let count = option("--mib", 1024) << 18
        let repeats = option("--repeat", 5)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let one = streamBandwidth(count: count, threads: 1, repeats: repeats)
        let all = streamBandwidth(count: count, threads: cores, repeats: repeats)
        emit([
            "what": "stream", "mib_per_array": count >> 18, "repeats": repeats, "threads_all": cores,
            "copy_gbs_1t": one.copy, "triad_gbs_1t": one.triad, "copy_gbs_all": all.copy, "triad_gbs_all": all.triad
        ])
    default:
        FileHandle.standardError.write(Data("saex-bench: unknown benchmark \(args[1])\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("saex-bench: \(error)\n".utf8))
    exit(1)
}
