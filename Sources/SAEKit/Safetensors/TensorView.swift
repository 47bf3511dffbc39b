/// A typed view of one tensor's bytes inside a mapped file (safetensors or .npy).
///
/// Holds the map alive. Reading converts to Float32 (or Int64) on demand; `float32Storage()`
/// borrows the mapped bytes without copying when they are F32 and 4-byte aligned.
public struct TensorView: Sendable {
    public let file: MappedFile
    public let info: TensorInfo
    /// Offset of the first byte in the file.
    public let absoluteOffset: Int

    public var name: String { info.name }
    public var dtype: DType { info.dtype }
    public var shape: [Int] { info.shape }
    public var elementCount: Int { info.elementCount }
    public var byteCount: Int { info.dataOffsets.count }

    /// The raw little-endian bytes.
    public var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: file.base.map { $0 + absoluteOffset }, count: byteCount)
    }

    /// "F32 [384, 2048]" for messages.
    public var summary: String { "\(dtype.rawValue) [\(shape.map(String.init).joined(separator: ", "))]" }

    private func unsupported(_ what: String) -> SAEKitError {
        SAEKitError(
            .unsupported, path: file.path, subject: "tensor \"\(name)\"", reason: "dtype \(dtype.rawValue) cannot be read as \(what)",
            remedy: "convert the tensor to F32, F16 or BF16")
    }

    /// Converts elements `range` to Float32 into `dst`.
    public func copyFloats(_ range: Range<Int>, into dst: UnsafeMutablePointer<Float>) throws {
        precondition(range.lowerBound >= 0 && range.upperBound <= elementCount)
        // The dtype is checked first, so that an empty tensor of a type that cannot be converted is
        // refused like a non-empty one (the fuzzer found an empty C64 tensor read as []).
        guard dtype.isConvertibleToFloat, let width = dtype.byteSize else { throw unsupported("Float32") }
        let count = range.count
        guard count > 0, let base = rawBytes.baseAddress else { return }
        let src = base + range.lowerBound * width
        switch dtype {
        case .f32:
            if Int(bitPattern: src) % 4 == 0 {
                dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
            } else {
                for i in 0..<count {
                    dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
                }
            }
        case .f16: HalfPrecision.convertF16(src, count: count, into: dst)
        case .bf16: HalfPrecision.convertBF16(src, count: count, into: dst)
        case .f64:
            for i in 0..<count {
                dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))))
            }
        case .u64:
            for i in 0..<count { dst[i] = Float(UInt64(bitPattern: dtype.integer(i, in: src) ?? 0)) }
        case _ where dtype.isInteger || dtype == .bool:
            for i in 0..<count { dst[i] = Float(dtype.integer(i, in: src) ?? 0) }
        default:
            throw unsupported("Float32")
        }
    }

    /// All elements as Float32.
    public func floats() throws -> [Float] {
        let n = elementCount
        return try [Float](unsafeUninitializedCapacity: n) { buf, count in
            if let b = buf.baseAddress { try copyFloats(0..<n, into: b) }
            count = n
        }
    }

    /// All elements as Float32 storage: borrowed from the map when F32 and aligned, else converted.
    public func float32Storage() throws -> FloatStorage {
        if dtype == .f32, let base = rawBytes.baseAddress, Int(bitPattern: base) % 4 == 0 {
            return FloatStorage(borrowing: base.assumingMemoryBound(to: Float.self), count: elementCount, owner: file)
        }
        let n = elementCount
        return try FloatStorage(count: n) { try copyFloats(0..<n, into: $0) }
    }

    /// All elements as Int64; integer dtypes and BOOL only. A U64 value above `Int64.max` is an error,
    /// not a negative number.
    public func int64s() throws -> [Int64] {
        guard dtype.isInteger || dtype == .bool else { throw unsupported("integers") }
        let n = elementCount
        guard n > 0, let src = rawBytes.baseAddress else { return [] }
        var out = [Int64](repeating: 0, count: n)
        for i in 0..<n {
            let v = dtype.integer(i, in: src) ?? 0
            guard dtype != .u64 || v >= 0 else {
                throw SAEKitError(
                    .unsupported, path: file.path, subject: "tensor \"\(name)\"",
                    reason: "U64 value \(UInt64(bitPattern: v)) at index \(i) does not fit in Int64", remedy: "store the values as I64")
            }
            out[i] = v
        }
        return out
    }

    /// The single value of a 0-d or one-element tensor, as Double.
    public func scalar() throws -> Double {
        guard elementCount == 1 else {
            throw SAEKitError(
                .badInput, path: file.path, subject: "tensor \"\(name)\"", reason: "expected a single value, found shape \(shape)")
        }
        if dtype == .f64, let b = rawBytes.baseAddress {
            return Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(as: UInt64.self)))
        }
        var v: Float = 0
        try copyFloats(0..<1, into: &v)
        return Double(v)
    }
}
