/// One read-only column of a `FeatureTable`: owned values, or a run of a mapped analysis file that
/// `owner` keeps alive (zero-copy, so a million-feature table costs no memory of its own).
public struct TableColumn<Element>: @unchecked Sendable {
    public let buffer: UnsafeBufferPointer<Element>
    private let owner: AnyObject?

    /// Borrows `buffer`, keeping `owner` (a mapped file) alive.
    public init(borrowing buffer: UnsafeBufferPointer<Element>, owner: AnyObject) {
        self.buffer = buffer
        self.owner = owner
    }

    /// Copies `values`.
    public init(_ values: [Element]) {
        let box = OwnedBuffer(values)
        buffer = box.buffer
        owner = box
    }

    public var count: Int { buffer.count }

    @inlinable
    public subscript(i: Int) -> Element { buffer[i] }
}
