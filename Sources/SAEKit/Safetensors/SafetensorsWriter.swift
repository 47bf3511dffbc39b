import Foundation

/// Builds a safetensors file in memory and writes it atomically.
///
/// The header is padded with spaces so the data buffer starts at a multiple of 8, which lets
/// readers map F32/F64/I64 tensors in place. Tensors are written in the order they were added.
public struct SafetensorsWriter {
    private var entries: [(name: String, dtype: DType, shape: [Int], data: Data)] = []
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds a tensor from raw little-endian bytes. The byte count must match shape x dtype.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: Data) {
        precondition(dtype.byteSize.map { shape.reduce(1, *) * $0 == bytes.count } ?? true, "byte count does not match shape for \(name)")
        entries.append((name, dtype, shape, bytes))
    }

    // Typed arrays, written as their bytes in memory (little-endian on every platform saex runs on).
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) { add(name, .f32, shape, floats) }
    public mutating func add(_ name: String, shape: [Int], doubles: [Double]) { add(name, .f64, shape, doubles) }
    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) { add(name, .i32, shape, int32s) }
    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) { add(name, .i64, shape, int64s) }
    public mutating func add(_ name: String, shape: [Int], uint32s: [UInt32]) { add(name, .u32, shape, uint32s) }
    public mutating func add(_ name: String, shape: [Int], uint16s: [UInt16]) { add(name, .u16, shape, uint16s) }

    private mutating func add<T>(_ name: String, _ dtype: DType, _ shape: [Int], _ values: [T]) {
        add(name, dtype: dtype, shape: shape, bytes: values.withUnsafeBytes { Data($0) })
    }

    public mutating func add(_ name: String, shape: [Int], uint8s: [UInt8]) {
        add(name, dtype: .u8, shape: shape, bytes: Data(uint8s))
    }

    /// Stores Float values as F16 (round to nearest even).
    public mutating func add(_ name: String, shape: [Int], floatsAsF16 values: [Float]) {
        let bits = values.map { Float16($0).bitPattern }
        add(name, dtype: .f16, shape: shape, bytes: bits.withUnsafeBytes { Data($0) })
    }

    /// The header JSON, padded so that 8 + its length is a multiple of 8.
    func headerBytes() throws -> Data {
        var obj: [String: Any] = [:]
        var offset = 0
        for e in entries {
            obj[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.data.count]] as [String: Any]
            offset += e.data.count
        }
        if !metadata.isEmpty { obj["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        return json
    }

    /// The whole file as bytes.
    public func serialized() throws -> Data {
        let header = try headerBytes()
        var out = Data()
        var n = UInt64(header.count).littleEndian
        out.append(Data(bytes: &n, count: 8))
        out.append(header)
        for e in entries { out.append(e.data) }
        return out
    }

    /// Writes to `path` via a temporary file, fsync and rename.
    public func write(to path: String) throws {
        let header = try headerBytes()
        var n = UInt64(header.count).littleEndian
        try AtomicFile.write(path: path, chunks: [Data(bytes: &n, count: 8), header] + entries.map(\.data))
    }
}
