import Dispatch

/// A stable, cheap digest of a dictionary's weights, used to key labels and to detect stale caches.
///
/// It hashes the architecture string, then each tensor's name, dtype, shape and raw bytes as stored,
/// in name order. Bytes are hashed in 8 MiB chunks (in parallel; the chunking, not the thread
/// count, fixes the result) with an 8-lane 64-bit xor-multiply hash, and the chunk digests are
/// combined in order. Not cryptographic: it detects changed weights, it does not resist forgery.
/// The same files give the same digest on every machine.
public struct DictionaryFingerprint {
    static let chunkSize = 8 << 20
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var length: UInt64 = 0

    public init() {}

    @inline(__always)
    static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        var x = (h ^ w) &* 0x9FB2_1C65_1E98_DF25
        x ^= x >> 29
        return x
    }

    /// Digest of one chunk (at most `chunkSize` bytes).
    static func chunkDigest(_ base: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var l0: UInt64 = 0x243F_6A88_85A3_08D3, l1: UInt64 = 0x1319_8A2E_0370_7344, l2: UInt64 = 0xA409_3822_299F_31D0
        var l3: UInt64 = 0x082E_FA98_EC4E_6C89, l4: UInt64 = 0x4528_21E6_38D0_1377, l5: UInt64 = 0xBE54_66CF_34E9_0C6C
        var l6: UInt64 = 0xC0AC_29B7_C97C_50DD, l7: UInt64 = 0x3F84_D5B5_B547_0917
        let words = n / 64 * 8
        let p = base.assumingMemoryBound(to: UInt64.self)
        var i = 0
        if Int(bitPattern: base) % 8 == 0 {
            while i < words {
                l0 = (l0 ^ p[i]) &* 0x9FB2_1C65_1E98_DF25
                l1 = (l1 ^ p[i &+ 1]) &* 0x9FB2_1C65_1E98_DF25
                l2 = (l2 ^ p[i &+ 2]) &* 0x9FB2_1C65_1E98_DF25
                l3 = (l3 ^ p[i &+ 3]) &* 0x9FB2_1C65_1E98_DF25
                l4 = (l4 ^ p[i &+ 4]) &* 0x9FB2_1C65_1E98_DF25
                l5 = (l5 ^ p[i &+ 5]) &* 0x9FB2_1C65_1E98_DF25
                l6 = (l6 ^ p[i &+ 6]) &* 0x9FB2_1C65_1E98_DF25
                l7 = (l7 ^ p[i &+ 7]) &* 0x9FB2_1C65_1E98_DF25
                i &+= 8
            }
        } else {
            while i < words {
                l0 = (l0 ^ base.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l1 = (l1 ^ base.loadUnaligned(fromByteOffset: (i &+ 1) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l2 = (l2 ^ base.loadUnaligned(fromByteOffset: (i &+ 2) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l3 = (l3 ^ base.loadUnaligned(fromByteOffset: (i &+ 3) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l4 = (l4 ^ base.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l5 = (l5 ^ base.loadUnaligned(fromByteOffset: (i &+ 5) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l6 = (l6 ^ base.loadUnaligned(fromByteOffset: (i &+ 6) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                l7 = (l7 ^ base.loadUnaligned(fromByteOffset: (i &+ 7) &* 8, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
                i &+= 8
            }
        }
        var h = mix(mix(mix(mix(mix(mix(mix(mix(UInt64(n), l0), l1), l2), l3), l4), l5), l6), l7)
        var b = words &* 8
        while b < n {
            h = mix(h, UInt64(base.load(fromByteOffset: b, as: UInt8.self)) | 0x100)
            b &+= 1
        }
        return h
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            state = Self.mix(state, 0xE7)
            return
        }
        let n = bytes.count
        let chunks = (n + Self.chunkSize - 1) / Self.chunkSize
        var digests = [UInt64](repeating: 0, count: chunks)
        digests.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            let work = { (c: Int) in
                let start = c * Self.chunkSize
                o[c] = Self.chunkDigest(base + start, min(Self.chunkSize, n - start))
            }
            Parallel.forEach(chunks, work)
        }
        for d in digests { state = Self.mix(state, d) }
        length &+= UInt64(n)
    }

    /// Feeds the digests (`chunkDigest`) of the consecutive `chunkSize` pieces of `byteCount` bytes,
    /// as `update` of those bytes in one call would: a file hashed in parts, or by several processes.
    mutating func update(chunkDigests: [UInt64], byteCount: Int) {
        guard byteCount > 0 else {
            state = Self.mix(state, 0xE7)
            return
        }
        for d in chunkDigests { state = Self.mix(state, d) }
        length &+= UInt64(byteCount)
    }

    public mutating func update(_ string: String) {
        var s = string + "\u{0}"
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// 16 hex digits.
    public func hex() -> String {
        let h = Self.mix(Self.mix(state, length), 0x5851_F42D_4C95_7F2D)
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
