import Foundation

/// How many examples a cache keeps per feature, and the seed that picks the sampled ones.
public struct CacheOptions: Sendable, Equatable, Codable {
    /// Top-activating contexts per feature.
    public var topK: Int = 32
    /// Equal-width activation bins over [smallest positive activation, max] for interval samples.
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
    /// Bound on a build's working memory, beyond the dictionaries' weights (`--memory-limit`):
    /// encode buffers, nonzeros held before they are spilled to disk, read buffers. Not written
    /// into the cache (it never changes its bytes).
    public var memoryLimit: Int = CacheOptions.defaultMemoryLimit
    public static let defaultMemoryLimit = 1 << 30

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

/// Byte sizes as given on the command line: a number with an optional K, M, G or T (powers of 1024,
/// optionally followed by "iB" or "B"), e.g. 512M, 2G, 1.5GiB, 1048576.
public enum ByteSize {
    public static func parse(_ text: String, option: String) throws -> Int {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
            s.removeLast(suffix.count)
            break
        }
        var scale: Double = 1
        if let last = s.last, let p = ["K": 1.0, "M": 2.0, "G": 3.0, "T": 4.0][String(last)] {
            scale = Foundation.pow(1024, p)
            s.removeLast()
        }
        guard let v = Double(s), v.isFinite, v > 0, v * scale < 1e18 else {
            throw SAEKitError(
                .badInput, path: nil, subject: "\(option) \(text)", reason: "expected a size such as 512M, 2G or a number of bytes")
        }
        return Int(v * scale)
    }
}
