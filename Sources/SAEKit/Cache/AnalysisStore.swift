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
    /// `options` choose the matching method; `announce` receives the plan's one-line time estimate
    /// before the computation starts.
    @discardableResult
    public static func refresh(
        cachePath: String, dictionaries: [SAEDictionary]? = nil, recompute: Bool = false,
        options: AnalysisOptions = AnalysisOptions(), announce: (String) -> Void = { _ in },
        progress: CacheBuilder.ProgressHandler = { _, _, _ in }, profile: AnalysisProfile? = nil
    ) throws -> AnalysisPlan? {
        let cache = try ContextCache(path: cachePath)
        let path = path(for: cachePath)
        if !recompute, let a = try CacheAnalysis.read(path: path, for: cache), options.matching != .exact || a.matching.method == .exact {
            return nil
        }
        let plan = AnalysisPlan(cache: cache, options: options)
        announce(plan.summary)
        let decoders = dictionaries.map { $0.map { Optional(DecoderRows(storage: $0.wDec, rows: $0.dSAE, dim: $0.dIn)) } }
        let analysis = try CacheAnalysis.compute(cache, decoders: decoders, plan: plan, progress: progress, profile: profile)
        try profile.time("writing") { try analysis.write(to: path) }
        return plan
    }
}
