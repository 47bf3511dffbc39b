import Foundation

/// Where a cache's analysis lives: `CACHE.analysis`, keyed by the cache's fingerprint.
public enum AnalysisStore {
    /// Path of the analysis file of `cachePath`.
    public static func path(for cachePath: String) -> String { cachePath + ".analysis" }

    /// Recomputes and stores the analysis of `cachePath` unless an up-to-date one exists.
    public static func refresh(cachePath: String, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws {
        let cache = try ContextCache(path: cachePath)
        let path = path(for: cachePath)
        if try CacheAnalysis.read(path: path, for: cache) != nil { return }
        try CacheAnalysis.compute(cache, progress: progress).write(to: path)
    }
}
