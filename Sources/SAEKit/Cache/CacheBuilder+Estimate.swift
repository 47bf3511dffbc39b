import Foundation

extension CacheBuilder {
    /// Lower bounds of what a build of `rows` tokens with dictionaries of `featureCounts` features
    /// needs, before it starts: the smallest working memory a build runs in (encode buffers for a
    /// few rows, read buffers, one spill run), and the disk its spill folder and cache take beside
    /// the output: token ids, norms and ||x - b_dec|| per row, and at least one nonzero (8 bytes)
    /// per row and dictionary, each written twice (spilled, then into the cache).
    public static func estimate(rows: Int, featureCounts: [Int], dIn: Int) -> (memory: Int, disk: Int) {
        let maxF = featureCounts.max() ?? 1
        let memory = 64 * 4 * (2 * dIn + 3 * maxF) + (48 << 20)
        let perRow = 8 + 12 * featureCounts.count
        let (disk, overflow) = rows.multipliedReportingOverflow(by: 2 * perRow)
        return (memory, overflow ? Int.max : disk)
    }

    /// The memory limit for a build whose user gave none: the default (1 GiB), or three quarters of
    /// what `ResourceCheck.availableMemory` says is left when that is less (a job's or a shell's
    /// limit, a busy machine), with what limited it. Never below 64 MiB.
    public static func defaultMemoryLimit() -> (bytes: Int, limitedBy: String?) {
        let standard = CacheOptions.defaultMemoryLimit
        guard let available = ResourceCheck.availableMemory(reserve: ResourceCheck.blasReserve()), available.bytes / 4 * 3 < standard else {
            return (standard, nil)
        }
        return (max(64 << 20, available.bytes / 4 * 3), available.limitedBy)
    }
}
