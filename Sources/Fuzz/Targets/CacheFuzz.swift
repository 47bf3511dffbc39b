import Foundation
import SAEKit

/// Target `cache` of `saex-fuzz`: opening a context cache (`ContextCache(path:)` and its
/// validation), optionally its `.analysis` file (`CacheAnalysis.read`), then reading every
/// feature's examples, contexts, statistics, matches and sample through the public API.
///
/// Input layout: the cache bytes, optionally followed by `\0PART\0` and the analysis bytes; both are
/// written to a folder on /dev/shm (`c.saexcache`, `c.saexcache.analysis`).
enum CacheFuzz {
    static let folder = ScratchFolder("cache")

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        let parts = Fuzz.split(bytes, maxParts: 2)
        let f = folder
        let path = f.file("c.saexcache")
        let analysisPath = AnalysisStore.path(for: path)
        f.write("c.saexcache", parts[0])
        if parts.count > 1 { f.write("c.saexcache.analysis", parts[1]) } else { f.remove("c.saexcache.analysis") }

        let cache: ContextCache
        do {
            cache = try ContextCache(path: path)
        } catch {
            return Fuzz.checkRefusal(error, naming: path)
        }
        checkCache(cache)

        let analysis: CacheAnalysis?
        do {
            analysis = try CacheAnalysis.read(path: analysisPath, for: cache)
        } catch {
            return "cache accepted; analysis " + Fuzz.checkRefusal(error, naming: analysisPath)
        }
        guard let analysis else { return "cache accepted (\(cache.dictionaries.count) dictionaries); no analysis or a stale one" }
        precondition(
            analysis.tables.count == cache.dictionaries.count && analysis.neighbours.count == cache.dictionaries.count,
            "analysis has \(analysis.tables.count) dictionaries, the cache \(cache.dictionaries.count)")
        for (i, d) in cache.dictionaries.enumerated() {
            precondition(
                analysis.tables[i].featureCount == d.featureCount && analysis.neighbours[i].count == d.featureCount,
                "analysis feature count")
        }
        for (pair, lists) in analysis.matches {
            precondition(
                cache.dictionaries.indices.contains(pair.from) && cache.dictionaries.indices.contains(pair.to),
                "match pair \(pair) outside the cache")
            precondition(lists.count == cache.dictionaries[pair.from].featureCount, "match lists count")
        }
        // checkCache read every feature's contexts already.
        Fuzz.checkSource(CacheFeatureSource(cache: cache, analysis: analysis), normsAvailable: true, readContexts: false)
        return "cache and analysis accepted (\(cache.dictionaries.count) dictionaries)"
    }

    /// Rows, tokens and columns agree with the manifest; every feature's examples and contexts
    /// point at rows of the sample and carry one activation per token.
    static func checkCache(_ cache: ContextCache) {
        let m = cache.manifest
        let rows = m.sample.rows, L = m.sample.sequenceLength
        precondition(cache.tokens.count == rows && cache.norms.count == rows, "tokens or norms are not one per row")
        precondition(cache.vocabularySize >= 0, "negative vocabulary size")
        for t in cache.tokens { _ = cache.tokenText(t); _ = cache.isSpecial(t) }
        precondition(cache.dictionaries.count == m.dictionaries.count)
        for (di, d) in cache.dictionaries.enumerated() {
            let cols = d.columns
            precondition(cols.featureCount == d.featureCount && cols.rowCount == rows)
            for feat in 0..<d.featureCount {
                let r = cols.range(feat)
                precondition(r.lowerBound >= 0 && r.upperBound <= cols.nonzeroCount, "column \(feat) outside the nonzeros")
                _ = d.elasticity(feat)
                let e = cache.examples(dict: di, feature: feat)
                precondition(e.activeCount == r.count)
                precondition(e.top.count <= max(0, m.options.topK), "\(e.top.count) top examples, top_k is \(m.options.topK)")
                precondition(e.random.count <= max(0, m.options.randomCount), "too many random examples")
                for row in e.top.map(\.row) + e.random + e.intervals.flatMap(\.rows) {
                    precondition(row >= 0 && row < rows, "example row \(row) outside the \(rows)-row sample")
                }
                let c = cache.contexts(dict: di, feature: feat)
                let all = c.top + c.random + c.intervals.flatMap(\.examples)
                for ctx in all {
                    Fuzz.checkContext(ctx)
                    precondition(ctx.tokens.count <= L, "context longer than a sequence")
                }
                for (ctx, ex) in zip(c.top, e.top) {
                    precondition(ctx.sequence * L + ctx.position == ex.row, "top context is not at its row")
                }
            }
        }
    }
}
