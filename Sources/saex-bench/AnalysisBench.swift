// saex-bench analysis: times the analysis library on large synthetic data (not a test).
//
//   saex-bench analysis stats DATA.safetensors OUT.f32    per-feature statistics (1 and all threads)
//   saex-bench analysis match ROWS DIM [BLOCK]            decoder matching vs bare cblas_sgemm
//   saex-bench analysis correlate DATA.safetensors [OUT]  sparse activation correlation top-5 (self vs self);
//                                                        OUT: each feature's top-5 as float32 [F, 5, 2] (feature, r; -1/NaN pad)
//   saex-bench analysis recall CACHE [--reference FILE] [--clusters C] [--probes P] [--tables T] [--training N] [--iterations I]
//       for tuning the approximate matcher: decoder matching of the cache's first two dictionaries
//       (neighbours of each, matches both ways), exact (or read from FILE, written there when
//       missing) and approximate with the given parameters, each timed; recall of the exact top-1
//       and top-5 by the approximate lists, overall and by the exact best cosine. One JSON line.
//       (bench/wide/run.sh measures the analysis as saex runs it instead.)
//
// Prints human lines and "RESULT name value" lines that run.sh collects.
import CBLAS
import Foundation
import SAEKit

/// `saex-bench analysis ...` (bench/analysis/run.sh).
enum AnalysisBench {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }

    /// Borrows the benchmark file's tensors as `SparseColumns` and norms, without copying.
    static func loadData(_ path: String) throws -> (SparseColumns, [Float]) {
        let f = try SafetensorsFile(path: path)
        let colPtr = try f.require("colptr"), rows = try f.require("rows"), values = try f.require("values"), norms = try f.require("norms")
        guard colPtr.dtype == .i64, rows.dtype == .u32, values.dtype == .f32 else { fail("\(path): unexpected dtypes") }
        let cp = colPtr.rawBytes.bindMemory(to: Int64.self)
        let r = rows.rawBytes.bindMemory(to: UInt32.self)
        let v = values.rawBytes.bindMemory(to: Float.self)
        let cols = SparseColumns(
            rowCount: norms.elementCount, featureCount: colPtr.elementCount - 1, colPtr: cp, rows: r, values: v, owner: f)
        return (cols, try norms.floats())
    }

    static func stats(_ path: String, _ out: String) throws {
        let (cols, norms) = try loadData(path)
        // Touch the mapped pages once so neither timed run pays for page faults.
        var touch: Float = 0
        for i in stride(from: 0, to: cols.values.count, by: 1024) { touch += cols.values[i] + Float(cols.rows[i]) }
        print("data: N=\(cols.rowCount) F=\(cols.featureCount) nnz=\(cols.nonzeroCount) (checksum \(touch))")
        let threads = ProcessInfo.processInfo.activeProcessorCount
        var result: [NormStatistics] = []
        for t in [1, threads] {
            let t0 = now()
            let ctx = NormContext(norms: norms)
            result = NormStatisticsCalculator.compute(columns: cols, norms: ctx, threads: t)
            let dt = now() - t0
            print(String(format: "swift stats: %.3f s with %d thread(s)", dt, t))
            print("RESULT swift_stats_seconds_\(t == 1 ? "1t" : "all") \(String(format: "%.4f", dt))")
        }
        // Same layout as numpy_stats.py: [F, 10] float32, NaN = undefined.
        var flat = [Float]()
        flat.reserveCapacity(result.count * 10)
        for s in result {
            flat += [
                Float(s.density), s.maxActivation, s.meanActivation, s.normPearson ?? .nan, s.normSpearman ?? .nan,
                s.normPearsonActive ?? .nan, s.normSpearmanActive ?? .nan, s.topNormMass ?? .nan, s.normAUC ?? .nan, Float(s.activeCount)
            ]
        }
        let data = flat.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: out))
    }

    /// Deterministic standard-normal-ish rows (sum of uniforms), fast enough for 75M values.
    static func randomRows(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed
        return [Float](unsafeUninitializedCapacity: count) { buf, n in
            for i in 0..<count {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                let a = Float(UInt32(truncatingIfNeeded: s >> 33) & 0xFFFF) + Float(UInt32(truncatingIfNeeded: s >> 17) & 0xFFFF)
                buf[i] = a / 65536 - 1
            }
            n = count
        }
    }

    static func match(rows: Int, dim: Int, block: Int) {
        let a = randomRows(rows * dim, seed: 1), b = randomRows(rows * dim, seed: 2)
        let flops = 2.0 * Double(rows) * Double(rows) * Double(dim)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                // Warm-up (thread pool, page faults of the inputs).
                let w = UnsafeMutablePointer<Float>.allocate(capacity: 256 * rows)
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, 256, Int32(rows), Int32(dim), 1, pa.baseAddress, Int32(dim),
                    pb.baseAddress, Int32(dim), 0, w, Int32(rows))
                w.deallocate()

                let c = UnsafeMutablePointer<Float>.allocate(capacity: rows * rows)
                c.initialize(repeating: 0, count: rows * rows)  // fault the pages in before timing
                var t0 = now()
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(rows), Int32(dim), 1, pa.baseAddress, Int32(dim),
                    pb.baseAddress, Int32(dim), 0, c, Int32(rows))
                let bare = now() - t0
                c.deallocate()
                print(String(format: "swift bare cblas_sgemm %dx%dx%d: %.3f s (%.1f GFLOP/s)", rows, rows, dim, bare, flops / bare / 1e9))
                print("RESULT swift_bare_sgemm_seconds \(String(format: "%.4f", bare))")

                t0 = now()
                let m = DecoderMatching.match(
                    a: pa.baseAddress!, rowsA: rows, b: pb.baseAddress!, rowsB: rows, dim: dim, k: 5, blockRows: block)
                let dt = now() - t0
                print(
                    String(
                        format: "swift decoder matching top-5 both directions, block %d: %.3f s (%.1f GFLOP/s equivalent)", block, dt,
                        flops / dt / 1e9))
                print("RESULT swift_match_seconds \(String(format: "%.4f", dt))")
                print("check: best of A[0] = \(m.bestOfA(0) ?? -1), best of B[0] = \(m.bestOfB(0) ?? -1)")
            }
        }
    }

    static func correlate(_ path: String, _ out: String?) throws {
        let (cols, _) = try loadData(path)
        let t0 = now()
        let r = FeatureMatching.correlationMatches(a: cols, b: cols, limit: 5, excludeSelf: true)
        let dt = now() - t0
        print(
            String(
                format: "swift activation-correlation top-5 (%d x %d features, sparse): %.3f s", cols.featureCount, cols.featureCount, dt))
        print("RESULT swift_correlation_seconds \(String(format: "%.4f", dt))")
        print("check: best of 0 = \(r[0].first?.feature ?? -1)")
        guard let out else { return }
        var flat = [Float](repeating: .nan, count: r.count * 10)
        for (f, list) in r.enumerated() {
            for j in 0..<5 {
                flat[f * 10 + j * 2] = j < list.count ? Float(list[j].feature) : -1
                if j < list.count { flat[f * 10 + j * 2 + 1] = list[j].correlation }
            }
        }
        try flat.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: out))
    }

    /// The four list sets of a pair of dictionaries as flat [rows x k] feature indices (-1 pads).
    static func flatLists(_ nA: DecoderMatches, _ nB: DecoderMatches, _ ab: DecoderMatches, rowsA: Int, rowsB: Int, k: Int) -> [[Int32]] {
        func flat(_ rows: Int, _ get: (Int) -> [(feature: Int, cosine: Float)]) -> [Int32] {
            var out = [Int32](repeating: -1, count: rows * k)
            for r in 0..<rows { for (q, m) in get(r).prefix(k).enumerated() { out[r * k + q] = Int32(m.feature) } }
            return out
        }
        return [
            flat(rowsA) { nA.matchesOfA($0) }, flat(rowsB) { nB.matchesOfA($0) }, flat(rowsA) { ab.matchesOfA($0) },
            flat(rowsB) { ab.matchesOfB($0) }
        ]
    }

    static func recall(_ args: [String]) throws {
        func value(_ name: String) -> String? { args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
        let cache = try ContextCache(path: args[2])
        guard cache.dictionaries.count >= 2 else { fail("recall needs a cache of two dictionaries") }
        let da = try cache.loadDictionary(0), db = try cache.loadDictionary(1)
        let a = DecoderRows(storage: da.wDec, rows: da.dSAE, dim: da.dIn), b = DecoderRows(storage: db.wDec, rows: db.dSAE, dim: db.dIn)
        let k = 5
        var exact: [[Int32]]
        var exactSeconds = -1.0
        let ref = value("--reference")
        if let ref, let data = FileManager.default.contents(atPath: ref), data.count == 4 * k * 2 * (a.rows + b.rows) {
            let all = data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            let sizes = [a.rows, b.rows, a.rows, b.rows].map { $0 * k }
            var at = 0
            exact = sizes.map { n in
                defer { at += n }; return Array(all[at..<(at + n)])
            }
            print("exact lists read from \(ref)")
        } else {
            let t0 = now()
            let nA = DecoderMatching.neighbours(a.storage.pointer, rows: a.rows, dim: a.dim, k: k)
            let nB = DecoderMatching.neighbours(b.storage.pointer, rows: b.rows, dim: b.dim, k: k)
            let ab = DecoderMatching.match(a: a.storage.pointer, rowsA: a.rows, b: b.storage.pointer, rowsB: b.rows, dim: a.dim, k: k)
            exactSeconds = now() - t0
            exact = flatLists(nA, nB, ab, rowsA: a.rows, rowsB: b.rows, k: k)
            if let ref { try exact.flatMap { $0 }.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: ref)) }
        }
        var p = ApproximateDecoderMatching.Parameters.standard(rows: a.rows + b.rows)
        if let c = value("--clusters").flatMap(Int.init) { p.clusters = c }
        if let q = value("--probes").flatMap(Int.init) { p.probes = q }
        if let t = value("--tables").flatMap(Int.init) { p.tables = t }
        if let t = value("--training").flatMap(Int.init) { p.trainingRows = t }
        if let t = value("--iterations").flatMap(Int.init) { p.iterations = t }
        let profile = AnalysisProfile()
        let t0 = now()
        let r = ApproximateDecoderMatching.matchAll([a, b], k: k, parameters: p, profile: profile)
        let approxSeconds = now() - t0
        let approx = flatLists(r.neighbours(0), r.neighbours(1), r.cross(0, 1), rowsA: a.rows, rowsB: b.rows, k: k)
        var recall: [String: [String: Double]] = [:]
        func cosine(_ x: DecoderRows, _ i: Int, _ y: DecoderRows, _ j: Int) -> Double {
            var d = 0.0, nx = 0.0, ny = 0.0
            let p = x.storage.pointer + i * x.dim, q = y.storage.pointer + j * y.dim
            for t in 0..<x.dim { d += Double(p[t]) * Double(q[t]); nx += Double(p[t]) * Double(p[t]); ny += Double(q[t]) * Double(q[t]) }
            return nx > 0 && ny > 0 ? d / (nx * ny).squareRoot() : 0
        }
        let sides = [(a, a), (b, b), (a, b), (b, a)]
        // Top-1 recall by the exact best cosine: below 0.2, 0.2-0.4, 0.4-0.6, 0.6 and above.
        var byCosine: [String: [[Int]]] = [:]
        for (s, (name, (e, x))) in zip(["neighbours_a", "neighbours_b", "a_to_b", "b_to_a"], zip(exact, approx)).enumerated() {
            let rows = e.count / k
            var top1 = 0, hit5 = 0, total5 = 0
            var bins = [[Int]](repeating: [0, 0], count: 4)
            for row in 0..<rows {
                let want = e[(row * k)..<(row * k + k)].filter { $0 >= 0 }
                let got = Set(x[(row * k)..<(row * k + k)].filter { $0 >= 0 })
                let hit = want.first.map { x[row * k] == $0 } ?? false
                if hit { top1 += 1 }
                if let w = want.first {
                    let c = cosine(sides[s].0, row, sides[s].1, Int(w))
                    let b4 = c < 0.2 ? 0 : (c < 0.4 ? 1 : (c < 0.6 ? 2 : 3))
                    bins[b4][0] += hit ? 1 : 0
                    bins[b4][1] += 1
                }
                hit5 += want.filter { got.contains($0) }.count
                total5 += want.count
            }
            recall[name] = ["top1": Double(top1) / Double(max(1, rows)), "top5": Double(hit5) / Double(max(1, total5))]
            byCosine[name] = bins
        }
        let sizes = r.clusterSizes.sorted()
        var parts: [String: Double] = [:]
        for part in profile.parts { parts[part.name] = part.seconds }
        let record: [String: Any] = [
            "what": "recall", "cache": args[2], "features": [a.rows, b.rows], "dim": a.dim, "k": k,
            "clusters": p.clusters, "probes": p.probes, "tables": p.tables, "training_rows": p.trainingRows, "iterations": p.iterations,
            "exact_seconds": exactSeconds, "approximate_seconds": approxSeconds, "approximate_parts": parts,
            "pairs_computed": r.pairsComputed, "cluster_size_max": sizes.last ?? 0,
            "cluster_size_median": sizes.isEmpty ? 0 : sizes[sizes.count / 2],
            "recall": recall, "top1_hits_by_best_cosine": byCosine, "blas_core": BLASRuntime.coreName
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func run(_ args: [String]) throws {
        print("OpenBLAS kernels: \(BLASRuntime.coreName)")
        switch args.count > 1 ? args[1] : "" {
        case "stats" where args.count == 4: try stats(args[2], args[3])
        case "match" where args.count >= 4:
            match(rows: Int(args[2]) ?? 16384, dim: Int(args[3]) ?? 2304, block: args.count > 4 ? Int(args[4]) ?? 1024 : 1024)
        case "correlate" where args.count == 3 || args.count == 4: try correlate(args[2], args.count == 4 ? args[3] : nil)
        case "recall" where args.count >= 3: try recall(args)
        default:
            fail(
                "usage: saex-bench analysis stats DATA OUT.f32 | match ROWS DIM [BLOCK] | correlate DATA [OUT.f32] | recall CACHE [--reference F] [--clusters C] [--probes P]"
            )
        }
    }
}
