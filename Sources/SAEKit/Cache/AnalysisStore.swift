import Foundation

/// Per-feature analysis results stored beside a cache (`CACHE.analysis`), keyed by the cache's
/// fingerprint and recomputed when it changes.
public enum AnalysisStore {
    /// Path of the analysis file of `cachePath`.
    public static func path(for cachePath: String) -> String { cachePath + ".analysis" }

    /// Recomputes and stores the analysis of `cachePath` unless an up-to-date one exists.
    public static func refresh(cachePath: String, progress: CacheBuilder.ProgressHandler = { _, _, _ in }) throws {
    }
}
