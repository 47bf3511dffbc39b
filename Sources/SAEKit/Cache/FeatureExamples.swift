/// Top contexts, interval samples and random samples of every feature, derived from sparse columns.
///
/// Derived only from the columns and the seed, never from the order the tokens were encoded in,
/// so a cache merged from shards equals one built in a single run.
public struct FeatureExamples: Sendable {
    public let featureCount: Int
    public let topK: Int
    public let bins: Int
    public let perBin: Int
    public let randomCount: Int
    /// [F x topK] rows of the best activations, best first (ties: lower row), -1 when fewer.
    public var topRows: [Int32]
    public var topValues: [Float]
    /// [F x bins x perBin] rows, -1 when fewer.
    public var intervalRows: [Int32]
    /// [F x bins] active-token counts per bin.
    public var intervalCounts: [Int64]
    /// [F x randomCount] rows, -1 when fewer.
    public var randomRows: [Int32]

    public static func derive(from c: SparseColumns, options o: CacheOptions) -> FeatureExamples {
        let f = c.featureCount
        var ex = FeatureExamples(featureCount: f, topK: o.topK, bins: o.bins, perBin: o.perBin, randomCount: o.randomCount,
                                 topRows: [Int32](repeating: -1, count: f * o.topK), topValues: [Float](repeating: 0, count: f * o.topK),
                                 intervalRows: [Int32](repeating: -1, count: f * o.bins * o.perBin),
                                 intervalCounts: [Int64](repeating: 0, count: f * o.bins),
                                 randomRows: [Int32](repeating: -1, count: f * o.randomCount))
        var top = TopKSelector(capacity: o.topK)
        var rnd = SmallestKeys(capacity: o.randomCount)
        var binSel = (0..<o.bins).map { _ in SmallestKeys(capacity: o.perBin) }
        for feat in 0..<f {
            let r = c.range(feat)
            if r.isEmpty { continue }
            top.reset()
            rnd.reset()
            var maxV: Float = 0
            for k in r {
                let v = c.values[k]
                // TopKSelector breaks ties toward the lower index; rows ascend, so that is the lower row.
                top.offer(value: v, index: Int(c.rows[k]))
                maxV = max(maxV, v)
                rnd.offer(key: sampleKey(seed: o.seed, feature: feat, row: c.rows[k]), row: c.rows[k])
            }
            let best = top.items.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            for (j, (v, row)) in best.enumerated() {
                ex.topRows[feat * o.topK + j] = Int32(row)
                ex.topValues[feat * o.topK + j] = v
            }
            for (j, row) in rnd.sortedRows().enumerated() { ex.randomRows[feat * o.randomCount + j] = Int32(row) }
            if o.bins > 0 && maxV > 0 {
                for b in 0..<o.bins { binSel[b].reset() }
                let width = maxV / Float(o.bins)
                for k in r {
                    let v = c.values[k]
                    guard v > 0 else { continue }
                    let b = min(o.bins - 1, max(0, Int((v / width).rounded(.up)) - 1))
                    ex.intervalCounts[feat * o.bins + b] += 1
                    binSel[b].offer(key: sampleKey(seed: o.seed &+ 1, feature: feat, row: c.rows[k]), row: c.rows[k])
                }
                for b in 0..<o.bins {
                    for (j, row) in binSel[b].sortedRows().enumerated() {
                        ex.intervalRows[(feat * o.bins + b) * o.perBin + j] = Int32(row)
                    }
                }
            }
        }
        return ex
    }
}

/// Keeps the `capacity` (key, row) pairs with the smallest keys.
struct SmallestKeys {
    let capacity: Int
    private var heap: [(UInt64, UInt32)] = []  // max-heap on key

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    mutating func reset() { heap.removeAll(keepingCapacity: true) }

    mutating func offer(key: UInt64, row: UInt32) {
        guard capacity > 0 else { return }
        if heap.count < capacity {
            heap.append((key, row))
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if heap[c].0 > heap[p].0 { heap.swapAt(c, p); c = p } else { break }
            }
            return
        }
        guard key < heap[0].0 else { return }
        heap[0] = (key, row)
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < heap.count && heap[l].0 > heap[m].0 { m = l }
            if r < heap.count && heap[r].0 > heap[m].0 { m = r }
            if m == p { break }
            heap.swapAt(p, m)
            p = m
        }
    }

    /// The kept rows in ascending row order (reading order).
    func sortedRows() -> [UInt32] { heap.map(\.1).sorted() }
}
