/// A copy of an array that never moves: the memory behind `TableColumn` and `SparseColumns` built
/// from arrays (their other source is a mapped file).
final class OwnedBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(_ values: [Element]) {
        count = values.count
        pointer = .allocate(capacity: max(1, values.count))
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.initialize(from: b, count: values.count) } }
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: pointer, count: count) }
}

/// Keeps several owners alive as one (a value built from three owned arrays).
final class KeepAlive: @unchecked Sendable {
    let objects: [AnyObject]
    init(_ objects: [AnyObject]) { self.objects = objects }
}
