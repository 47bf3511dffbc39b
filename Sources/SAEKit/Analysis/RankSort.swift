/// Sorting and average-rank helpers shared by the norm statistics.
///
/// Items are packed as `UInt64` words: an order-preserving 32-bit key in the high half and a
/// 32-bit payload (an index) in the low half, so one integer sort orders by key and carries the
/// payload along. Sorting is a stable LSD radix sort on the key bytes (passes whose byte is the
/// same for every item are skipped), which is linear in the item count.
enum RankSort {
    /// Maps a Float to a UInt32 whose unsigned order is the Float order (-0 before +0; no NaN).
    @inline(__always)
    static func orderedKey(_ v: Float) -> UInt32 {
        let b = v.bitPattern
        return (b & 0x8000_0000) != 0 ? ~b : b | 0x8000_0000
    }

    @inline(__always)
    static func pack(key: UInt32, payload: UInt32) -> UInt64 { UInt64(key) << 32 | UInt64(payload) }

    /// `rows` stably sorted by `key` (ascending, or descending), rows whose key is nil last in
    /// either direction; rows that tie keep their order. One radix sort, linear in the count: the
    /// one sort rule of the feature and pair tables.
    static func order(_ rows: [Int32], descending: Bool, key: (Int32) -> UInt32?) -> [Int32] {
        let n = rows.count
        guard n > 1 else { return rows }
        var items = [UInt64](repeating: 0, count: n)
        var scratch = [UInt64](repeating: 0, count: n)
        for (i, row) in rows.enumerated() {
            let packed: UInt32
            if let k = key(row) {
                let known = min(k, UInt32.max - 1)  // UInt32.max is kept for unknown values
                packed = descending ? UInt32.max - 1 - known : known
            } else {
                packed = UInt32.max
            }
            items[i] = pack(key: packed, payload: UInt32(i))
        }
        items.withUnsafeMutableBufferPointer { it in
            scratch.withUnsafeMutableBufferPointer { sc in sortByKey(it.baseAddress!, count: n, scratch: sc.baseAddress!) }
        }
        return items.map { rows[Int(UInt32(truncatingIfNeeded: $0))] }
    }

    /// Sorts `items[0..<count]` by their high 32 bits, stably; `scratch` must hold `count` words.
    static func sortByKey(_ items: UnsafeMutablePointer<UInt64>, count: Int, scratch: UnsafeMutablePointer<UInt64>) {
        if count < 2 { return }
        if count <= 48 {
            // Insertion sort: stable, cheapest for tiny columns.
            for i in 1..<count {
                let x = items[i]
                let k = x >> 32
                var j = i - 1
                while j >= 0 && items[j] >> 32 > k { items[j + 1] = items[j]; j -= 1 }
                items[j + 1] = x
            }
            return
        }
        var hist = [Int](repeating: 0, count: 4 * 256)
        hist.withUnsafeMutableBufferPointer { h in
            let hp = h.baseAddress!
            for i in 0..<count {
                let k = items[i] >> 32
                hp[Int(k & 0xFF)] &+= 1
                hp[256 &+ Int((k >> 8) & 0xFF)] &+= 1
                hp[512 &+ Int((k >> 16) & 0xFF)] &+= 1
                hp[768 &+ Int(k >> 24)] &+= 1
            }
            var src = items, dst = scratch
            for pass in 0..<4 {
                let base = hp + pass * 256
                // Skip a pass where every key has the same byte.
                let first = Int((items[0] >> (32 + UInt64(pass * 8))) & 0xFF)
                if base[first] == count { continue }
                var sum = 0
                for b in 0..<256 { let c = base[b]; base[b] = sum; sum &+= c }
                let shift = UInt64(32 + pass * 8)
                for i in 0..<count {
                    let x = src[i]
                    let b = Int((x >> shift) & 0xFF)
                    dst[base[b]] = x
                    base[b] &+= 1
                }
                swap(&src, &dst)
            }
            if src != items { items.update(from: src, count: count) }
        }
    }
}

/// Reusable buffers for per-feature work; one per thread.
final class AnalysisScratch {
    private(set) var capacity: Int
    private(set) var a: UnsafeMutablePointer<UInt64>
    private(set) var b: UnsafeMutablePointer<UInt64>
    private(set) var c: UnsafeMutablePointer<UInt64>
    private(set) var ranks: UnsafeMutablePointer<Double>
    private(set) var ranks2: UnsafeMutablePointer<Double>
    private(set) var values: UnsafeMutablePointer<Float>
    private(set) var tokens: UnsafeMutablePointer<TokenRecord>

    init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
        a = .allocate(capacity: self.capacity)
        b = .allocate(capacity: self.capacity)
        c = .allocate(capacity: self.capacity)
        ranks = .allocate(capacity: self.capacity)
        ranks2 = .allocate(capacity: self.capacity)
        values = .allocate(capacity: self.capacity)
        tokens = .allocate(capacity: self.capacity)
    }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        free()
        capacity = max(n, capacity * 2)
        a = .allocate(capacity: capacity)
        b = .allocate(capacity: capacity)
        c = .allocate(capacity: capacity)
        ranks = .allocate(capacity: capacity)
        ranks2 = .allocate(capacity: capacity)
        values = .allocate(capacity: capacity)
        tokens = .allocate(capacity: capacity)
    }

    private func free() {
        a.deallocate(); b.deallocate(); c.deallocate(); ranks.deallocate(); ranks2.deallocate(); values.deallocate(); tokens.deallocate()
    }

    deinit { free() }
}
