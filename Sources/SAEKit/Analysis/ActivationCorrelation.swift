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
    struct Moments: Sendable {
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
    static func topK(
        a: SparseColumns, b: SparseColumns, k: Int, excludeSelf: Bool, requested: [[Int]], threads: Int? = nil,
        denseCutoff: Int? = nil
    ) -> Result {
        var pairs: [(x: Int, y: Int, slot: Int)] = []
        var slots = 0
        for (f, gs) in requested.enumerated() {
            for g in gs { pairs.append((f, g, slots)); slots += 1 }
        }
        let r = pass(
            a: a, b: b, k: k, mode: excludeSelf ? .excludingSelf : .oneWay,
            requests: Requests(featuresA: a.featureCount, slots: slots, pairs: pairs),
            threads: threads, denseCutoff: denseCutoff)
        var next = 0
        return Result(
            top: r.rows,
            requested: requested.map { gs in
                gs.map { _ in
                    defer { next += 1 }
                    return r.requested[next].isNaN ? nil : r.requested[next]
                }
            })
    }

    /// For each feature of A its top-k of B, and for each feature of B its top-k of A, from one
    /// pass over A (S_ab is symmetric: each co-active pair is accumulated once).
    static func topKBothWays(
        a: SparseColumns, b: SparseColumns, k: Int, requests: Requests? = nil, threads: Int? = nil,
        denseCutoff: Int? = nil
    ) -> (aToB: TopKLists, bToA: TopKLists, requested: [Float]) {
        let r = pass(a: a, b: b, k: k, mode: .bothWays, requests: requests, threads: threads, denseCutoff: denseCutoff)
        return (r.rows, r.columns!, r.requested)
    }

    /// For each feature of A its top-k other features of A: each pair f < g is accumulated once
    /// and offered to both lists.
    static func topKWithin(
        _ a: SparseColumns, k: Int, requests: Requests? = nil, threads: Int? = nil,
        denseCutoff: Int? = nil
    ) -> (top: TopKLists, requested: [Float]) {
        let r = pass(a: a, b: a, k: k, mode: .symmetric, requests: requests, threads: threads, denseCutoff: denseCutoff)
        return (r.rows, r.requested)
    }

    /// Pairs whose correlation is read from the accumulators: pair (x of A, y of B) is answered
    /// while feature x is accumulated (for `symmetric`, pairs must have x < y) and written to
    /// `slot` of the pass's output.
    struct Requests: Sendable {
        let ptr: [Int]
        let partner: [Int32]
        let slot: [Int32]
        let slots: Int

        init(featuresA fa: Int, slots: Int, pairs: [(x: Int, y: Int, slot: Int)]) {
            var ptr = [Int](repeating: 0, count: fa + 1)
            for p in pairs { ptr[p.x + 1] += 1 }
            for i in 0..<fa { ptr[i + 1] += ptr[i] }
            var fill = ptr
            var partner = [Int32](repeating: 0, count: pairs.count), slot = [Int32](repeating: 0, count: pairs.count)
            for p in pairs {
                partner[fill[p.x]] = Int32(p.y)
                slot[fill[p.x]] = Int32(p.slot)
                fill[p.x] += 1
            }
            self.ptr = ptr
            self.partner = partner
            self.slot = slot
            self.slots = slots
        }
    }

    /// What one pass fills: A's lists over B (`oneWay`, `excludingSelf` when A and B are the same),
    /// A's and B's lists (`bothWays`), or, A and B being the same, each feature's list over the
    /// others with each pair accumulated once (`symmetric`).
    enum Mode { case oneWay, excludingSelf, bothWays, symmetric }

    /// The accumulating pass. Rows: A's lists; columns: B's lists (`bothWays` only).
    ///
    /// A's features are taken in blocks; when some tokens go dense, each block's dense product
    /// [block x F_B] is made first (one multi-threaded dgemm), then the workers share the block's
    /// features, each with its own accumulator row.
    /// `requested`: the correlation of each requested pair by slot (NaN: no variance).
    static func pass(a: SparseColumns, b: SparseColumns, k: Int, mode: Mode, requests: Requests?, threads: Int?, denseCutoff: Int?)
        -> (rows: TopKLists, columns: TopKLists?, requested: [Float])
    {
        if let requests { precondition(requests.ptr.count == a.featureCount + 1, "requests for another dictionary") }
        precondition(a.rowCount == b.rowCount, "activations cover different token samples")
        let fa = a.featureCount, fb = b.featureCount
        let ma = moments(a), mb = mode == .symmetric ? ma : moments(b)
        let bt = transpose(b)
        let dense = DensePath(a: a, bt: bt, featuresB: fb, cutoff: denseCutoff ?? DensePath.cutoff(featuresA: fa, featuresB: fb))
        defer { dense.deallocate() }
        var top = TopKLists(rows: fa, k: k)
        let workers = max(1, min(threads ?? Parallel.workers, max(1, fa)))
        // Per-worker partial lists of B's features (offers from the A features the worker handled).
        let withColumns = mode == .bothWays || mode == .symmetric
        let partialStore = PartialLists(workers: withColumns ? workers : 0, rows: fb, k: k)
        defer { partialStore.deallocate() }
        let scratch = WorkerScratch(workers: workers, features: fb)
        defer { scratch.deallocate() }
        // Features of A per block: all of them without dense tokens, else as many as keep the
        // block's product near 256 MB.
        let block = dense.count > 0 ? max(8, min(512, (256 << 20) / max(1, fb * 8))) : max(1, fa)
        let product = UnsafeMutablePointer<Double>.allocate(capacity: dense.count > 0 ? block * max(1, fb) : 1)
        defer { product.deallocate() }
        var requested = [Float](repeating: .nan, count: requests?.slots ?? 0)
        let chunk = 16
        let noRequests = Requests(featuresA: 0, slots: 0, pairs: [])
        requested.withUnsafeMutableBufferPointer { rq in
            top.values.withUnsafeMutableBufferPointer { tv in
                top.indices.withUnsafeMutableBufferPointer { ti in
                    top.counts.withUnsafeMutableBufferPointer { tc in
                        bt.rowPtr.withUnsafeBufferPointer { rp in
                            bt.features.withUnsafeBufferPointer { bf in
                                bt.values.withUnsafeBufferPointer { bv in
                                    mb.mean.withUnsafeBufferPointer { meanB in
                                        mb.sumSquares.withUnsafeBufferPointer { ssB in
                                            var first = 0
                                            while first < fa {
                                                let end = min(fa, first + block)
                                                let denseRows = dense.count > 0 && dense.anyActive(first..<end)
                                                // Symmetric: only partners above the block's first feature are needed.
                                                let colFrom = mode == .symmetric ? min(fb, first + 1) : 0
                                                if denseRows { dense.product(features: first..<end, columnsFrom: colFrom, into: product) }
                                                let ctx = PassContext(
                                                    a: a, rowPtr: rp.baseAddress!, bFeatures: bf.baseAddress!, bValues: bv.baseAddress!,
                                                    meanA: ma.mean, ssA: ma.sumSquares, meanB: meanB.baseAddress!, ssB: ssB.baseAddress!,
                                                    n: Double(a.rowCount), featuresB: fb, k: k, mode: mode, dense: dense,
                                                    product: denseRows ? product : nil, productFirst: first, productColumns: colFrom,
                                                    out: Output(values: tv.baseAddress!, indices: ti.baseAddress!, counts: tc.baseAddress!),
                                                    requests: requests ?? noRequests, requested: rq.baseAddress)
                                                let blockStart = first
                                                DispatchQueue.concurrentPerform(iterations: workers) { w in
                                                    var c = blockStart + w * chunk
                                                    while c < end {
                                                        for f in c..<min(end, c + chunk) {
                                                            ctx.feature(
                                                                f, scratch: scratch.rows[w],
                                                                columns: withColumns ? partialStore.lists[w] : nil)
                                                        }
                                                        c += workers * chunk
                                                    }
                                                }
                                                first = end
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
        guard withColumns else { return (top, nil, requested) }
        // Merge the workers' partial lists: into B's lists, or (symmetric) into the rows themselves.
        var merged = mode == .symmetric ? top : TopKLists(rows: fb, k: k)
        merged.values.withUnsafeMutableBufferPointer { mv in
            merged.indices.withUnsafeMutableBufferPointer { mi in
                merged.counts.withUnsafeMutableBufferPointer { mc in
                    let out = Output(values: mv.baseAddress!, indices: mi.baseAddress!, counts: mc.baseAddress!)
                    let slices = max(1, min(workers * 4, fb))
                    DispatchQueue.concurrentPerform(iterations: slices) { s in
                        for g in (fb * s / slices)..<(fb * (s + 1) / slices) {
                            var cnt = out.counts[g]
                            for p in partialStore.lists {
                                for q in 0..<Int(p.counts[g]) {
                                    topKOffer(
                                        out.values + g * k, out.indices + g * k, count: &cnt, k: k, value: p.values[g * k + q],
                                        index: p.indices[g * k + q])
                                }
                            }
                            out.counts[g] = cnt
                        }
                    }
                }
            }
        }
        return mode == .symmetric ? (merged, nil, requested) : (top, merged, requested)
    }

    /// One worker's accumulator row and the list of the entries it touched.
    final class WorkerScratch: @unchecked Sendable {
        struct Row {
            let acc: UnsafeMutablePointer<Double>
            let touched: UnsafeMutablePointer<Int32>
            let capacity: Int
        }
        let rows: [Row]

        init(workers: Int, features: Int) {
            let n = max(1, features)
            rows = (0..<workers).map { _ in
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: n)
                acc.initialize(repeating: 0, count: n)
                return Row(acc: acc, touched: UnsafeMutablePointer<Int32>.allocate(capacity: n), capacity: n)
            }
        }

        func deallocate() { for r in rows { r.acc.deallocate(); r.touched.deallocate() } }
    }

    /// What every worker reads during one block of a pass.
    struct PassContext: @unchecked Sendable {
        let a: SparseColumns
        let rowPtr: UnsafePointer<Int>
        let bFeatures: UnsafePointer<UInt32>
        let bValues: UnsafePointer<Float>
        let meanA: [Double], ssA: [Double]
        let meanB: UnsafePointer<Double>, ssB: UnsafePointer<Double>
        let n: Double
        let featuresB: Int, k: Int
        let mode: Mode
        let dense: DensePath
        /// The block's dense product, [features x (F_B - productColumns)] from feature productFirst; nil: none.
        let product: UnsafeMutablePointer<Double>?
        let productFirst: Int, productColumns: Int
        let out: Output
        let requests: Requests
        let requested: UnsafeMutablePointer<Float>?

        /// Accumulates S_ab of feature f against every co-active feature of B and offers the
        /// correlations to f's list (and to B's lists in `columns`).
        @inline(__always)
        func feature(_ f: Int, scratch: WorkerScratch.Row, columns col: PartialLists.Lists?) {
            let range = a.range(f)
            let denseActive = product != nil && dense.isActive(f)
            guard !range.isEmpty || denseActive else { out.counts[f] = 0; return }
            let acc = scratch.acc, touched = scratch.touched, capacity = scratch.capacity
            let upperOnly = mode == .symmetric
            var nt = 0
            var overflow = false
            // The heavy tokens' share of S_ab, from the dense product.
            if denseActive, let product {
                let width = featuresB - productColumns
                let row = product + (f - productFirst) * width
                var j = upperOnly ? f + 1 - productColumns : 0
                while j < width {
                    let v = row[j]
                    if v != 0 {
                        let g = productColumns &+ j
                        if acc[g] == 0 { if nt < capacity { touched[nt] = Int32(g); nt &+= 1 } else { overflow = true } }
                        acc[g] += v
                    }
                    j &+= 1
                }
            }
            // Scatter the other tokens' share into acc: acc was 0 before a feature's first add, so
            // the touched list holds every co-active feature.
            let hasDense = dense.count > 0
            for e in range {
                let t = Int(a.rows[e])
                if hasDense && dense.slot[t] >= 0 { continue }
                let av = Double(a.values[e])
                var q = rowPtr[t]
                let q1 = rowPtr[t + 1]
                if upperOnly {
                    // Token rows list features ascending: skip to the first above f.
                    var hi = q1
                    while q < hi { let mid = (q + hi) >> 1; if Int(bFeatures[mid]) <= f { q = mid + 1 } else { hi = mid } }
                }
                while q < q1 {
                    let g = Int(bFeatures[q])
                    if acc[g] == 0 { if nt < capacity { touched[nt] = Int32(g); nt &+= 1 } else { overflow = true } }
                    acc[g] += av * Double(bValues[q])
                    q &+= 1
                }
            }
            let muA = meanA[f], ssAf = ssA[f]
            if let requested, requests.ptr.count > f + 1 {
                for e in requests.ptr[f]..<requests.ptr[f + 1] {
                    let g = Int(requests.partner[e])
                    guard ssAf > 0, ssB[g] > 0 else { continue }
                    let r = (acc[g] - n * muA * meanB[g]) / (ssAf * ssB[g]).squareRoot()
                    requested[Int(requests.slot[e])] = Float(min(1, max(-1, r)))
                }
            }
            var cnt: Int32 = 0
            let tvp = out.values + f * k, tip = out.indices + f * k
            let offer = !range.isEmpty && ssAf > 0
            let inv = offer ? 1 / ssAf.squareRoot() : 0
            let excludeSelf = mode == .excludingSelf
            // A sum that returned to exactly 0 and grew again is listed twice; its second reading
            // finds 0 and is skipped, like every zero sum.
            func visit(_ g: Int) {
                let s = acc[g]
                acc[g] = 0
                guard offer && s != 0 && ssB[g] > 0 && !(excludeSelf && g == f) else { return }
                let r = Float(min(1, max(-1, (s - n * muA * meanB[g]) * inv / ssB[g].squareRoot())))
                topKOffer(tvp, tip, count: &cnt, k: k, value: r, index: Int32(g))
                if let col {
                    var cc = col.counts[g]
                    topKOffer(col.values + g * k, col.indices + g * k, count: &cc, k: k, value: r, index: Int32(f))
                    col.counts[g] = cc
                }
            }
            if overflow {
                for g in 0..<featuresB where acc[g] != 0 { visit(g) }
            } else {
                for i in 0..<nt { visit(Int(touched[i])) }
            }
            out.counts[f] = cnt
        }
    }

    /// Per-worker lists of B's features as raw memory each worker writes alone.
    final class PartialLists: @unchecked Sendable {
        struct Lists {
            let values: UnsafeMutablePointer<Float>
            let indices: UnsafeMutablePointer<Int32>
            let counts: UnsafeMutablePointer<Int32>
        }
        let lists: [Lists]

        init(workers: Int, rows: Int, k: Int) {
            let n = max(1, rows * k), r = max(1, rows)
            lists = (0..<workers).map { _ in
                let v = UnsafeMutablePointer<Float>.allocate(capacity: n)
                v.initialize(repeating: -.infinity, count: n)
                let i = UnsafeMutablePointer<Int32>.allocate(capacity: n)
                i.initialize(repeating: -1, count: n)
                let c = UnsafeMutablePointer<Int32>.allocate(capacity: r)
                c.initialize(repeating: 0, count: r)
                return Lists(values: v, indices: i, counts: c)
            }
        }

        func deallocate() { for l in lists { l.values.deallocate(); l.indices.deallocate(); l.counts.deallocate() } }
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

        /// product[f - first, g - from] = sum over dense tokens of A[f] B[g], for f in `features`
        /// and g from `columnsFrom` on ([features x (F_B - from)], row-major).
        func product(features r: Range<Int>, columnsFrom from: Int = 0, into out: UnsafeMutablePointer<Double>) {
            guard let da = denseA, let db = denseB else { return }
            BLAS.dgemm(
                m: r.count, n: featuresB - from, k: count, a: da + r.lowerBound * count, lda: count, b: db + from, ldb: featuresB,
                c: out, ldc: featuresB - from)
        }

        func deallocate() { denseA?.deallocate(); denseB?.deallocate() }
    }

    struct Output: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>
        let indices: UnsafeMutablePointer<Int32>
        let counts: UnsafeMutablePointer<Int32>
    }
}
