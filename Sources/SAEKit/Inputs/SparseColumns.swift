/// One dictionary's nonzero activations over a token sample, stored by feature (CSC).
///
/// Column `f` holds the rows (token indices into the sample, ascending) where feature `f` is
/// active and the activation values there: `rows[colPtr[f] ..< colPtr[f + 1]]`. The buffers are
/// either borrowed from a mapped cache file (kept alive by `owner`) or owned arrays.
public struct SparseColumns: @unchecked Sendable {
    public let rowCount: Int
    public let featureCount: Int
    public let colPtr: UnsafeBufferPointer<Int64>
    public let rows: UnsafeBufferPointer<UInt32>
    public let values: UnsafeBufferPointer<Float>
    private let owner: AnyObject?

    /// Borrows buffers kept alive by `owner`.
    public init(
        rowCount: Int, featureCount: Int, colPtr: UnsafeBufferPointer<Int64>, rows: UnsafeBufferPointer<UInt32>,
        values: UnsafeBufferPointer<Float>, owner: AnyObject?
    ) {
        precondition(colPtr.count == featureCount + 1 && rows.count == values.count)
        self.rowCount = rowCount
        self.featureCount = featureCount
        self.colPtr = colPtr
        self.rows = rows
        self.values = values
        self.owner = owner
    }

    /// Copies arrays (tests, builders).
    public init(rowCount: Int, featureCount: Int, colPtr: [Int64], rows: [UInt32], values: [Float]) {
        let owned = (OwnedBuffer(colPtr), OwnedBuffer(rows), OwnedBuffer(values))
        self.init(
            rowCount: rowCount, featureCount: featureCount, colPtr: owned.0.buffer, rows: owned.1.buffer, values: owned.2.buffer,
            owner: KeepAlive([owned.0, owned.1, owned.2]))
    }

    /// Builds columns from per-feature (row, value) lists; rows within a feature must ascend.
    public init(rowCount: Int, columns: [[(row: UInt32, value: Float)]]) {
        var ptr: [Int64] = [0]
        var r: [UInt32] = []
        var v: [Float] = []
        for c in columns {
            for e in c { r.append(e.row); v.append(e.value) }
            ptr.append(Int64(r.count))
        }
        self.init(rowCount: rowCount, featureCount: columns.count, colPtr: ptr, rows: r, values: v)
    }

    /// Total nonzeros.
    public var nonzeroCount: Int { rows.count }

    /// The range of `rows`/`values` belonging to `feature`.
    @inlinable
    public func range(_ feature: Int) -> Range<Int> { Int(colPtr[feature])..<Int(colPtr[feature + 1]) }

    /// Activation of `feature` at `row` (0 when inactive), by binary search.
    public func value(feature: Int, row: Int) -> Float {
        var lo = Int(colPtr[feature]), hi = Int(colPtr[feature + 1])
        let target = UInt32(row)
        while lo < hi {
            let mid = (lo + hi) / 2
            if rows[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < Int(colPtr[feature + 1]) && rows[lo] == target ? values[lo] : 0
    }
}
