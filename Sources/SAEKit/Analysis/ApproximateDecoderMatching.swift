import Foundation

/// Approximate top-k decoder-cosine matching for dictionaries too wide for the exact all-pairs
/// product (docs/ANALYSIS.md, "Approximate matching"): an inverted-file search.
///
/// The decoder rows of every dictionary are clustered together by direction (spherical k-means on
/// a sample, `clusters` centroids). Each row lives in the cluster of its nearest centroid (its
/// home) and searches the `probes` clusters of its nearest centroids: its lists, in its own
/// dictionary (neighbours) and in every other, are the exact top-k among the rows living in those
/// clusters. One blocked sgemm per cluster (its searching rows against its home rows) gives the
/// lists of every dictionary at once, and no pair is computed twice. Cosines in the lists are
/// exact; what is approximate is which rows are looked at: a match living in a cluster the row
/// does not search is missed. Cost: about 2 N C d flops to place N rows and 2 p N^2 d / C for the
/// products, against 2 N^2 d for all pairs.
public enum ApproximateDecoderMatching {
    public struct Parameters: Sendable, Equatable, Codable {
        /// Centroids (C).
        public var clusters: Int
        /// Clusters each row searches (p).
        public var probes: Int
        /// Rows the centroids are trained on (a deterministic sample).
        public var trainingRows: Int
        /// k-means iterations.
        public var iterations: Int
        /// Independent clusterings (each from its own sample and seed); a pair is looked at when
        /// any of them brings the two rows together.
        public var tables: Int
        public var seed: UInt64

        public init(clusters: Int, probes: Int, trainingRows: Int, iterations: Int, tables: Int = 1, seed: UInt64 = 0) {
            self.clusters = clusters
            self.probes = probes
            self.tables = tables
            self.trainingRows = trainingRows
            self.iterations = iterations
            self.seed = seed
        }

        /// The defaults for `rows` decoder rows in all: C, the power of two nearest sqrt(p N), balances the cost of
        /// placing the rows (N C) against the products (p N^2 / C).
        /// Two clusterings with 4 probes each: on the 65,536-wide benchmark pair they find the exact
        /// best match of 96% to 99% of the features (docs/PERFORMANCE.md).
        public static func standard(rows: Int) -> Parameters {
            let probes = 4
            let target = (Double(probes) * Double(max(1, rows))).squareRoot()
            let c = 1 << max(4, min(16, Int(log2(max(1, target)).rounded())))
            return Parameters(clusters: c, probes: probes, trainingRows: 16 * c, iterations: 6, tables: 2)
        }

        /// Estimated flops: training, placing every row, and the products of each cluster (sizes
        /// assumed even; real clusters are uneven, so this is a lower bound the plan pads).
        public func flops(rows n: Int, dim: Int) -> Double {
            let c = Double(min(clusters, max(1, n))), d = Double(dim), nn = Double(n)
            let train = 2 * Double(min(n, trainingRows)) * c * d * Double(iterations)
            let place = 2 * nn * c * d
            let products = 2 * Double(probes) * nn * nn * d / c
            return Double(max(1, tables)) * (train + place + products)
        }
    }

    /// Every dictionary's neighbours and, for every pair i != j, i's matches in j.
    public struct Result: Sendable {
        /// lists[i][j]: for each feature of dictionary i, its top-k of dictionary j (neighbours when i == j).
        let lists: [[TopKLists]]
        public let k: Int
        /// Rows whose home each cluster is.
        public let clusterSizes: [Int]
        /// Rows that search each cluster.
        public let queriesPerCluster: [Int]

        public func neighbours(_ i: Int) -> DecoderMatches { DecoderMatches(k: k, aToB: lists[i][i], bToA: lists[i][i]) }
        public func cross(_ i: Int, _ j: Int) -> DecoderMatches { DecoderMatches(k: k, aToB: lists[i][j], bToA: lists[j][i]) }
        /// Cosines computed: each cluster's searching rows times its home rows.
        public var pairsComputed: Int { zip(clusterSizes, queriesPerCluster).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// Matches every dictionary with itself and with every other (all must have the same `dim`).
    public static func matchAll(
        _ decoders: [DecoderRows], k: Int = 5, parameters given: Parameters? = nil, threads: Int? = nil,
        profile: AnalysisProfile? = nil
    ) -> Result {
        precondition(k >= 1)
        let dim = decoders.first?.dim ?? 0
        precondition(decoders.allSatisfy { $0.dim == dim }, "decoders of different widths")
        var offsets = [0]
        for d in decoders { offsets.append(offsets.last! + d.rows) }
        let n = offsets.last!
        let p = given ?? Parameters.standard(rows: n)
        let workers = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let store = ListStore(rows: decoders.map(\.rows), k: k)
        defer { store.deallocate() }
        guard n > 1, dim > 0 else { return Result(lists: store.lists(), k: k, clusterSizes: [], queriesPerCluster: []) }
        let rows = RowSource(decoders: decoders, offsets: offsets, dim: dim)

        var sizes: [Int] = [], searches: [Int] = []
        for t in 0..<max(1, p.tables) {
            var pt = p
            pt.seed = p.seed &+ UInt64(t) &* 0x9E37_79B9
            let centroids = profile.time("approximate matching: centroids") { train(rows, pt, workers: workers) }
            defer { centroids.pointer.deallocate() }
            let placed = profile.time("approximate matching: placing rows") {
                place(rows, centroids: centroids.pointer, clusters: centroids.count, probes: min(p.probes, centroids.count))
            }
            profile.time("approximate matching: products") {
                products(rows, homes: placed.homes, queries: placed.queries, k: k, store: store, workers: workers)
            }
            sizes += placed.homes.sizes
            searches += placed.queries.sizes
        }
        return Result(lists: store.lists(), k: k, clusterSizes: sizes, queriesPerCluster: searches)
    }

    /// Decoder rows of all dictionaries under one numbering: dictionary order, then feature order.
    struct RowSource: @unchecked Sendable {
        let decoders: [DecoderRows]
        let offsets: [Int]
        let dim: Int

        var count: Int { offsets.last ?? 0 }

        /// (dictionary, feature) of global row `g`.
        func locate(_ g: Int) -> (dict: Int, feature: Int) {
            var d = 0
            while offsets[d + 1] <= g { d += 1 }
            return (d, g - offsets[d])
        }

        func pointer(_ d: Int, _ f: Int) -> UnsafePointer<Float> { decoders[d].storage.pointer + f * dim }

        /// Writes row g scaled to unit norm (zero rows stay zero).
        func copyUnit(_ g: Int, to dst: UnsafeMutablePointer<Float>) {
            let (d, f) = locate(g)
            let src = pointer(d, f)
            let nrm = decoders[d].norms[f]
            let s: Float = nrm > 0 && nrm.isFinite ? 1 / nrm : 0
            for j in 0..<dim { dst[j] = src[j] * s }
        }
    }

    /// Spherical k-means on a deterministic sample of the nonzero rows: unit centroids [count x dim].
    static func train(_ rows: RowSource, _ p: Parameters, workers: Int) -> (pointer: UnsafeMutablePointer<Float>, count: Int) {
        let n = rows.count
        var rng = SplitMix64(seed: p.seed &+ 0x5AE)
        // A partial Fisher-Yates shuffle picks the sample; zero rows carry no direction.
        var order = [Int32](0..<Int32(n))
        var sample: [Int] = []
        let want = max(1, min(n, p.trainingRows))
        var i = 0
        while i < n && sample.count < want {
            let j = i + rng.next(below: n - i)
            order.swapAt(i, j)
            let g = Int(order[i])
            let (d, f) = rows.locate(g)
            if rows.decoders[d].norms[f] > 0 { sample.append(g) }
            i += 1
        }
        let s = max(1, sample.count)
        let c = max(1, min(p.clusters, s))
        let dim = rows.dim
        let x = UnsafeMutablePointer<Float>.allocate(capacity: s * dim)
        defer { x.deallocate() }
        x.initialize(repeating: 0, count: s * dim)
        for (r, g) in sample.enumerated() { rows.copyUnit(g, to: x + r * dim) }
        let cent = UnsafeMutablePointer<Float>.allocate(capacity: c * dim)
        // Initial centroids: the first c sampled rows (distinct rows, in random order).
        cent.update(from: x, count: c * dim)
        var assign = [Int32](repeating: 0, count: s)
        let block = max(1, min(s, (64 << 20) / (4 * c)))
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: block * c)
        defer { scores.deallocate() }
        for _ in 0..<max(0, p.iterations) {
            var start = 0
            while start < s {
                let m = min(block, s - start)
                BLAS.gemmABt(m: m, n: c, k: dim, a: x + start * dim, b: cent, c: scores)
                assign.withUnsafeMutableBufferPointer { a in
                    let out = a.baseAddress!
                    let sc = scores, st = start
                    Parallel.forEach(workers) { w in
                        for r in (m * w / workers)..<(m * (w + 1) / workers) {
                            let row = sc + r * c
                            var best = 0
                            var bv = row[0]
                            for j in 1..<c where row[j] > bv { bv = row[j]; best = j }
                            out[st + r] = Int32(best)
                        }
                    }
                }
                start += m
            }
            // New centroids: the normalised sums of their rows; an empty one takes a random sample row.
            cent.initialize(repeating: 0, count: c * dim)
            var sizes = [Int](repeating: 0, count: c)
            for r in 0..<s {
                let a = Int(assign[r])
                sizes[a] += 1
                let dst = cent + a * dim, src = x + r * dim
                for j in 0..<dim { dst[j] += src[j] }
            }
            for a in 0..<c {
                let dst = cent + a * dim
                if sizes[a] == 0 { dst.update(from: x + rng.next(below: s) * dim, count: dim) }
                let nrm = BLAS.norm(dim, dst)
                if nrm > 0 { for j in 0..<dim { dst[j] /= nrm } }
            }
        }
        return (cent, c)
    }

    /// Rows of each cluster, ascending global row numbers (CSR).
    struct Members: Sendable {
        let ptr: [Int]
        let rows: [Int32]

        /// CSR of `assigned` (per row, `per` clusters each) over `clusters` clusters.
        init(assigned: [Int32], per: Int, clusters c: Int) {
            var ptr = [Int](repeating: 0, count: c + 1)
            for a in assigned { ptr[Int(a) + 1] += 1 }
            for i in 0..<c { ptr[i + 1] += ptr[i] }
            var fill = ptr
            var rows = [Int32](repeating: 0, count: assigned.count)
            for (e, a) in assigned.enumerated() {
                rows[fill[Int(a)]] = Int32(e / per)
                fill[Int(a)] += 1
            }
            self.ptr = ptr
            self.rows = rows
        }

        var sizes: [Int] { (0..<(ptr.count - 1)).map { ptr[$0 + 1] - ptr[$0] } }
    }

    /// Finds every row's `probes` clusters with the largest centroid products (the row's norm does
    /// not change that order, so raw rows are used): the first is its home, where it is a
    /// candidate; all are searched for its own list.
    static func place(_ rows: RowSource, centroids: UnsafePointer<Float>, clusters c: Int, probes: Int) -> (
        homes: Members, queries: Members
    ) {
        let n = rows.count, dim = rows.dim
        var placed = [Int32](repeating: 0, count: n * probes)
        let block = max(1, min(n, (64 << 20) / (4 * c)))
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: block * c)
        defer { scores.deallocate() }
        let workers = ProcessInfo.processInfo.activeProcessorCount
        for (d, dec) in rows.decoders.enumerated() {
            var start = 0
            while start < dec.rows {
                let m = min(block, dec.rows - start)
                BLAS.gemmABt(m: m, n: c, k: dim, a: dec.storage.pointer + start * dim, b: centroids, c: scores)
                let base = rows.offsets[d] + start
                placed.withUnsafeMutableBufferPointer { pl in
                    let out = pl.baseAddress!
                    let sc = scores
                    Parallel.forEach(workers) { w in
                        var vals = [Float](repeating: -.infinity, count: probes)
                        var idx = [Int32](repeating: 0, count: probes)
                        for r in (m * w / workers)..<(m * (w + 1) / workers) {
                            let row = sc + r * c
                            for q in 0..<probes { vals[q] = -.infinity; idx[q] = Int32(q) }
                            for j in 0..<c {
                                let v = row[j]
                                guard v > vals[probes - 1] else { continue }
                                var q = probes - 1
                                while q > 0 && vals[q - 1] < v { vals[q] = vals[q - 1]; idx[q] = idx[q - 1]; q -= 1 }
                                vals[q] = v
                                idx[q] = Int32(j)
                            }
                            for q in 0..<probes { out[(base + r) * probes + q] = idx[q] }
                        }
                    }
                }
                start += m
            }
        }
        let homes = Members(assigned: (0..<n).map { placed[$0 * probes] }, per: 1, clusters: c)
        return (homes, Members(assigned: placed, per: probes, clusters: c))
    }

    /// The lists as raw memory: workers write disjoint rows.
    final class ListStore: @unchecked Sendable {
        struct Table {
            let values: UnsafeMutablePointer<Float>
            let indices: UnsafeMutablePointer<Int32>
            let counts: UnsafeMutablePointer<Int32>
            let rows: Int
        }
        let k: Int
        /// tables[i][j]: dictionary i's lists over dictionary j.
        let tables: [[Table]]

        init(rows: [Int], k: Int) {
            self.k = k
            tables = rows.map { r in
                rows.map { _ in
                    let n = max(1, r * k)
                    let v = UnsafeMutablePointer<Float>.allocate(capacity: n)
                    v.initialize(repeating: -.infinity, count: n)
                    let i = UnsafeMutablePointer<Int32>.allocate(capacity: n)
                    i.initialize(repeating: -1, count: n)
                    let c = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, r))
                    c.initialize(repeating: 0, count: max(1, r))
                    return Table(values: v, indices: i, counts: c, rows: r)
                }
            }
        }

        /// Copies of all tables as `TopKLists`.
        func lists() -> [[TopKLists]] {
            tables.map { row in
                row.map { t in
                    var l = TopKLists(rows: t.rows, k: k)
                    l.values = Array(UnsafeBufferPointer(start: t.values, count: t.rows * k))
                    l.indices = Array(UnsafeBufferPointer(start: t.indices, count: t.rows * k))
                    l.counts = Array(UnsafeBufferPointer(start: t.counts, count: t.rows))
                    return l
                }
            }
        }

        func deallocate() { for row in tables { for t in row { t.values.deallocate(); t.indices.deallocate(); t.counts.deallocate() } } }
    }

    /// For each cluster, the exact cosines of the rows searching it with the rows it is home to,
    /// offered to the searching rows' lists. A pair is computed at most once: the candidate has
    /// one home.
    static func products(_ rows: RowSource, homes: Members, queries: Members, k: Int, store: ListStore, workers: Int) {
        let dim = rows.dim
        let sizes = homes.sizes, searches = queries.sizes
        let largest = sizes.max() ?? 0, mostSearched = searches.max() ?? 0
        guard largest > 0, mostSearched > 0 else { return }
        let unit = UnsafeMutablePointer<Float>.allocate(capacity: largest * dim)
        defer { unit.deallocate() }
        // Searching rows in blocks that keep the block of cosines near 64 MB however large a cluster is.
        let blockRows = max(1, min(mostSearched, (64 << 20) / (4 * largest)))
        let query = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * dim)
        defer { query.deallocate() }
        let cos = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * largest)
        defer { cos.deallocate() }
        var owner = [(dict: Int32, feature: Int32)](repeating: (0, 0), count: largest)
        for c in 0..<sizes.count {
            let lo = homes.ptr[c], m = sizes[c]
            guard m > 0 else { continue }
            for r in 0..<m {
                let (d, f) = rows.locate(Int(homes.rows[lo + r]))
                owner[r] = (Int32(d), Int32(f))
            }
            let u = unit
            Parallel.forEach(workers) { w in
                for r in (m * w / workers)..<(m * (w + 1) / workers) { rows.copyUnit(Int(homes.rows[lo + r]), to: u + r * dim) }
            }
            // Home rows ascend by global row, so each dictionary's are one run of columns.
            var segments: [(dict: Int, start: Int, end: Int)] = []
            for r in 0..<m where r == 0 || owner[r].dict != owner[r - 1].dict {
                if let last = segments.indices.last { segments[last].end = r }
                segments.append((Int(owner[r].dict), r, m))
            }
            let qlo = queries.ptr[c], qn = searches[c]
            var start = 0
            while start < qn {
                let b = min(blockRows, qn - start)
                let q = query, first = qlo + start
                Parallel.forEach(workers) { w in
                    for r in (b * w / workers)..<(b * (w + 1) / workers) { rows.copyUnit(Int(queries.rows[first + r]), to: q + r * dim) }
                }
                BLAS.gemmABt(m: b, n: m, k: dim, a: query, b: unit, c: cos)
                let ctx = ScanContext(
                    cos: cos, width: m, queries: queries.rows, first: first, rows: rows, owner: owner, homes: homes.rows,
                    homeStart: lo, segments: segments, k: k, store: store)
                Parallel.forEach(workers) { w in ctx.scan(block: (b * w / workers)..<(b * (w + 1) / workers)) }
                // The same cosines offered the other way: each home row gets its searchers.
                Parallel.forEach(workers) { w in ctx.scanColumns((m * w / workers)..<(m * (w + 1) / workers), rows: b) }
                start += b
            }
        }
    }

    struct ScanContext: @unchecked Sendable {
        let cos: UnsafeMutablePointer<Float>
        let width: Int
        let queries: [Int32]
        let first: Int
        let rows: RowSource
        let owner: [(dict: Int32, feature: Int32)]
        let homes: [Int32]
        let homeStart: Int
        let segments: [(dict: Int, start: Int, end: Int)]
        let k: Int
        let store: ListStore

        /// Offers each searching row's cosines to its lists in every dictionary.
        func scan(block: Range<Int>) {
            for r in block {
                let g = Int(queries[first + r])
                let (du, fu) = rows.locate(g)
                let row = cos + r * width
                for seg in segments {
                    let t = store.tables[du][seg.dict]
                    let vals = t.values + fu * k, idx = t.indices + fu * k
                    var cnt = t.counts[fu]
                    var bar = Int(cnt) == k ? vals[k - 1] : -.infinity
                    for v in seg.start..<seg.end {
                        let x = row[v]
                        guard x >= bar, Int(homes[homeStart + v]) != g else { continue }
                        offer(vals, idx, &cnt, x, owner[v].feature)
                        if Int(cnt) == k { bar = vals[k - 1] }
                    }
                    t.counts[fu] = cnt
                }
            }
        }

        /// Offers, for each home row in `columns`, the cosines of its searchers in `rows` block rows.
        func scanColumns(_ columns: Range<Int>, rows count: Int) {
            guard !columns.isEmpty else { return }
            for r in 0..<count {
                let g = Int(queries[first + r])
                let (du, fu) = rows.locate(g)
                let row = cos + r * width
                for v in columns where Int(homes[homeStart + v]) != g {
                    let x = row[v]
                    let t = store.tables[Int(owner[v].dict)][du]
                    let fv = Int(owner[v].feature)
                    var cnt = t.counts[fv]
                    let vals = t.values + fv * k
                    guard Int(cnt) < k || x >= vals[k - 1] else { continue }
                    offer(vals, t.indices + fv * k, &cnt, x, Int32(fu))
                    t.counts[fv] = cnt
                }
            }
        }

        /// A pair can be met from both of its rows and, with several clusterings, more than once:
        /// it enters a list once.
        @inline(__always)
        func offer(_ vals: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, _ cnt: inout Int32, _ x: Float, _ f: Int32) {
            for q in 0..<Int(cnt) where idx[q] == f { return }
            topKOffer(vals, idx, count: &cnt, k: k, value: x, index: f)
        }
    }
}
