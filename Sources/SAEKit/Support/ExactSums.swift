import Foundation

/// Exact sums, rounded once to Double at the end.
///
/// A cache stores each feature's sum of per-token elasticities and the sums behind each
/// dictionary's FVU. Added up in a Double, such a sum depends on the order of the additions, so
/// caches built from shards and merged would differ in the last bits from a single build. Here
/// every value is added exactly into a fixed-point integer (a "superaccumulator": limbs of 32 bits
/// held in Int64, carries propagated every 127 additions), so the total is the same whatever the
/// order or the split, and the Double written is the exact sum rounded to nearest (ties to even).
/// Infinities and NaNs are counted apart and give what a Double sum of the same values gives (NaN
/// for a NaN or for both infinities, else the infinity).
///
/// Layout: value = sum over k of limb[k] * 2^(32 k + lowestExponent). `Layout.float` (10 limbs
/// from 2^-149) covers every Float times 2^32 additions; `Layout.squares` (21 limbs from 2^-298)
/// covers every Float, every Double that is a multiple of 2^-298 below 2^300 (squares and products
/// of Floats, and sums of them rounded to Double), times 2^64 additions.
public final class ExactSums: @unchecked Sendable {
    public struct Layout: Sendable, Equatable {
        public let limbCount: Int
        /// The exponent of limb 0's lowest bit.
        public let lowestExponent: Int
        /// Int64 slots per sum: the limbs, then the counts of +inf, -inf and NaN.
        public var slots: Int { limbCount + 3 }

        public static let float = Layout(limbCount: 10, lowestExponent: -149)
        public static let squares = Layout(limbCount: 21, lowestExponent: -298)
    }

    public let count: Int
    public let layout: Layout
    /// Slots per sum of the float layout (the stored elasticity sums').
    public static var slots: Int { Layout.float.slots }
    /// [count x slots]: limbs, then the special-value counts.
    private let storage: UnsafeMutablePointer<Int64>
    /// Additions since each sum's limbs were last normalised.
    private let pending: UnsafeMutablePointer<UInt8>

    public init(count: Int, layout: Layout = .float) {
        self.count = count
        self.layout = layout
        storage = .allocate(capacity: max(1, count * layout.slots))
        storage.initialize(repeating: 0, count: max(1, count * layout.slots))
        pending = .allocate(capacity: max(1, count))
        pending.initialize(repeating: 0, count: max(1, count))
    }

    deinit {
        storage.deallocate()
        pending.deallocate()
    }

    /// Counts a non-finite value (bits of its class: NaN, or the sign of an infinity) in sum `i`.
    @inline(__always)
    private func addSpecial(nan: Bool, negative: Bool, to i: Int) {
        let slot = nan ? 2 : (negative ? 1 : 0)
        storage[i &* layout.slots &+ layout.limbCount &+ slot] &+= 1
    }

    @inline(__always)
    private func added(_ i: Int) {
        pending[i] &+= 1
        if pending[i] == 127 { normalise(i) }
    }

    /// Adds `v` to sum `i`.
    @inline(__always)
    public func add(_ v: Float, to i: Int) {
        let bits = v.bitPattern
        let e = Int((bits >> 23) & 0xFF)
        if e == 0xFF { return addSpecial(nan: (bits & 0x7F_FFFF) != 0, negative: bits >> 31 != 0, to: i) }
        var m = Int64(bits & 0x7F_FFFF)
        if e != 0 { m |= 0x80_0000 }
        if m == 0 { return }
        let p = max(e, 1) &- 150 &- layout.lowestExponent  // position of m's lowest bit above 2^lowestExponent
        var x = m << Int64(p & 31)
        if bits >> 31 != 0 { x = -x }
        storage[i &* layout.slots &+ (p >> 5)] &+= x
        added(i)
    }

    /// Adds `v` to sum `i`; `v` must be a multiple of 2^lowestExponent that the limbs hold (for
    /// `Layout.squares`: the square or product of Floats, or a Double sum of such rounded to Double).
    @inline(__always)
    public func add(_ v: Double, to i: Int) {
        let bits = v.bitPattern
        let e = Int((bits >> 52) & 0x7FF)
        if e == 0x7FF { return addSpecial(nan: (bits & 0xF_FFFF_FFFF_FFFF) != 0, negative: bits >> 63 != 0, to: i) }
        var m = bits & 0xF_FFFF_FFFF_FFFF
        if e != 0 { m |= 1 << 52 }
        if m == 0 { return }
        var p = max(e, 1) &- 1075 &- layout.lowestExponent
        // Bits below 2^lowestExponent that are zero are shifted out first (a subnormal-free Double
        // below the layout's unit can still be an exact multiple of it).
        if p < 0 {
            let tz = min(m.trailingZeroBitCount, -p)
            m >>= UInt64(tz)
            p += tz
        }
        precondition(p >= 0 && (p >> 5) + 2 < layout.limbCount, "ExactSums: \(v) does not fit the layout")
        // m (53 bits) shifted by s < 32 spans at most three 32-bit limbs; each gets under 2^32.
        let s = UInt64(p & 31)
        let low = m << s, high = s == 0 ? 0 : m >> (64 - s)
        let base = i &* layout.slots &+ (p >> 5)
        let sign: Int64 = bits >> 63 != 0 ? -1 : 1
        storage[base] &+= sign &* Int64(low & 0xFFFF_FFFF)
        storage[base &+ 1] &+= sign &* Int64(low >> 32)
        storage[base &+ 2] &+= sign &* Int64(high)
        added(i)
    }

    /// Propagates carries so that limbs 0 ..< limbCount-1 lie in [0, 2^32) and the top limb holds the sign.
    func normalise(_ i: Int) {
        let base = i * layout.slots
        var carry: Int64 = 0
        for k in 0..<(layout.limbCount - 1) {
            let v = storage[base + k] &+ carry
            carry = v >> 32  // arithmetic shift: floor division by 2^32
            storage[base + k] = v & 0xFFFF_FFFF
        }
        storage[base + layout.limbCount - 1] &+= carry
        pending[i] = 0
    }

    /// Adds another set of sums (same count and layout) exactly.
    public func add(_ other: ExactSums) {
        precondition(other.count == count && other.layout == layout)
        let o = other
        for i in 0..<count {
            normalise(i)
            o.normalise(i)
            let base = i * layout.slots
            for k in 0..<layout.slots { storage[base + k] &+= o.storage[base + k] }
            normalise(i)
        }
    }

    /// The normalised slots of every sum ([count x slots] Int64), as stored in shard caches.
    public func normalisedStorage() -> [Int64] {
        for i in 0..<count where pending[i] != 0 { normalise(i) }
        return Array(UnsafeBufferPointer(start: storage, count: count * layout.slots))
    }

    /// Sums read back from `normalisedStorage()`; nil when the length does not fit `count`.
    public convenience init?(count: Int, layout: Layout = .float, storage: [Int64]) {
        guard storage.count == count * layout.slots else { return nil }
        self.init(count: count, layout: layout)
        for (k, v) in storage.enumerated() { self.storage[k] = v }
        for i in 0..<count { normalise(i) }
    }

    /// Sum `i`, rounded to the nearest Double.
    public func value(_ i: Int) -> Double {
        normalise(i)
        let limbs = layout.limbCount
        let base = i * layout.slots
        let posInf = storage[base + limbs], negInf = storage[base + limbs + 1], nan = storage[base + limbs + 2]
        if nan > 0 || (posInf > 0 && negInf > 0) { return .nan }
        if posInf > 0 { return .infinity }
        if negInf > 0 { return -.infinity }
        // Magnitude as unsigned 32-bit words, least significant first.
        var words = [UInt64](repeating: 0, count: limbs)
        for k in 0..<limbs { words[k] = UInt64(bitPattern: storage[base + k]) & 0xFFFF_FFFF }
        let negative = storage[base + limbs - 1] < 0
        // The top limb holds a signed value; as 32 bits of a two's-complement number it is exact
        // because the total is far below 2^(32 * limbs - 1) in magnitude.
        if negative {
            var borrow: UInt64 = 1
            for k in 0..<limbs {
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
        for k in 0..<limbs where words[k] != 0 {
            for b in 0..<32 where words[k] >> UInt64(b) & 1 == 1 {
                let pos = k * 32 + b
                if pos >= low { high |= 1 << UInt64(pos - low) } else { sticky = true }
            }
        }
        if sticky { high |= 1 }
        let magnitude = scalbn(Double(high), low + layout.lowestExponent)
        return negative ? -magnitude : magnitude
    }

    /// Every rounded sum.
    public func values() -> [Double] { (0..<count).map { value($0) } }
}
