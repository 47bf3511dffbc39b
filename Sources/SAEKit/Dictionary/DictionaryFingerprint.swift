/// A stable, cheap digest of a dictionary's weights, used to key labels and to detect stale caches.
///
/// It hashes the architecture string, then each tensor's name, dtype, shape and raw bytes as stored,
/// in name order, with a 4-lane 64-bit multiply-rotate hash (not cryptographic; it detects changed
/// weights, it does not resist forgery). The same files give the same digest on every machine.
public struct DictionaryFingerprint {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
    private var length: UInt64 = 0

    public init() {}

    @inline(__always)
    private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        var x = h ^ (w &* 0x9E37_79B9_7F4A_7C15)
        x = (x << 31) | (x >> 33)
        return x &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        var (a, b, c, d) = lanes
        while i &+ 32 <= n {
            a = Self.mix(a, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            b = Self.mix(b, base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self))
            c = Self.mix(c, base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self))
            d = Self.mix(d, base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self))
            i &+= 32
        }
        while i < n {
            a = Self.mix(a, UInt64(base.load(fromByteOffset: i, as: UInt8.self)) | 0x100)
            i &+= 1
        }
        lanes = (a, b, c, d)
        length &+= UInt64(n)
    }

    public mutating func update(_ string: String) {
        var s = string + "\u{0}"
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// 16 hex digits.
    public func hex() -> String {
        var (a, b, c, d) = lanes
        a = Self.mix(a, length)
        b = Self.mix(b, a)
        c = Self.mix(c, b)
        d = Self.mix(d, c)
        let h = a ^ (b >> 7) ^ (c << 13) ^ (d >> 29) ^ Self.mix(d, length)
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Digest of an architecture and a set of tensors.
    public static func of(architecture: String, tensors: [TensorView], extra: [String] = []) -> String {
        var f = DictionaryFingerprint()
        f.update(architecture)
        for e in extra { f.update(e) }
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            f.update(t.name)
            f.update(t.dtype.rawValue)
            f.update(t.shape.map(String.init).joined(separator: ","))
            f.update(t.rawBytes)
        }
        return f.hex()
    }
}
