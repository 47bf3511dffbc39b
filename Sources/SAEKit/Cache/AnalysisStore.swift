import Foundation

/// Where a cache's analysis lives: `CACHE.analysis`, keyed by the cache's fingerprint.
public enum AnalysisStore {
    /// Path of the analysis file of `cachePath`.
    public static func path(for cachePath: String) -> String { cachePath + ".analysis" }

    /// Recomputes and stores the analysis of `cachePath` unless an up-to-date one exists.
    /// `dictionaries`, when the caller has them loaded (in cache order), saves reloading them.
    /// `recompute`: ignore a stored analysis whose key matches. The key covers the cache's inputs
    /// and options, not the values a particular saex computed from them, so a command that has just
    /// written the cache (build, merge) recomputes rather than keep an analysis of an earlier file.
    public static func refresh(cachePath: String, dictionaries: [SAEDictionary]? = nil, recompute: Bool = false,
                               progress: CacheBuilder.ProgressHandler = { _, _, _ in }, profile: AnalysisProfile? = nil) throws {
        let cache = try ContextCache(path: cachePath)
        let path = path(for: cachePath)
        if !recompute, try CacheAnalysis.read(path: path, for: cache) != nil { return }
        let decoders = dictionaries.map { $0.map { Optional(DecoderRows(storage: $0.wDec, rows: $0.dSAE, dim: $0.dIn)) } }
        let analysis = try CacheAnalysis.compute(cache, decoders: decoders, progress: progress, profile: profile)
        try profile.time("writing") { try analysis.write(to: path) }
    }
}
