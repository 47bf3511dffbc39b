/// An element type of a safetensors file, by its header name.
///
/// All names of the reference implementation are recognised so that a valid file always parses;
/// `isConvertibleToFloat` says which ones saex can turn into Float32.
public enum DType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case i16 = "I16", u16 = "U16"
    case f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"
    case c64 = "C64"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2", f4 = "F4"

    /// Bits per element.
    public var bitSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .i64, .u64, .f64, .c64: return 64
        case .f6e2m3, .f6e3m2: return 6
        case .f4: return 4
        }
    }

    /// Bytes per element for the byte-sized types; nil for sub-byte types.
    public var byteSize: Int? { bitSize % 8 == 0 ? bitSize / 8 : nil }

    /// Whether `TensorView.floats()` can convert this type.
    public var isConvertibleToFloat: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .f16, .bf16, .i32, .u32, .f32, .i64, .u64, .f64: return true
        default: return false
        }
    }

    /// Whether values are integers (used to check token arrays).
    public var isInteger: Bool {
        switch self {
        case .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: return true
        default: return false
        }
    }
}

extension DType {
    /// Element `i` of little-endian integer (or bool) data of this dtype, as Int64; nil for a float
    /// dtype. A U64 element keeps its bits, so one above Int64.max reads negative: each caller
    /// refuses, clamps or wraps it. The one reader of integer elements.
    @inline(__always)
    func integer(_ i: Int, in base: UnsafeRawPointer) -> Int64? {
        switch self {
        case .bool, .u8: Int64(base.load(fromByteOffset: i, as: UInt8.self))
        case .i8: Int64(base.load(fromByteOffset: i, as: Int8.self))
        case .i16: Int64(Int16(littleEndian: base.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self)))
        case .u16: Int64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
        case .i32: Int64(Int32(littleEndian: base.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self)))
        case .u32: Int64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
        case .i64, .u64: Int64(littleEndian: base.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self))
        default: nil
        }
    }
}
