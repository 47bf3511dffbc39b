/// Bulk conversion of IEEE half (f16) and bfloat16 values to Float32.
///
/// f16 goes through a 65,536-entry table built once with exact bit arithmetic, so subnormals,
/// infinities and NaN payloads convert exactly; Swift's `Float(Float16)` is a runtime call per value
/// on x86_64 and about twenty times slower. bf16 is the upper half of a Float32 bit pattern.
public enum HalfPrecision {
    /// Float32 bit patterns of every f16 bit pattern.
    static let f16Table: [UInt32] = (0..<65536).map { f16BitsToF32Bits(UInt16($0)) }

    /// Exact f16 -> f32 conversion of one bit pattern.
    @inlinable
    public static func f16BitsToF32Bits(_ h: UInt16) -> UInt32 {
        let sign = UInt32(h >> 15) << 31
        let exp = UInt32((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return sign }
            // Subnormal: value = mant * 2^-24, exactly representable in f32.
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign | v.bitPattern
        }
        if exp == 31 { return sign | 0x7F80_0000 | (mant << 13) }
        return sign | ((exp &- 15 &+ 127) << 23) | (mant << 13)
    }

    /// One f16 bit pattern as Float.
    @inlinable
    public static func float(f16 bits: UInt16) -> Float { Float(bitPattern: f16BitsToF32Bits(bits)) }

    /// One bf16 bit pattern as Float.
    @inlinable
    public static func float(bf16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Converts `count` little-endian f16 values at `src` (any alignment) into `dst`.
    public static func convertF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        f16Table.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            var i = 0
            while i < count {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
                dst[i] = Float(bitPattern: t[Int(bits)])
                i &+= 1
            }
        }
    }

    /// Converts `count` little-endian bf16 values at `src` (any alignment) into `dst`.
    public static func convertBF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < count {
            let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            dst[i] = Float(bitPattern: UInt32(bits) << 16)
            i &+= 1
        }
    }

    /// Rounds a Float to the nearest bf16 (ties to even); NaN stays NaN. Used by writers and tests.
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) &+ ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
