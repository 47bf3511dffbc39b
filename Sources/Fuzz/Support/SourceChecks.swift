import Foundation
import SAEKit

extension Fuzz {
    /// Reads every feature of every dictionary of `source` through the explorer's API (stats,
    /// contexts, matches, neighbours, activation sample) and checks what the explorer relies on:
    /// indices in range, one activation per token, matches naming features that exist.
    /// `normsAvailable` false (importers): every norm statistic must be nil, never 0.
    /// `features`, when given, lists the features to read (an imported feature count can reach
    /// 10^15); otherwise every feature is read.
    /// `readContexts` false skips `contexts` (the cache target reads them through the cache itself).
    public static func checkSource(_ source: FeatureSource, normsAvailable: Bool, features: [Int]? = nil, readContexts: Bool = true) {
        let dicts = source.dictionaries
        for (d, desc) in dicts.enumerated() {
            precondition(desc.featureCount >= 0, "negative feature count")
            precondition(desc.hasNorms == normsAvailable, "hasNorms is \(desc.hasNorms)")
            for f in features ?? Array(0..<desc.featureCount) {
                let s = source.stats(dict: d, feature: f)
                precondition(s.feature == f, "stats of feature \(f) name feature \(s.feature)")
                // Imported files state density and interval shares themselves; only computed ones are checked.
                if normsAvailable { precondition(!(s.density < 0) && !(s.density > 1), "density \(s.density) outside [0, 1]") }
                if !normsAvailable {
                    for v in [s.normPearson, s.normSpearman, s.normPearsonActive, s.normSpearmanActive, s.topNormMass, s.normAUC] {
                        precondition(v == nil, "a norm statistic is \(String(describing: v)) for a source without norms")
                    }
                    precondition(!s.normDetectorHint, "norm-detector hint without norms")
                }
                let c: FeatureContexts
                if readContexts {
                    do { c = try source.contexts(dict: d, feature: f) } catch {
                        preconditionFailure("contexts of an accepted source failed: \(error)")
                    }
                } else {
                    c = FeatureContexts(top: [], intervals: [], random: [])
                }
                for ctx in c.top + c.random + c.intervals.flatMap(\.examples) { checkContext(ctx) }
                for g in c.intervals where normsAvailable {
                    precondition(!(g.contains < 0) && !(g.contains > 1.0000001), "interval share \(g.contains)")
                }
                do {
                    for m in try source.neighbours(dict: d, feature: f, limit: 10) {
                        precondition(
                            m.feature >= 0 && m.feature < desc.featureCount, "neighbour \(m.feature) outside \(desc.featureCount) features")
                    }
                    for (o, other) in dicts.enumerated() where o != d {
                        let lists = try source.matchLists(dict: d, feature: f, other: o)
                        for m in lists.byDecoderCosine + lists.byActivationCorrelation {
                            precondition(
                                m.feature >= 0 && m.feature < other.featureCount,
                                "match \(m.feature) outside \(other.featureCount) features")
                        }
                    }
                    let sample = try source.sample(dict: d, feature: f)
                    if let norms = sample.norms {
                        precondition(normsAvailable, "sample has norms for a source without norms")
                        precondition(norms.count == sample.values.count, "\(norms.count) norms for \(sample.values.count) values")
                    } else {
                        precondition(!normsAvailable, "sample without norms for a source with norms")
                    }
                } catch {
                    preconditionFailure("reading an accepted source failed: \(error)")
                }
            }
        }
    }

    /// One activation per token, and the peak inside the context unless the context is empty.
    public static func checkContext(_ ctx: TokenContext) {
        precondition(ctx.activations.count == ctx.tokens.count, "\(ctx.activations.count) activations for \(ctx.tokens.count) tokens")
        precondition(ctx.sequence >= 0 && ctx.start >= 0, "negative sequence or start")
    }
}

extension Fuzz {
    /// Opens `path` as `saex explore` does, then checks the source (`checkImported`) or the refusal,
    /// which must name a file inside `folder`.
    public static func checkImport(
        _ path: String, folder: ScratchFolder, tokenText: (@Sendable (Int) -> String)? = nil
    ) -> String {
        let source: ImportedFeatureSource
        do {
            source = try ImportDetector.open(path: path, tokenText: tokenText)
        } catch {
            return checkRefusal(error, naming: folder.path)
        }
        return checkImported(source, path: path)
    }

    /// What every importer must give for an accepted input: one dictionary without norms (every
    /// norm statistic nil, never 0), feature numbers inside the feature count, a fingerprint, and
    /// the explorer's reads (`checkSource`) working for the features with data and for the first
    /// and last feature number.
    public static func checkImported(_ source: ImportedFeatureSource, path: String) -> String {
        let d = source.descriptor
        precondition(!source.kind.isEmpty && !d.fingerprint.isEmpty, "no kind or fingerprint")
        precondition(d.path == path, "descriptor names \(d.path), opened \(path)")
        precondition(!d.hasNorms && d.dIn == 0 && d.score == .unknown, "an imported dictionary claims norms or weights")
        let idx = source.featureIndices
        precondition(zip(idx, idx.dropFirst()).allSatisfy { $0 < $1 }, "feature indices not ascending")
        if let first = idx.first, let last = idx.last {
            precondition(first >= 0 && last < d.featureCount, "feature \(last) outside the \(d.featureCount) features")
        }
        for i in idx {
            guard let f = source.feature(i) else { preconditionFailure("listed feature \(i) has no record") }
            precondition(f.stats.feature == i, "record of \(i) names \(f.stats.feature)")
        }
        var probe = Array(idx.prefix(64))
        if d.featureCount > 0 { probe += [0, d.featureCount - 1] }
        checkSource(source, normsAvailable: false, features: probe)
        for i in probe where source.feature(i) == nil {
            let s = source.stats(dict: 0, feature: i)
            precondition(!s.dead, "feature \(i) without data is reported dead rather than unknown")
        }
        return "accepted \(source.summary)"
    }
}
