import Foundation

/// Exact per-feature sums of Float values, rounded once to Double at the end.
///
/// A cache stores each feature's sum of per-token elasticities. Added up in a Double, that sum
/// depends on the order of the additions, so caches built from shards and merged would differ in
/// the last bits from a single build. Here every Float is added exactly into a fixed-point integer
/// (a "superaccumulator": limbs of 32 bits held in Int64, carries propagated every 127 additions),
/// so the total is the same whatever the order or the split, and the Double written is the exact
/// sum rounded to nearest (ties to even). Infinities and NaNs are counted apart and give what a
/// Double sum of the same values gives (NaN for a NaN or for both infinities, else the infinity).
///
/// Layout: value = sum over k of limb[k] * 2^(32 k - 149); 10 limbs cover every Float (2^-149 ...
/// 2^128) times 2^32 additions.
public final class ExactSums: @unchecked Sendable {
    public static let limbCount = 10
    /// Extra slots per feature after the limbs: +inf count, -inf count, NaN count.
    static let slots = limbCount + 3
    public let count: Int
    /// [count x slots]: limbs, then the special-value counts.
    private let storage: UnsafeMutablePointer<Int64>
    /// Additions since each feature's limbs were last normalised.
    private let pending: UnsafeMutablePointer<UInt8>

    public init(count: Int) {
        self.count = count
        storage = .allocate(capacity: max(1, count * Self.slots))
        storage.initialize(repeating: 0, count: max(1, count * Self.slots))
        pending = .allocate(capacity: max(1, count))
        pending.initialize(repeating: 0, count: max(1, count))
    }

    deinit {
        storage.deallocate()
        pending.deallocate()
    }

    /// Adds `v` to feature `i`'s sum.
    @inline(__always)
    public func add(_ v: Float, to i: Int) {
        let bits = v.bitPattern
        let e = Int((bits >> 23) & 0xFF)
        let base = i &* Self.slots
        if e == 0xFF {
            let slot = (bits & 0x7F_FFFF) != 0 ? 2 : (bits >> 31 != 0 ? 1 : 0)
            storage[base &+ Self.limbCount &+ slot] &+= 1
            return
        }
        var m = Int64(bits & 0x7F_FFFF)
        if e != 0 { m |= 0x80_0000 }
        if m == 0 { return }
        let p = max(e, 1) &- 1  // position of m's lowest bit above 2^-149
        var x = m << Int64(p & 31)
        if bits >> 31 != 0 { x = -x }
        storage[base &+ (p >> 5)] &+= x
        pending[i] &+= 1
        if pending[i] == 127 { normalise(i) }
    }

    /// Propagates carries so that limbs 0 ..< limbCount-1 lie in [0, 2^32) and the top limb holds the sign.
    func normalise(_ i: Int) {
        let base = i * Self.slots
        var carry: Int64 = 0
        for k in 0..<(Self.limbCount - 1) {
            let v = storage[base + k] &+ carry
            carry = v >> 32  // arithmetic shift: floor division by 2^32
            storage[base + k] = v & 0xFFFF_FFFF
        }
        storage[base + Self.limbCount - 1] &+= carry
        pending[i] = 0
    }

    /// Adds another set of sums (same count) exactly.
    public func add(_ other: ExactSums) {
        precondition(other.count == count)
        let o = other
        for i in 0..<count {
            normalise(i)
            o.normalise(i)
            let base = i * Self.slots
            for k in 0..<Self.slots { storage[base + k] &+= o.storage[base + k] }
            normalise(i)
        }
    }

    /// The normalised slots of every feature ([count x (limbCount + 3)] Int64), as stored in shard caches.
    public func normalisedStorage() -> [Int64] {
        for i in 0..<count where pending[i] != 0 { normalise(i) }
        return Array(UnsafeBufferPointer(start: storage, count: count * Self.slots))
    }

    /// Sums read back from `normalisedStorage()`; nil when the length does not fit `count`.
    public convenience init?(count: Int, storage: [Int64]) {
        guard storage.count == count * Self.slots else { return nil }
        self.init(count: count)
        for (k, v) in storage.enumerated() { self.storage[k] = v }
        for i in 0..<count { normalise(i) }
    }

    /// Feature `i`'s sum, rounded to the nearest Double.
    public func value(_ i: Int) -> Double {
        normalise(i)
        let base = i * Self.slots
        let posInf = storage[base + Self.limbCount], negInf = storage[base + Self.limbCount + 1], nan = storage[base + Self.limbCount + 2]
        if nan > 0 || (posInf > 0 && negInf > 0) { return .nan }
        if posInf > 0 { return .infinity }
        if negInf > 0 { return -.infinity }
        // Magnitude as unsigned 32-bit words, least significant first.
        var words = [UInt64](repeating: 0, count: Self.limbCount)
        for k in 0..<Self.limbCount { words[k] = UInt64(bitPattern: storage[base + k]) & 0xFFFF_FFFF }
        let negative = storage[base + Self.limbCount - 1] < 0
        // The top limb holds a signed value; as 32 bits of a two's-complement number it is exact
        // because the total is far below 2^(32 * 10 - 1) in magnitude.
        if negative {
            var borrow: UInt64 = 1
            for k in 0..<Self.limbCount {
                let v = (~words[k] & 0xFFFF_FFFF) &+ borrow
                words[k] = v & 0xFFFF_FFFF
                borrow = v >> 32
            }
        }
        guard let top = words.lastIndex(where: { $0 != 0 }) else { return 0 }
        let bitLength = top * 32 + (64 - words[top].leadingZeroBitCount)
        // The highest 64 bits, with every lower bit folded into the lowest one (sticky), so that
        // converting to Double rounds once, to nearest even, as the exact value would.
        var high: UInt64 = 0
        var sticky = false
        let low = max(0, bitLength - 64)
        for k in 0..<Self.limbCount where words[k] != 0 {
            for b in 0..<32 where words[k] >> UInt64(b) & 1 == 1 {
                let pos = k * 32 + b
                if pos >= low { high |= 1 << UInt64(pos - low) } else { sticky = true }
            }
        }
        if sticky { high |= 1 }
        let magnitude = scalbn(Double(high), low - 149)
        return negative ? -magnitude : magnitude
    }

    /// Every feature's rounded sum.
    public func values() -> [Double] { (0..<count).map { value($0) } }
}
