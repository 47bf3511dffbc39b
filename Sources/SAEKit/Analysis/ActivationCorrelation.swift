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
    static func topK(a: SparseColumns, b: SparseColumns, k: Int, excludeSelf: Bool, requested: [[Int]], threads: Int? = nil) -> Result {
        precondition(a.rowCount == b.rowCount, "activations cover different token samples")
        let fa = a.featureCount, fb = b.featureCount
        let n = Double(a.rowCount)
        let ma = moments(a), mb = moments(b)
        let bt = transpose(b)
        var top = TopKLists(rows: fa, k: k)
        var req = [[Float?]](repeating: [], count: fa)
        let workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, max(1, fa)))
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
                            defer { acc.deallocate(); touched.deallocate() }
                            bt.rowPtr.withUnsafeBufferPointer { rp in
                                bt.features.withUnsafeBufferPointer { bf in
                                    bt.values.withUnsafeBufferPointer { bv in
                                        mb.mean.withUnsafeBufferPointer { meanB in
                                            mb.sumSquares.withUnsafeBufferPointer { ssB in
                                                var c = w
                                                while c < chunks {
                                                    for f in (c * chunk)..<min(fa, (c + 1) * chunk) {
                                                        let range = a.range(f)
                                                        // Scatter S_ab into acc.
                                                        for e in range {
                                                            let t = Int(a.rows[e])
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

    struct Output: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>
        let indices: UnsafeMutablePointer<Int32>
        let counts: UnsafeMutablePointer<Int32>
        let requested: UnsafeMutablePointer<[Float?]>
    }
}
