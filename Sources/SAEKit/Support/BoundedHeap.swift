/// Which elements a `BoundedHeap` keeps: `weaker(a, b)` is true when `a` is dropped before `b`.
protocol KeepOrder {
    associatedtype Element
    static func weaker(_ a: Element, _ b: Element) -> Bool
}

/// Keeps the `capacity` strongest elements offered, in a binary heap with the weakest kept one at
/// the root (an offer costs O(log capacity)); `items` are in heap order.
struct BoundedHeap<Order: KeepOrder> {
    let capacity: Int
    private(set) var items: [Order.Element] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    mutating func reset() { items.removeAll(keepingCapacity: true) }

    /// Keeps `e` when the heap has room or `e` is stronger than the weakest kept element.
    @inline(__always)
    mutating func offer(_ e: Order.Element) {
        guard capacity > 0 else { return }
        if items.count < capacity {
            items.append(e)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Order.weaker(items[c], items[p]) else { break }
                items.swapAt(c, p)
                c = p
            }
            return
        }
        guard Order.weaker(items[0], e) else { return }
        items[0] = e
        var p = 0
        let n = items.count
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < n && Order.weaker(items[l], items[m]) { m = l }
            if r < n && Order.weaker(items[r], items[m]) { m = r }
            if m == p { break }
            items.swapAt(p, m)
            p = m
        }
    }
}
