/// An immutable run of Float32 values: either borrowed from a memory map (zero-copy) or owned.
///
/// A class because it owns memory or keeps a `MappedFile` alive. Never mutated after creation, so
/// it is safe to share between threads.
public final class FloatStorage: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let count: Int
    private let owner: AnyObject?
    private let owned: UnsafeMutablePointer<Float>?

    /// Borrows `count` floats at `pointer`, keeping `owner` alive (a `MappedFile`).
    init(borrowing pointer: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        self.owned = nil
    }

    /// Allocates `count` floats and lets `fill` initialise all of them.
    public init(count: Int, fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        do { try fill(p) } catch { p.deallocate(); throw error }
        self.pointer = UnsafePointer(p)
        self.count = count
        self.owner = nil
        self.owned = p
    }

    /// Copies an array.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count) { dst in
            values.withUnsafeBufferPointer { src in
                if let b = src.baseAddress { dst.update(from: b, count: values.count) }
            }
        }
    }

    deinit { owned?.deallocate() }

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
    public subscript(i: Int) -> Float { pointer[i] }
    public var array: [Float] { Array(buffer) }
}
