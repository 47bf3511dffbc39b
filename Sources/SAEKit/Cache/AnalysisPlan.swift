import CBLAS
import Foundation

/// How a cache's decoder rows were matched (docs/ANALYSIS.md, "Exact or approximate matching").
public enum MatchingMethod: String, Codable, Sendable {
    /// Every pair's cosine: the true top-k.
    case exact
    /// Only pairs that share a cluster (`ApproximateDecoderMatching`); cosines are exact, lists may miss matches.
    case approximate
}

/// The method used and, for the approximate one, its parameters (stored with the analysis).
public struct MatchingRecord: Codable, Sendable, Equatable {
    public var method: MatchingMethod
    /// Unknown parameters are written as null (the summaries' convention).
    @NullEncoded public var clusters: Int?
    @NullEncoded public var probes: Int?

    public init(method: MatchingMethod, clusters: Int? = nil, probes: Int? = nil) {
        self.method = method
        self.clusters = clusters
        self.probes = probes
    }

    public static let exact = MatchingRecord(method: .exact)

    /// "exact" or "approximate (4,096 clusters, 3 per row)".
    public var description: String {
        guard method == .approximate, let clusters, let probes else { return method.rawValue }
        return "approximate (\(AnalysisPlan.grouped(clusters)) clusters, \(probes) per row)"
    }
}

/// What the user asked of an analysis.
public struct AnalysisOptions: Sendable, Equatable {
    public enum Matching: Sendable, Equatable {
        /// Exact unless a dictionary is wider than `exactWidthLimit` or the exact estimate passes `exactBudget`.
        case automatic
        case exact
        case approximate
    }

    public var matching: Matching
    /// Exact matching is chosen for dictionaries of at most this many features...
    public var exactWidthLimit: Int
    /// ...whose exact decoder matching is estimated to take at most this many seconds.
    public var exactBudget: Double

    public static let defaultWidthLimit = 65_536
    public static let defaultBudget: Double = 20 * 60

    public init(
        matching: Matching = .automatic, exactWidthLimit: Int = AnalysisOptions.defaultWidthLimit,
        exactBudget: Double = AnalysisOptions.defaultBudget
    ) {
        self.matching = matching
        self.exactWidthLimit = exactWidthLimit
        self.exactBudget = exactBudget
    }
}

/// The choice of matching method for one analysis and its time estimate, made before it starts
/// from the cache's shapes and this machine's sgemm rate (measured in a few milliseconds).
public struct AnalysisPlan: Sendable {
    public let method: MatchingMethod
    /// Why `method` was chosen, in words.
    public let reason: String
    /// The sgemm rate the estimates use, GFLOP/s.
    public let sgemmGFLOPs: Double
    /// Estimated seconds of decoder matching, exact and approximate.
    public let exactMatchingSeconds: Double
    public let approximateMatchingSeconds: Double
    /// Estimated seconds of the activation correlations.
    public let correlationSeconds: Double
    /// The approximate matcher's parameters for the largest group of dictionaries of one width.
    public let approximate: ApproximateDecoderMatching.Parameters?
    let shapes: String

    /// Seconds of one scattered addition of the activation correlation on one core, measured on the
    /// project's benchmark machine (docs/ANALYSIS.md): while the accumulator row (8 F_B bytes) fits
    /// in `cachedRowBytes`, and beyond, where each addition misses the cache (measured with
    /// 1,048,576 features). The dense part is timed by the dgemm rate, taken as half the sgemm rate.
    public static let secondsPerScatteredAdd = 3.5e-9
    public static let secondsPerUncachedAdd = 3.5e-8
    public static let cachedRowBytes = 1 << 20
    /// Exact matching scans every product once: about 15% over the bare sgemm (docs/PERFORMANCE.md).
    static let exactOverhead = 1.15
    /// Uneven clusters and the gathers around each product: the approximate matcher's time over
    /// the sgemm time of its even-cluster flop count (measured on the 65,536-wide benchmark pair).
    static let approximateOverhead = 1.3

    /// The estimated seconds of the analysis as planned.
    public var estimatedSeconds: Double { (method == .exact ? exactMatchingSeconds : approximateMatchingSeconds) + correlationSeconds }

    /// What is stored with the analysis (the parameters of the approximate matcher).
    public var record: MatchingRecord {
        method == .exact ? .exact : MatchingRecord(method: .approximate, clusters: approximate?.clusters, probes: approximate?.probes)
    }

    /// One line for stderr, printed before the analysis starts.
    public var summary: String {
        let total = "about " + Self.duration(estimatedSeconds)
        switch method {
        case .exact:
            return "analysis of \(shapes): \(total) (exact decoder matching about \(Self.duration(exactMatchingSeconds)) at "
                + String(format: "%.0f", sgemmGFLOPs) + " GFLOP/s sgemm, activation correlation about \(Self.duration(correlationSeconds)))"
        case .approximate:
            return "analysis of \(shapes): exact decoder matching would take about \(Self.duration(exactMatchingSeconds)) at "
                + String(format: "%.0f", sgemmGFLOPs) + " GFLOP/s sgemm; using \(record.description) because \(reason): \(total)"
                + "; saex analyze --exact forces the exact method"
        }
    }

    /// Plans the analysis of `cache`. `sgemmGFLOPs`: the rate to assume (nil: measure it).
    public init(cache: ContextCache, options: AnalysisOptions = AnalysisOptions(), sgemmGFLOPs measured: Double? = nil) {
        let dicts = cache.manifest.dictionaries
        let rate = max(1, measured ?? Self.measureSGEMM(dim: dicts.map(\.dIn).max() ?? 1))
        sgemmGFLOPs = rate
        var exactFlops = 0.0, approxFlops = 0.0
        var largest: (rows: Int, dim: Int)?
        for dim in Set(dicts.map(\.dIn)).sorted() {
            let widths = dicts.filter { $0.dIn == dim }.map { Double($0.dSAE) }
            let d = Double(dim)
            for (i, fi) in widths.enumerated() {
                exactFlops += fi * fi * d  // the upper triangle: 2 F^2 d / 2
                for fj in widths[(i + 1)...] { exactFlops += 2 * fi * fj * d }
            }
            let rows = Int(widths.reduce(0, +))
            approxFlops += ApproximateDecoderMatching.Parameters.standard(rows: rows).flops(rows: rows, dim: dim)
            if rows > (largest?.rows ?? -1) { largest = (rows, dim) }
        }
        exactMatchingSeconds = exactFlops * Self.exactOverhead / (rate * 1e9)
        approximateMatchingSeconds = approxFlops * Self.approximateOverhead / (rate * 1e9)
        approximate = largest.map { ApproximateDecoderMatching.Parameters.standard(rows: $0.rows) }
        correlationSeconds = Self.correlationSeconds(cache, dgemmGFLOPs: rate / 2)
        let widest = dicts.map(\.dSAE).max() ?? 0
        switch options.matching {
        case .exact:
            method = .exact
            reason = "it was asked for"
        case .approximate:
            method = .approximate
            reason = "it was asked for"
        case .automatic where widest > options.exactWidthLimit:
            method = .approximate
            reason = "a dictionary has more than \(Self.grouped(options.exactWidthLimit)) features"
        case .automatic where exactMatchingSeconds > options.exactBudget:
            method = .approximate
            reason = "the exact method would take over \(Self.duration(options.exactBudget))"
        case .automatic:
            method = .exact
            reason = "every dictionary has at most \(Self.grouped(options.exactWidthLimit)) features and it fits the time budget"
        }
        let widths = dicts.map(\.dSAE)
        let dims = Set(dicts.map(\.dIn)).sorted().map(Self.grouped).joined(separator: "/")
        let widthText =
            widths.count > 1 && Set(widths).count == 1
            ? "\(widths.count) x \(Self.grouped(widths[0])) features" : widths.map(Self.grouped).joined(separator: " + ") + " features"
        shapes = "\(widthText), d_in \(dims), \(Self.grouped(cache.manifest.sample.rows)) tokens"
    }

    /// Estimated seconds of the activation correlations of every dictionary with itself and every
    /// pair: scattered additions sum_t nnzA(t) nnzB(t) (half within a dictionary), except the
    /// tokens the dense path takes, which cost 2 F_A F_B flops each (half within a dictionary).
    static func correlationSeconds(_ cache: ContextCache, dgemmGFLOPs: Double) -> Double {
        let rows = cache.manifest.sample.rows
        let counts: [[Int32]] = cache.dictionaries.map { d in
            var c = [Int32](repeating: 0, count: rows)
            for r in d.columns.rows where Int(r) < rows { c[Int(r)] &+= 1 }
            return c
        }
        let cores = Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
        func perAdd(_ fb: Int) -> Double { 8 * fb <= cachedRowBytes ? secondsPerScatteredAdd : secondsPerUncachedAdd }
        var adds = 0.0, flops = 0.0
        for i in counts.indices {
            for j in i..<counts.count {
                let fa = cache.dictionaries[i].featureCount, fb = cache.dictionaries[j].featureCount
                let cutoff = Double(ActivationCorrelation.DensePath.cutoff(featuresA: fa, featuresB: fb))
                let share = i == j ? 0.5 : 1
                for t in 0..<rows {
                    let w = Double(counts[i][t]) * Double(counts[j][t])
                    if w > 0 && w >= cutoff { flops += share * 2 * Double(fa) * Double(fb) } else { adds += share * w * perAdd(fb) }
                }
            }
        }
        return adds / cores + flops / (dgemmGFLOPs * 1e9)
    }

    /// GFLOP/s of a [512 x 2048 x dim] sgemm on this machine now (best of three, after a warm-up).
    public static func measureSGEMM(dim: Int) -> Double {
        let m = 512, n = 2048, k = max(1, dim)
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for _ in 0..<4 {
                        let t = DispatchTime.now().uptimeNanoseconds
                        BLAS.gemmABt(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
                    }
                }
            }
        }
        return 2 * Double(m) * Double(n) * Double(k) / max(best, 1e-9) / 1e9
    }

    /// "45 s", "12 min", "3.2 h".
    public static func duration(_ s: Double) -> String {
        if s < 90 { return String(format: "%.0f s", max(1, s)) }
        if s < 90 * 60 { return String(format: "%.0f min", s / 60) }
        return String(format: "%.1f h", s / 3600)
    }

    /// 65536 as "65,536".
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
