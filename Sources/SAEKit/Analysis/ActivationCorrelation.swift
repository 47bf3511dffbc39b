import Foundation

/// Pearson correlations between the activations of two dictionaries over one token sample,
/// computed sparsely.
///
/// r(a, b) = (S_ab - n mean_a mean_b) / sqrt(SS_a SS_b) over all n tokens (zeros included), where
/// S_ab = sum a_t b_t runs over co-active tokens only and SS is the centred sum of squares. For each
/// feature of A, S_ab against every feature of B is accumulated into one dense row of F_B doubles
/// by walking A's active tokens and, for each, B's features active there (B is transposed to rows
/// once). A bitmap marks the entries touched, so reading and clearing the row costs F_B / 64 words
/// plus the co-active features, not F_B doubles. Memory is one row and bitmap per thread plus B's
/// transpose; work is sum_t nnzA(t) nnzB(t).
///
/// That sum is dominated by the few tokens on which many features fire at once: a standard
/// encoder's high-norm tokens (the norm detectors this tool looks for) can hold thousands of its
/// features, and one token with m active features in both costs m^2 scattered additions. Tokens
/// where nnzA(t) nnzB(t) passes `DensePath.cutoff` therefore go through a dense product instead:
/// their activations as dense [F_A x h] and [h x F_B] matrices, multiplied in double precision
/// (BLAS dgemm) 64 features of A at a time and added to the same accumulators.
enum ActivationCorrelation {
    /// Per-feature mean and centred sum of squares over all n tokens.
    struct Moments {
        var mean: [Double]
        var sumSquares: [Double]
    }

    static func moments(_ c: SparseColumns) -> Moments {
        let n = Double(c.rowCount)
        var mean = [Double](repeating: 0, count: c.featureCount)
        var ss = [Double](repeating: 0, count: c.featureCount)
        for f in 0..<c.featureCount {
            let r = c.range(f)
            var s = 0.0
            var mn = Float.infinity, mx = -Float.infinity
            for e in r { let v = c.values[e]; s += Double(v); mn = min(mn, v); mx = max(mx, v) }
            let mu = n > 0 ? s / n : 0
            var q = 0.0
            for e in r { let d = Double(c.values[e]) - mu; q += d * d }
            q += Double(c.rowCount - r.count) * mu * mu
            mean[f] = mu
            // Constant columns (all zero, or one value everywhere) have no variance.
            let constant = r.isEmpty || (r.count == c.rowCount && mn == mx)
            ss[f] = constant ? 0 : q
        }
        return Moments(mean: mean, sumSquares: ss)
    }

    /// B's activations by token: for token t, entries rowPtr[t] ..< rowPtr[t+1] of features/values.
    struct Rows {
        var rowPtr: [Int]
        var features: [UInt32]
        var values: [Float]
    }

    static func transpose(_ c: SparseColumns) -> Rows {
        let n = c.rowCount
        var ptr = [Int](repeating: 0, count: n + 1)
        for e in 0..<c.nonzeroCount { ptr[Int(c.rows[e]) + 1] += 1 }
        for t in 0..<n { ptr[t + 1] += ptr[t] }
        var fill = ptr
        var feats = [UInt32](repeating: 0, count: c.nonzeroCount)
        var vals = [Float](repeating: 0, count: c.nonzeroCount)
        for f in 0..<c.featureCount {
            for e in c.range(f) {
                let t = Int(c.rows[e])
                feats[fill[t]] = UInt32(f)
                vals[fill[t]] = c.values[e]
                fill[t] += 1
            }
        }
        return Rows(rowPtr: ptr, features: feats, values: vals)
    }

    struct Result {
        /// For each feature of A, the top-k of B by correlation among co-active features.
        var top: TopKLists
        /// For each feature of A, the correlation with each feature `requested(a)` named (nil: no variance).
        var requested: [[Float?]]
    }

    /// Top-k features of B by activation correlation for each feature of A, considering only pairs
    /// active together on at least one token; `excludeSelf` drops b == a (A and B the same).
    /// `denseCutoff`: tokens with nnzA(t) nnzB(t) at or above it take the dense path (nil: the
    /// cost model's choice, `DensePath.cutoff`; `Int.max`: none).
    static func topK(a: SparseColumns, b: SparseColumns, k: Int, excludeSelf: Bool, requested: [[Int]], threads: Int? = nil,
                     denseCutoff: Int? = nil) -> Result {
        precondition(a.rowCount == b.rowCount, "activations cover different token samples")
        let fa = a.featureCount, fb = b.featureCount
        let n = Double(a.rowCount)
        let ma = moments(a), mb = moments(b)
        let bt = transpose(b)
        let dense = DensePath(a: a, bt: bt, featuresB: fb, cutoff: denseCutoff ?? DensePath.cutoff(featuresA: fa, featuresB: fb))
        defer { dense.deallocate() }
        var top = TopKLists(rows: fa, k: k)
        var req = [[Float?]](repeating: [], count: fa)
        let workers = max(1, min(threads ?? Parallel.workers, max(1, fa)))
        let chunk = 64
        let chunks = (fa + chunk - 1) / chunk
        top.values.withUnsafeMutableBufferPointer { tv in
            top.indices.withUnsafeMutableBufferPointer { ti in
                top.counts.withUnsafeMutableBufferPointer { tc in
                    req.withUnsafeMutableBufferPointer { rq in
                        let out = Output(values: tv.baseAddress!, indices: ti.baseAddress!, counts: tc.baseAddress!, requested: rq.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workers) { w in
                            let acc = UnsafeMutablePointer<Double>.allocate(capacity: max(1, fb))
                            acc.initialize(repeating: 0, count: max(1, fb))
                            let words = (fb + 63) / 64
                            let touched = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
                            touched.initialize(repeating: 0, count: max(1, words))
                            let product = UnsafeMutablePointer<Double>.allocate(capacity: dense.count > 0 ? chunk * fb : 1)
                            defer { acc.deallocate(); touched.deallocate(); product.deallocate() }
                            bt.rowPtr.withUnsafeBufferPointer { rp in
                                bt.features.withUnsafeBufferPointer { bf in
                                    bt.values.withUnsafeBufferPointer { bv in
                                        mb.mean.withUnsafeBufferPointer { meanB in
                                            mb.sumSquares.withUnsafeBufferPointer { ssB in
                                                var c = w
                                                while c < chunks {
                                                    let first = c * chunk, end = min(fa, (c + 1) * chunk)
                                                    let denseRows = dense.count > 0 && dense.anyActive(first..<end)
                                                    if denseRows { dense.product(features: first..<end, into: product) }
                                                    for f in first..<end {
                                                        let range = a.range(f)
                                                        // The heavy tokens' share of S_ab, from the dense product.
                                                        if denseRows && dense.isActive(f) {
                                                            let row = product + (f - first) * fb
                                                            for g in 0..<fb where row[g] != 0 {
                                                                acc[g] += row[g]
                                                                touched[g &>> 6] |= 1 &<< UInt64(g & 63)
                                                            }
                                                        }
                                                        // Scatter the other tokens' share into acc.
                                                        for e in range {
                                                            let t = Int(a.rows[e])
                                                            if dense.count > 0 && dense.slot[t] >= 0 { continue }
                                                            let av = Double(a.values[e])
                                                            var q = rp[t]
                                                            let q1 = rp[t + 1]
                                                            while q < q1 {
                                                                let g = Int(bf[q])
                                                                acc[g] += av * Double(bv[q])
                                                                touched[g &>> 6] |= 1 &<< UInt64(g & 63)
                                                                q &+= 1
                                                            }
                                                        }
                                                        let muA = ma.mean[f], ssA = ma.sumSquares[f]
                                                        // Correlations for the requested features (before acc is cleared).
                                                        out.requested[f] = requested.isEmpty ? [] : requested[f].map { g in
                                                            guard ssA > 0, ssB[g] > 0 else { return nil }
                                                            let r = (acc[g] - n * muA * meanB[g]) / (ssA * ssB[g]).squareRoot()
                                                            return Float(min(1, max(-1, r)))
                                                        }
                                                        var cnt: Int32 = 0
                                                        let tvp = out.values + f * k, tip = out.indices + f * k
                                                        // The touched entries in ascending order (as a full scan would
                                                        // visit them, so ties in the top-k resolve the same way), cleared
                                                        // for the next feature.
                                                        let offer = !range.isEmpty && ssA > 0
                                                        let inv = offer ? 1 / ssA.squareRoot() : 0
                                                        for w in 0..<words where touched[w] != 0 {
                                                            var bits = touched[w]
                                                            touched[w] = 0
                                                            while bits != 0 {
                                                                let g = w &* 64 &+ bits.trailingZeroBitCount
                                                                bits &= bits &- 1
                                                                let s = acc[g]
                                                                acc[g] = 0
                                                                if offer && s != 0 && ssB[g] > 0 && !(excludeSelf && g == f) {
                                                                    let r = Float(min(1, max(-1, (s - n * muA * meanB[g]) * inv / ssB[g].squareRoot())))
                                                                    topKOffer(tvp, tip, count: &cnt, k: k, value: r, index: Int32(g))
                                                                }
                                                            }
                                                        }
                                                        out.counts[f] = cnt
                                                    }
                                                    c += workers
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Result(top: top, requested: req)
    }

    /// The tokens that go through the dense product, and their activations as dense matrices.
    struct DensePath: @unchecked Sendable {
        /// Per token: its column in the dense matrices, or -1.
        let slot: [Int32]
        /// Number of dense tokens (h).
        let count: Int
        let featuresA: Int, featuresB: Int
        /// A's activations on the dense tokens, [F_A x h]; B's, [h x F_B].
        let denseA: UnsafeMutablePointer<Double>?
        let denseB: UnsafeMutablePointer<Double>?
        /// Per feature of A: active on at least one dense token.
        let active: [Bool]

        /// Memory for the two dense matrices, at most.
        static let maxBytes = 512 << 20

        /// nnzA(t) nnzB(t) above which a token is cheaper as a dense rank-1 update of all
        /// F_A x F_B pairs (2 F_A F_B flops of dgemm, about 1/40 of a scattered addition's cost
        /// each on this project's machine) than as nnzA(t) nnzB(t) scattered additions.
        static func cutoff(featuresA: Int, featuresB: Int) -> Int {
            let (p, overflow) = featuresA.multipliedReportingOverflow(by: featuresB)
            return overflow ? Int.max : max(1, p / 40)
        }

        init(a: SparseColumns, bt: Rows, featuresB fb: Int, cutoff: Int) {
            let rows = a.rowCount, fa = a.featureCount
            featuresA = fa; featuresB = fb
            var nnzA = [Int](repeating: 0, count: rows)
            for e in 0..<a.nonzeroCount { nnzA[Int(a.rows[e])] += 1 }
            // The heaviest tokens first, as many as fit in maxBytes.
            var heavy: [(token: Int, work: Int)] = []
            for t in 0..<rows {
                let (w, overflow) = nnzA[t].multipliedReportingOverflow(by: bt.rowPtr[t + 1] - bt.rowPtr[t])
                if overflow || (w > 0 && w >= cutoff) { heavy.append((t, overflow ? Int.max : w)) }
            }
            let fit = Self.maxBytes / max(1, (fa + fb) * MemoryLayout<Double>.size)
            if heavy.count > fit {
                heavy.sort { $0.work > $1.work }
                heavy.removeLast(heavy.count - fit)
            }
            heavy.sort { $0.token < $1.token }
            let h = heavy.count
            count = h
            var slot = [Int32](repeating: -1, count: h > 0 ? rows : 0)
            for (s, t) in heavy.enumerated() { slot[t.token] = Int32(s) }
            self.slot = slot
            guard h > 0 else { denseA = nil; denseB = nil; active = []; return }
            let da = UnsafeMutablePointer<Double>.allocate(capacity: fa * h)
            da.initialize(repeating: 0, count: fa * h)
            var active = [Bool](repeating: false, count: fa)
            for f in 0..<fa {
                for e in a.range(f) {
                    let s = Int(slot[Int(a.rows[e])])
                    if s >= 0 { da[f * h + s] = Double(a.values[e]); active[f] = true }
                }
            }
            let db = UnsafeMutablePointer<Double>.allocate(capacity: h * fb)
            db.initialize(repeating: 0, count: h * fb)
            for (s, t) in heavy.enumerated() {
                for q in bt.rowPtr[t.token]..<bt.rowPtr[t.token + 1] { db[s * fb + Int(bt.features[q])] = Double(bt.values[q]) }
            }
            denseA = da; denseB = db; self.active = active
        }

        func isActive(_ f: Int) -> Bool { active[f] }
        func anyActive(_ r: Range<Int>) -> Bool { r.contains { active[$0] } }

        /// product[f - first, g] = sum over dense tokens of A[f] B[g], for f in `features`.
        func product(features r: Range<Int>, into out: UnsafeMutablePointer<Double>) {
            guard let da = denseA, let db = denseB else { return }
            BLAS.dgemm(m: r.count, n: featuresB, k: count, a: da + r.lowerBound * count, b: db, c: out)
        }

        func deallocate() { denseA?.deallocate(); denseB?.deallocate() }
    }

    struct Output: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>
        let indices: UnsafeMutablePointer<Int32>
        let counts: UnsafeMutablePointer<Int32>
        let requested: UnsafeMutablePointer<[Float?]>
    }
}
