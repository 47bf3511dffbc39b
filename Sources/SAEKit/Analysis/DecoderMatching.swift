import Foundation

/// Top-k decoder-cosine matches between two dictionaries (or within one), both directions at once.
public struct DecoderMatches: Sendable {
    /// List length asked for.
    public let k: Int
    let aToB: TopKLists
    let bToA: TopKLists

    /// For feature `a` of A: up to k features of B, best cosine first (ties: lower index first).
    public func matchesOfA(_ a: Int) -> [(feature: Int, cosine: Float)] { aToB.list(a).map { ($0.index, $0.value) } }
    /// For feature `b` of B: up to k features of A, best cosine first.
    public func matchesOfB(_ b: Int) -> [(feature: Int, cosine: Float)] { bToA.list(b).map { ($0.index, $0.value) } }
    /// A's best in B, or nil when B is empty.
    public func bestOfA(_ a: Int) -> Int? { let b = aToB.best(a); return b >= 0 ? b : nil }
    public func bestOfB(_ b: Int) -> Int? { let a = bToA.best(b); return a >= 0 ? a : nil }
    /// Whether a and b are each other's best match.
    public func isMutual(a: Int, b: Int) -> Bool { aToB.best(a) == b && bToA.best(b) == a }
}

/// Decoder cosines through blocked sgemm on row-normalised decoders.
///
/// C = Â B̂ᵀ is computed `blockRows` rows of A at a time ([blockRows x F_B] floats, 128 MiB for
/// 2048 x 16,384), never the whole F_A x F_B matrix. (Each sgemm call re-packs B, so blocks much
/// smaller than 1024 rows cost measurably more.) Each block is scanned once, split by columns
/// across threads: every element updates its row's top-k and its column's top-k, so one pass gives
/// both directions. A zero decoder row has cosine 0 with everything.
public enum DecoderMatching {
    /// Matches between the decoders of A and B ([F x d] row-major each).
    public static func match(
        a: UnsafePointer<Float>, rowsA: Int, b: UnsafePointer<Float>, rowsB: Int, dim: Int, k: Int = 5,
        blockRows: Int = 2048, threads: Int? = nil
    ) -> DecoderMatches {
        let na = normalisedRows(a, rows: rowsA, dim: dim)
        defer { na.deallocate() }
        let nb = normalisedRows(b, rows: rowsB, dim: dim)
        defer { nb.deallocate() }
        return run(na, rowsA, nb, rowsB, dim: dim, k: k, symmetric: false, blockRows: blockRows, threads: threads)
    }

    /// Nearest other features of one decoder (a feature never matches itself). The product is
    /// symmetric, so only its upper triangle is computed: each pair i < j once, offered to both
    /// lists.
    public static func neighbours(_ w: UnsafePointer<Float>, rows: Int, dim: Int, k: Int = 5, blockRows: Int = 2048, threads: Int? = nil)
        -> DecoderMatches
    {
        let nw = normalisedRows(w, rows: rows, dim: dim)
        defer { nw.deallocate() }
        return run(nw, rows, nw, rows, dim: dim, k: k, symmetric: true, blockRows: blockRows, threads: threads)
    }

    /// Copies rows scaled to unit norm (zero rows stay zero).
    static func normalisedRows(_ w: UnsafePointer<Float>, rows: Int, dim: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * dim))
        for r in 0..<rows {
            let src = w + r * dim, dst = out + r * dim
            let nrm = BLAS.norm(dim, src)
            let s: Float = nrm > 0 && nrm.isFinite ? 1 / nrm : 0
            for j in 0..<dim { dst[j] = src[j] * s }
        }
        return out
    }

    /// `symmetric`: a and b are the same rows; row block [s, s + m) is multiplied with rows s... only
    /// and the pairs j <= i of the diagonal square are skipped, so every pair i < j is seen once,
    /// as row i's candidate j and column j's candidate i; each feature's list is then the merge of
    /// its row and column lists.
    static func run(
        _ a: UnsafePointer<Float>, _ rowsA: Int, _ b: UnsafePointer<Float>, _ rowsB: Int, dim: Int, k: Int, symmetric: Bool,
        blockRows: Int, threads: Int?
    ) -> DecoderMatches {
        precondition(k >= 1 && blockRows >= 1)
        var rowLists = TopKLists(rows: rowsA, k: k)
        var colLists = TopKLists(rows: rowsB, k: k)
        guard rowsA > 0, rowsB > 0 else { return DecoderMatches(k: k, aToB: rowLists, bToA: colLists) }
        let bs = min(blockRows, rowsA)
        let workers = max(1, min(threads ?? Parallel.workers, rowsB))
        let c = UnsafeMutablePointer<Float>.allocate(capacity: bs * rowsB)
        defer { c.deallocate() }
        // Per-worker partial row lists for the current block.
        var partVals = [Float](repeating: 0, count: workers * bs * k)
        var partIdx = [Int32](repeating: 0, count: workers * bs * k)
        var partCount = [Int32](repeating: 0, count: workers * bs)
        let colMin = UnsafeMutablePointer<Float>.allocate(capacity: rowsB)  // k-th best of each column so far
        colMin.initialize(repeating: -.infinity, count: rowsB)
        defer { colMin.deallocate() }

        var start = 0
        while start < rowsA {
            let m = min(bs, rowsA - start)
            let colBase = symmetric ? start : 0
            let n = rowsB - colBase
            BLAS.gemmABt(m: m, n: n, k: dim, a: a + start * dim, b: b + colBase * dim, c: c)
            if symmetric {
                for i in 0..<m { for j in 0...min(i, n - 1) { c[i * n + j] = -.infinity } }
            }
            let blockStart = start
            partVals.withUnsafeMutableBufferPointer { pv in
                partIdx.withUnsafeMutableBufferPointer { pi in
                    partCount.withUnsafeMutableBufferPointer { pc in
                        colLists.values.withUnsafeMutableBufferPointer { cv in
                            colLists.indices.withUnsafeMutableBufferPointer { ci in
                                colLists.counts.withUnsafeMutableBufferPointer { cc in
                                    let ctx = ScanContext(
                                        c: c, ld: n, colBase: colBase, m: m, k: k, blockStart: blockStart, workers: workers,
                                        partVals: pv.baseAddress!, partIdx: pi.baseAddress!, partCount: pc.baseAddress!,
                                        colVals: cv.baseAddress!, colIdx: ci.baseAddress!, colCount: cc.baseAddress!, colMin: colMin,
                                        stride: bs)
                                    DispatchQueue.concurrentPerform(iterations: workers) { w in ctx.scan(worker: w) }
                                }
                            }
                        }
                    }
                }
            }
            // Merge the workers' partial row lists (they cover disjoint, ascending column ranges).
            rowLists.values.withUnsafeMutableBufferPointer { rv in
                rowLists.indices.withUnsafeMutableBufferPointer { ri in
                    for i in 0..<m {
                        let g = start + i
                        var cnt: Int32 = 0
                        for w in 0..<workers {
                            let p = (w * bs + i)
                            for q in 0..<Int(partCount[p]) {
                                topKOffer(
                                    rv.baseAddress! + g * k, ri.baseAddress! + g * k, count: &cnt, k: k,
                                    value: partVals[p * k + q], index: partIdx[p * k + q])
                            }
                        }
                        rowLists.counts[g] = cnt
                    }
                }
            }
            start += m
        }
        guard symmetric else { return DecoderMatches(k: k, aToB: rowLists, bToA: colLists) }
        // Row i holds its candidates j > i, column i its candidates j < i.
        rowLists.values.withUnsafeMutableBufferPointer { rv in
            rowLists.indices.withUnsafeMutableBufferPointer { ri in
                for f in 0..<rowsA {
                    var cnt = rowLists.counts[f]
                    for q in 0..<Int(colLists.counts[f]) {
                        topKOffer(
                            rv.baseAddress! + f * k, ri.baseAddress! + f * k, count: &cnt, k: k,
                            value: colLists.values[f * k + q], index: colLists.indices[f * k + q])
                    }
                    rowLists.counts[f] = cnt
                }
            }
        }
        return DecoderMatches(k: k, aToB: rowLists, bToA: rowLists)
    }

    /// What one scan of a block needs; workers own disjoint column ranges.
    struct ScanContext: @unchecked Sendable {
        let c: UnsafeMutablePointer<Float>
        /// Columns in the block (its row stride); column j is feature colBase + j.
        let ld: Int, colBase: Int, m: Int, k: Int, blockStart: Int, workers: Int
        let partVals: UnsafeMutablePointer<Float>
        let partIdx: UnsafeMutablePointer<Int32>
        let partCount: UnsafeMutablePointer<Int32>
        let colVals: UnsafeMutablePointer<Float>
        let colIdx: UnsafeMutablePointer<Int32>
        let colCount: UnsafeMutablePointer<Int32>
        let colMin: UnsafeMutablePointer<Float>

        func scan(worker w: Int) {
            let j0 = ld * w / workers, j1 = ld * (w + 1) / workers
            for i in 0..<m {
                let row = c + i * ld
                let p = w &* stride &+ i
                let pv = partVals + p * k, pi = partIdx + p * k
                var cnt: Int32 = 0
                var rowMin = -Float.infinity
                let gi = Int32(blockStart + i)
                var j = j0
                while j < j1 {
                    let v = row[j]
                    let g = colBase &+ j
                    if v > rowMin {
                        topKInsert(pv, pi, count: &cnt, k: k, value: v, index: Int32(g))
                        if Int(cnt) == k { rowMin = pv[k - 1] }
                    }
                    if v > colMin[g] {
                        var cc = colCount[g]
                        topKInsert(colVals + g * k, colIdx + g * k, count: &cc, k: k, value: v, index: gi)
                        colCount[g] = cc
                        if Int(cc) == k { colMin[g] = colVals[g * k + k - 1] }
                    }
                    j &+= 1
                }
                partCount[p] = cnt
            }
        }
        /// Rows per worker in the partial lists (the block size).
        let stride: Int
    }
}
