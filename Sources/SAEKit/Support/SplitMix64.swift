/// A small seeded pseudo-random generator (SplitMix64) that gives the same sequence everywhere.
///
/// Blind sampling and bootstrap intervals must be reproducible from a seed on every machine and
/// Swift version, so saex does not use `SystemRandomNumberGenerator` or the standard library's
/// `random(in:using:)` (whose algorithm may change). SplitMix64 (Steele, Lea and Flood 2014, as in
/// Java's `SplittableRandom`): the state advances by 0x9E3779B97F4A7C15 and each output is the
/// state mixed by two xor-shift-multiply rounds. Integers below a bound use rejection sampling, so
/// they are exactly uniform.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The first output of a generator seeded with `x`: a stateless 64-bit hash, for picks that must
    /// depend only on their inputs (which examples a cache keeps, synthetic test data).
    public static func mix(_ x: UInt64) -> UInt64 {
        var g = SplitMix64(seed: x)
        return g.next()
    }

    /// A uniform integer in `0..<bound` (`bound` > 0), by rejection of the biased top range.
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        let limit = UInt64.max - (UInt64.max % b)  // values >= limit would bias the result
        while true {
            let v = next()
            if v < limit { return Int(v % b) }
        }
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Fisher-Yates shuffle, deterministic for a given state.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = next(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}
