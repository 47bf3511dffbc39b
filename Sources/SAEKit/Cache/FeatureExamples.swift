/// A feature's top contexts, interval samples and random samples, derived from its sparse column.
///
/// Derived only from the column and the seed, never from the order the tokens were encoded in, so
/// a cache merged from shards gives the same examples as one built in a single run. Deriving costs
/// O(nnz of the feature x log k), so caches store the columns and derive examples when asked.
public struct FeatureExamples: Sendable, Equatable {
    /// Best activations first (ties: lower row).
    public var top: [(row: Int, value: Float)]
    /// Per bin of [min, max] (equal width, lowest first): sampled rows (highest activation first,
    /// ties by row) and the bin's count.
    public var intervals: [(rows: [Int], count: Int)]
    /// Uniformly sampled active rows (ascending).
    public var random: [Int]
    /// The largest activation (0 when the feature never fires).
    public var maxValue: Float
    /// The smallest positive activation (0 when the feature never fires): the bins start here, so
    /// a feature whose activations sit high above 0 (a threshold, a bias) gets no empty low bins.
    public var minValue: Float
    /// Active tokens.
    public var activeCount: Int

    public static func == (a: FeatureExamples, b: FeatureExamples) -> Bool {
        a.top.elementsEqual(b.top, by: { $0.row == $1.row && $0.value == $1.value })
            && a.intervals.elementsEqual(b.intervals, by: { $0.rows == $1.rows && $0.count == $1.count })
            && a.random == b.random && a.maxValue == b.maxValue && a.minValue == b.minValue && a.activeCount == b.activeCount
    }

    /// Only the top rows of `feature` (best first, ties to the lower row).
    public static func topRows(feature: Int, columns c: SparseColumns, k: Int) -> [Int] {
        var top = TopKSelector(capacity: k)
        for j in c.range(feature) { top.offer(value: c.values[j], index: Int(c.rows[j])) }
        return top.items.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.map(\.1)
    }

    /// The examples of `feature` in `columns`.
    public static func derive(feature: Int, columns c: SparseColumns, options o: CacheOptions) -> FeatureExamples {
        let r = c.range(feature)
        var top = TopKSelector(capacity: o.topK)
        var rnd = SmallestKeys(capacity: o.randomCount)
        var maxV: Float = 0, minV = Float.infinity
        for k in r {
            let v = c.values[k]
            // TopKSelector breaks ties toward the lower index; rows ascend, so that is the lower row.
            top.offer(value: v, index: Int(c.rows[k]))
            maxV = max(maxV, v)
            if v > 0 { minV = min(minV, v) }
            rnd.offer(key: sampleKey(seed: o.seed, feature: feature, row: c.rows[k]), row: c.rows[k])
        }
        let best = top.items.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.map { (row: $0.1, value: $0.0) }
        if !(minV <= maxV) { minV = 0 }
        var intervals: [(rows: [Int], count: Int)] = []
        if o.bins > 0 && maxV > 0 {
            var binSel = (0..<o.bins).map { _ in SmallestKeys(capacity: o.perBin) }
            var counts = [Int](repeating: 0, count: o.bins)
            let width = (maxV - minV) / Float(o.bins)
            for k in r {
                let v = c.values[k]
                guard v > 0 else { continue }
                let b = bin(v, min: minV, width: width, bins: o.bins)
                counts[b] += 1
                binSel[b].offer(key: sampleKey(seed: o.seed &+ 1, feature: feature, row: c.rows[k]), row: c.rows[k])
            }
            intervals = (0..<o.bins).map { b in
                // The sampled rows, highest activation first (ties by row).
                let rows = binSel[b].sortedRows().map { (row: Int($0), value: c.value(feature: feature, row: Int($0))) }
                return (rows: rows.sorted { $0.value > $1.value || ($0.value == $1.value && $0.row < $1.row) }.map(\.row), count: counts[b])
            }
        }
        return FeatureExamples(
            top: best, intervals: intervals, random: rnd.sortedRows().map(Int.init), maxValue: maxV, minValue: minV,
            activeCount: r.count)
    }

    /// The bin of activation `v` > 0 among `bins` equal-width bins from `min` (the first bin closed
    /// at min, each (lower, upper] after): clamp(ceil((v - min) / width) - 1, 0, bins - 1). A zero
    /// width (every activation equal) or a non-finite one puts everything in the top bin.
    public static func bin(_ v: Float, min: Float, width: Float, bins: Int) -> Int {
        let q = ((v - min) / width).rounded(.up)
        guard width > 0, q.isFinite else { return bins - 1 }
        return q >= Float(bins) ? bins - 1 : Swift.max(0, Int(q) - 1)
    }

    /// The bounds of bin `b`: (lower, upper], the first closed at `minValue`.
    public func binBounds(_ b: Int) -> (lower: Float, upper: Float) {
        let width = (maxValue - minValue) / Float(Swift.max(1, intervals.count))
        return (minValue + width * Float(b), b == intervals.count - 1 ? maxValue : minValue + width * Float(b + 1))
    }
}

/// Keeps the `capacity` (key, row) pairs with the smallest keys.
typealias SmallestKeys = BoundedHeap<SmallestKeysOrder>

enum SmallestKeysOrder: KeepOrder {
    static func weaker(_ a: (UInt64, UInt32), _ b: (UInt64, UInt32)) -> Bool { a.0 > b.0 }
}

extension BoundedHeap where Order == SmallestKeysOrder {
    mutating func offer(key: UInt64, row: UInt32) { offer((key, row)) }

    /// The kept rows in ascending row order (reading order).
    func sortedRows() -> [UInt32] { items.map(\.1).sorted() }
}
