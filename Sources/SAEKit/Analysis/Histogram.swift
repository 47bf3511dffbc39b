/// Counts of values in equal-width bins of [lower, upper].
///
/// Bin i covers [lower + i w, lower + (i + 1) w) with w = (upper - lower) / bins; the last bin
/// also takes `upper`. Values outside go to `below`/`above`; unknown (nil or NaN) to `missing`.
public struct Histogram: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double
    public var counts: [Int]
    public var below: Int
    public var above: Int
    public var missing: Int

    enum CodingKeys: String, CodingKey {
        case lower, upper, counts, below, above, missing
    }

    public init(lower: Double, upper: Double, bins: Int) {
        precondition(bins > 0 && upper > lower)
        self.lower = lower
        self.upper = upper
        counts = [Int](repeating: 0, count: bins)
        below = 0
        above = 0
        missing = 0
    }

    public init<S: Sequence>(lower: Double, upper: Double, bins: Int, values: S) where S.Element == Double? {
        self.init(lower: lower, upper: upper, bins: bins)
        for v in values { add(v) }
    }

    public mutating func add(_ value: Double?) {
        guard let v = value, !v.isNaN else { missing += 1; return }
        if v < lower { below += 1; return }
        if v > upper { above += 1; return }
        let b = Int((v - lower) / (upper - lower) * Double(counts.count))
        counts[min(b, counts.count - 1)] += 1
    }

    /// Values counted in bins, below and above (not missing).
    public var total: Int { counts.reduce(0, +) + below + above }
}
