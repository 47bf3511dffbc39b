/// How many examples a cache keeps per feature, and the seed that picks the sampled ones.
public struct CacheOptions: Sendable, Equatable, Codable {
    /// Top-activating contexts per feature.
    public var topK: Int = 32
    /// Equal-width activation bins over (0, max] for interval samples.
    public var bins: Int = 10
    /// Examples per bin.
    public var perBin: Int = 5
    /// Uniformly sampled active tokens per feature.
    public var randomCount: Int = 20
    /// Seeds the hash that picks interval and random examples (the same seed gives the same picks
    /// whatever the sharding).
    public var seed: UInt64 = 0
    /// Rows encoded per batch are chosen to keep the dense buffers under this many bytes.
    public var memoryBudget: Int = 256 << 20

    public init() {}

    enum CodingKeys: String, CodingKey {
        case topK = "top_k", bins, perBin = "per_bin", randomCount = "random", seed
    }
}

/// The sampling key of (feature, row): examples with the smallest keys are kept.
@inlinable
func sampleKey(seed: UInt64, feature: Int, row: UInt32) -> UInt64 {
    SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(feature) &* 0x1_0000_0001 ^ UInt64(row)))
}
