import Foundation

/// One feature's activation statistics over a token sample; docs/ANALYSIS.md defines each.
///
/// "All" statistics run over every token of the sample with inactive tokens counted as zeros;
/// "active" statistics only over the tokens where the feature is nonzero. Norm statistics are nil
/// when no norms are known, when fewer than 3 tokens take part (active) or when either side is
/// constant.
public struct NormStatistics: Sendable, Equatable {
    /// Tokens where the activation is nonzero.
    public var activeCount: Int
    /// activeCount / n.
    public var density: Double
    /// Largest activation (0 when dead).
    public var maxActivation: Float
    /// Mean over all n tokens, zeros included.
    public var meanActivation: Float
    public var normPearson: Float?
    public var normSpearman: Float?
    public var normPearsonActive: Float?
    public var normSpearmanActive: Float?
    /// Share of |activation| mass on the top 1% highest-norm tokens.
    public var topNormMass: Float?
    /// P(norm of an active token > norm of an inactive token), ties counting 1/2 (Mann-Whitney AUC).
    public var normAUC: Float?

    public var dead: Bool { activeCount == 0 }

    /// log10(density), nil when dead.
    public var log10Density: Double? { activeCount > 0 ? log10(density) : nil }
}

/// Computes `NormStatistics` from sparse columns, in O(nnz log nnz) per feature (a radix sort of
/// the feature's own entries) after the O(n log n) `NormContext`.
///
/// Zeros enter analytically: with z inactive tokens, all of them share the average rank of their
/// block, and sums over them follow from the global sums, so nothing ever loops over all n tokens
/// per feature. Stored zeros count as inactive.
public enum NormStatisticsCalculator {
    /// Statistics of every feature; `norms == nil` leaves the norm statistics nil. Runs on
    /// `threads` threads (default: all processors).
    public static func compute(columns: SparseColumns, norms: NormContext?, threads: Int? = nil) -> [NormStatistics] {
        if let norms {
            precondition(norms.count == columns.rowCount, "norm context has \(norms.count) tokens, columns \(columns.rowCount)")
        }
        let f = columns.featureCount
        let empty = NormStatistics(activeCount: 0, density: 0, maxActivation: 0, meanActivation: 0)
        var out = [NormStatistics](repeating: empty, count: f)
        let workers = max(1, min(threads ?? Parallel.workers, f))
        out.withUnsafeMutableBufferPointer { buf in
            let o = UnsafeMutableBufferPointerBox(buf)
            // Interleaved chunks balance uneven densities.
            let chunk = 64
            let chunks = (f + chunk - 1) / chunk
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let scratch = AnalysisScratch()
                var c = w
                while c < chunks {
                    for feature in (c * chunk)..<min(f, (c + 1) * chunk) {
                        o.buffer[feature] = compute(feature: feature, columns: columns, norms: norms, scratch: scratch)
                    }
                    c += workers
                }
            }
        }
        return out
    }

    /// Statistics of one feature.
    public static func compute(feature: Int, columns: SparseColumns, norms: NormContext?) -> NormStatistics {
        compute(feature: feature, columns: columns, norms: norms, scratch: AnalysisScratch())
    }

    static func compute(feature: Int, columns: SparseColumns, norms ctx: NormContext?, scratch: AnalysisScratch) -> NormStatistics {
        let n = columns.rowCount
        let range = columns.range(feature)
        scratch.reserve(range.count)
        let rows = columns.rows.baseAddress!, vals = columns.values.baseAddress!
        // Pass 1: gather the active entries (value, token record) into contiguous scratch, so each
        // token costs one random cache line; everything after reads the scratch sequentially.
        let items = scratch.a  // (value key, local index j)
        let av = scratch.values  // a_j
        let tok = scratch.tokens  // token record of entry j
        var m = 0
        var sum = 0.0, mx = -Float.infinity, mn = Float.infinity
        let table = ctx?.table.pointer
        for e in range {
            let v = vals[e]
            if v == 0 { continue }
            items[m] = RankSort.pack(key: RankSort.orderedKey(v), payload: UInt32(m))
            av[m] = v
            if let table { tok[m] = table[Int(rows[e])] }
            m &+= 1
            sum += Double(v)
            if v > mx { mx = v }
            if v < mn { mn = v }
        }
        let meanAll = n > 0 ? sum / Double(n) : 0
        var s = NormStatistics(
            activeCount: m, density: n > 0 ? Double(m) / Double(n) : 0, maxActivation: m > 0 ? mx : 0,
            meanActivation: Float(meanAll))
        guard m > 0, let ctx else { return s }
        let z = n - m

        // Pass 2: sums over the active entries.
        var saa = 0.0  // sum (a - mean_all)^2 over active tokens
        var covX = 0.0  // sum a (x - mean_x): the all-token covariance sum, as sum (x - mean_x) = 0
        var absMass = 0.0, topMass = 0.0
        var sumX = 0.0, sumCentredRank = 0.0
        for j in 0..<m {
            let a = Double(av[j])
            let r = tok[j]
            let d = a - meanAll
            saa += d * d
            covX += a * Double(r.centeredNorm)
            let am = abs(a)
            absMass += am
            if r.ordinalAndTop & TokenRecord.topBit != 0 { topMass += am }
            sumX += Double(r.norm)
            sumCentredRank += Double(r.centeredRank)
        }
        saa += Double(z) * meanAll * meanAll
        // Constant activations (active everywhere with one value) have no correlation.
        s.normPearson = (m == n && mx == mn) ? nil : correlation(covX, saa, ctx.normSumSquares)
        s.topNormMass = absMass > 0 ? Float(topMass / absMass) : nil
        let rankMean = Double(n + 1) / 2
        if z > 0 {
            let u = sumCentredRank + Double(m) * rankMean - Double(m) * Double(m + 1) / 2
            s.normAUC = Float(u / (Double(m) * Double(z)))
        }

        // Ranks of the activations: sort active values; zeros form one tie block after the negatives.
        RankSort.sortByKey(items, count: m, scratch: scratch.b)
        let zeroKey = UInt64(RankSort.orderedKey(0))
        var negatives = 0
        while negatives < m && items[negatives] >> 32 < zeroKey { negatives += 1 }
        let zeroRank = Double(negatives) + Double(z + 1) / 2
        let activeRank = scratch.ranks  // rank among active tokens only, indexed by j
        var covS = 0.0, srr = Double(z) * (zeroRank - rankMean) * (zeroRank - rankMean)
        var i = 0
        while i < m {
            let key = items[i] >> 32
            var k = i + 1
            while k < m && items[k] >> 32 == key { k += 1 }
            let within = Double(i + k + 1) / 2  // mean of positions i+1 ... k among actives
            let global = within + (i >= negatives ? Double(z) : 0)
            let dr = global - rankMean, dz = global - zeroRank
            for q in i..<k {
                let j = Int(items[q] & 0xFFFF_FFFF)
                activeRank[j] = within
                covS += dz * Double(tok[j].centeredRank)
                srr += dr * dr
            }
            i = k
        }
        s.normSpearman = correlation(covS, srr, ctx.rankSumSquares)

        guard m >= 3 else { return s }
        // Active-only Pearson, two-pass for accuracy.
        let meanA = sum / Double(m), meanX = sumX / Double(m)
        var cAX = 0.0, cAA = 0.0, cXX = 0.0
        var xMin = Float.infinity, xMax = -Float.infinity
        for j in 0..<m {
            let x = tok[j].norm
            xMin = min(xMin, x); xMax = max(xMax, x)
            let da = Double(av[j]) - meanA, dx = Double(x) - meanX
            cAX += da * dx; cAA += da * da; cXX += dx * dx
        }
        s.normPearsonActive = (mx == mn || xMin == xMax) ? nil : correlation(cAX, cAA, cXX)

        // Active-only Spearman: ranks of norms among the active tokens, via the global norm order
        // (ordinals are unique; equal norms are adjacent in it).
        let byNorm = scratch.c
        for j in 0..<m { byNorm[j] = RankSort.pack(key: tok[j].ordinalAndTop & ~TokenRecord.topBit, payload: UInt32(j)) }
        RankSort.sortByKey(byNorm, count: m, scratch: scratch.b)
        let normRank = scratch.ranks2  // indexed by j
        i = 0
        while i < m {
            let key = tok[Int(byNorm[i] & 0xFFFF_FFFF)].norm
            var k = i + 1
            while k < m && tok[Int(byNorm[k] & 0xFFFF_FFFF)].norm == key { k += 1 }
            let r = Double(i + k + 1) / 2
            for q in i..<k { normRank[Int(byNorm[q] & 0xFFFF_FFFF)] = r }
            i = k
        }
        let mMean = Double(m + 1) / 2
        var c = 0.0, sa = 0.0, sx = 0.0
        for j in 0..<m {
            let da = activeRank[j] - mMean, dx = normRank[j] - mMean
            c += da * dx; sa += da * da; sx += dx * dx
        }
        s.normSpearmanActive = correlation(c, sa, sx)
        return s
    }

    /// cov / sqrt(var1 var2), nil when either variance is zero; clamped to [-1, 1].
    @inline(__always)
    static func correlation(_ cov: Double, _ v1: Double, _ v2: Double) -> Float? {
        guard v1 > 0, v2 > 0 else { return nil }
        let r = cov / (v1 * v2).squareRoot()
        guard r.isFinite else { return nil }
        return Float(min(1, max(-1, r)))
    }
}

/// Lets concurrent workers write disjoint elements of one buffer.
struct UnsafeMutableBufferPointerBox<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ b: UnsafeMutableBufferPointer<T>) { buffer = b }
}
