/// The k best (value, index) pairs of many rows, best first, stored flat.
///
/// Ties keep the lower index first. Offers must arrive in ascending index order for that tie rule
/// to hold (every scan in this folder does so); `merge` restores it across partial lists.
struct TopKLists: Sendable {
    let k: Int
    let rows: Int
    var values: [Float]
    var indices: [Int32]
    var counts: [Int32]

    init(rows: Int, k: Int) {
        self.k = k
        self.rows = rows
        values = [Float](repeating: -.infinity, count: rows * k)
        indices = [Int32](repeating: -1, count: rows * k)
        counts = [Int32](repeating: 0, count: rows)
    }

    /// The list of `row`, best first.
    func list(_ row: Int) -> [(index: Int, value: Float)] {
        (0..<Int(counts[row])).map { (Int(indices[row * k + $0]), values[row * k + $0]) }
    }

    /// The best index of `row`, or -1.
    func best(_ row: Int) -> Int { counts[row] > 0 ? Int(indices[row * k]) : -1 }
}

/// Inserts (v, i) into a best-first list of at most k items at `vals`/`idx` holding `count`.
/// The caller has checked that the list is not full or that v beats its last item.
@inline(__always)
func topKInsert(
    _ vals: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, count: inout Int32, k: Int, value v: Float, index i: Int32
) {
    var p = Int(count) < k ? Int(count) : k - 1
    while p > 0 && (vals[p - 1] < v || (vals[p - 1] == v && idx[p - 1] > i)) {
        vals[p] = vals[p - 1]
        idx[p] = idx[p - 1]
        p -= 1
    }
    vals[p] = v
    idx[p] = i
    if Int(count) < k { count += 1 }
}

/// Offers (v, i) to a best-first list; ties go to the lower index.
@inline(__always)
func topKOffer(
    _ vals: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, count: inout Int32, k: Int, value v: Float, index i: Int32
) {
    if Int(count) == k {
        let last = vals[k - 1]
        guard v > last || (v == last && i < idx[k - 1]) else { return }
    }
    topKInsert(vals, idx, count: &count, k: k, value: v, index: i)
}
