/// A feature's closest features in another dictionary (or its own), by two measures.
public struct FeatureMatchLists: Sendable, Equatable {
    /// Best decoder cosine first; `activationCorrelation` filled when activations were given.
    public var byDecoderCosine: [FeatureMatch]
    /// Best activation correlation first, among features active together with this one at least
    /// once; empty when no activations were given.
    public var byActivationCorrelation: [FeatureMatch]

    public init(byDecoderCosine: [FeatureMatch], byActivationCorrelation: [FeatureMatch]) {
        self.byDecoderCosine = byDecoderCosine
        self.byActivationCorrelation = byActivationCorrelation
    }
}

/// An ordered pair of dictionaries (by index): matches of `from`'s features in `to`.
public struct DictionaryPair: Hashable, Sendable {
    public var from, to: Int

    public init(_ from: Int, _ to: Int) { (self.from, self.to) = (from, to) }
}

/// Both directions of the matching between dictionaries A and B.
public struct CrossDictionaryMatches: Sendable {
    /// For each feature of A: features of B.
    public var aToB: [FeatureMatchLists]
    /// For each feature of B: features of A.
    public var bToA: [FeatureMatchLists]
}

/// Matching between dictionaries and neighbours within one; see docs/ANALYSIS.md.
///
/// `mutual` in every `FeatureMatch` means "each is the other's best match by decoder cosine",
/// whichever list the match appears in.
public enum FeatureMatching {
    /// Top-`limit` matches in both directions between A and B. Activations, when given, must cover
    /// the same token sample (same rows) and fill the correlation lists.
    public static func crossMatches(
        a: SAEDictionary, b: SAEDictionary, activationsA: SparseColumns?, activationsB: SparseColumns?,
        limit: Int = 5, blockRows: Int = 2048, threads: Int? = nil
    ) throws -> CrossDictionaryMatches {
        guard a.dIn == b.dIn else {
            throw SAEKitError(
                .badInput, path: b.metadata.path, subject: "W_dec",
                reason: "decoder width \(b.dIn) differs from \(a.dIn) of \(a.metadata.path)",
                remedy: "compare dictionaries trained on the same activations")
        }
        try checkActivations(activationsA, a)
        try checkActivations(activationsB, b)
        if let x = activationsA, let y = activationsB, x.rowCount != y.rowCount {
            throw SAEKitError(
                .badInput, path: nil, subject: "activations",
                reason: "the two dictionaries' activations cover \(x.rowCount) and \(y.rowCount) tokens",
                remedy: "encode the same token sample with both dictionaries")
        }
        let dm = DecoderMatching.match(
            a: a.wDec.pointer, rowsA: a.dSAE, b: b.wDec.pointer, rowsB: b.dSAE, dim: a.dIn, k: limit,
            blockRows: blockRows, threads: threads)
        let decA = WeightStatistics.decoderNorms(a), decB = WeightStatistics.decoderNorms(b)
        let cosine: (Int, Int) -> Float = { i, j in rowCosine(a, i, decA[i], b, j, decB[j]) }
        let corr = correlations(
            activationsA, activationsB, within: false, k: limit, decoderA: { dm.matchesOfA($0).map(\.feature) },
            decoderB: { dm.matchesOfB($0).map(\.feature) }, threads: threads, profile: nil)
        let ab = lists(
            count: a.dSAE, k: limit, decoder: { dm.matchesOfA($0) }, mutual: { dm.isMutual(a: $0, b: $1) },
            corr: corr?.aToB, ofMatch: corr.map { c in { c.ofA($0, $1) } }, cosine: cosine)
        let ba = lists(
            count: b.dSAE, k: limit, decoder: { dm.matchesOfB($0) }, mutual: { dm.isMutual(a: $1, b: $0) },
            corr: corr?.bToA, ofMatch: corr.map { c in { c.ofB($0, $1) } }, cosine: { cosine($1, $0) })
        return CrossDictionaryMatches(aToB: ab, bToA: ba)
    }

    /// Top-`limit` nearest other features of one dictionary.
    public static func neighbours(
        _ d: SAEDictionary, activations: SparseColumns?, limit: Int = 5, blockRows: Int = 2048,
        threads: Int? = nil
    ) throws -> [FeatureMatchLists] {
        try checkActivations(activations, d)
        let dm = DecoderMatching.neighbours(d.wDec.pointer, rows: d.dSAE, dim: d.dIn, k: limit, blockRows: blockRows, threads: threads)
        let dec = WeightStatistics.decoderNorms(d)
        return withinLists(dm, count: d.dSAE, activations: activations, limit: limit, threads: threads, profile: nil) {
            rowCosine(d, $0, dec[$0], d, $1, dec[$1])
        }
    }

    /// The lists of one dictionary's features among themselves, from its decoder neighbours `dm`.
    static func withinLists(
        _ dm: DecoderMatches, count: Int, activations: SparseColumns?, limit: Int, threads: Int?, profile: AnalysisProfile?,
        cosine: (Int, Int) -> Float
    ) -> [FeatureMatchLists] {
        let corr = correlations(
            activations, activations, within: true, k: limit, decoderA: { dm.matchesOfA($0).map(\.feature) },
            decoderB: nil, threads: threads, profile: profile)
        return lists(
            count: count, k: limit, decoder: { dm.matchesOfA($0) }, mutual: { dm.bestOfA($0) == $1 && dm.bestOfA($1) == $0 },
            corr: corr?.aToB, ofMatch: corr.map { c in { c.ofA($0, $1) } }, cosine: cosine, profile: profile)
    }

    static func checkActivations(_ c: SparseColumns?, _ d: SAEDictionary) throws {
        if let c, c.featureCount != d.dSAE {
            throw SAEKitError(
                .badInput, path: d.metadata.path, subject: "activations",
                reason: "\(c.featureCount) activation columns for a dictionary of \(d.dSAE) features",
                remedy: "pass the activations encoded with this dictionary")
        }
    }

    static func rowCosine(_ a: SAEDictionary, _ i: Int, _ ni: Float, _ b: SAEDictionary, _ j: Int, _ nj: Float) -> Float {
        guard ni > 0, nj > 0 else { return 0 }
        let d = BLAS.dot(a.dIn, a.wDec.pointer + i * a.dIn, b.wDec.pointer + j * b.dIn)
        return min(1, max(-1, d / (ni * nj)))
    }

    /// Activation-correlation lists of A over B (and of B over A for a cross match), from one
    /// pass, with the correlation of every decoder match.
    struct Correlations {
        var aToB: TopKLists
        var bToA: TopKLists?
        /// The correlation of A's decoder match q of feature f at f * k + q (NaN: none), then B's at F_A k + g k + q.
        var ofDecoderMatches: [Float]
        let k: Int, featuresA: Int

        func ofA(_ f: Int, _ q: Int) -> Float? { let v = ofDecoderMatches[f * k + q]; return v.isNaN ? nil : v }
        func ofB(_ g: Int, _ q: Int) -> Float? { let v = ofDecoderMatches[featuresA * k + g * k + q]; return v.isNaN ? nil : v }
    }

    /// The correlation lists of A's features among B's (`within`: A and B are one dictionary, and
    /// `decoderB` is not used), and the correlation of each decoder match.
    static func correlations(
        _ a: SparseColumns?, _ b: SparseColumns?, within: Bool, k: Int, decoderA: (Int) -> [Int],
        decoderB: ((Int) -> [Int])?, threads: Int?, profile: AnalysisProfile?
    ) -> Correlations? {
        guard let a, let b else { return nil }
        let fa = a.featureCount, fb = b.featureCount
        var pairs: [(x: Int, y: Int, slot: Int)] = []
        pairs.reserveCapacity(fa * k + (within ? 0 : fb * k))
        for f in 0..<fa {
            for (q, g) in decoderA(f).prefix(k).enumerated() where !(within && g == f) {
                pairs.append(within ? (min(f, g), max(f, g), f * k + q) : (f, g, f * k + q))
            }
        }
        if !within, let decoderB {
            for g in 0..<fb { for (q, f) in decoderB(g).prefix(k).enumerated() { pairs.append((f, g, fa * k + g * k + q)) } }
        }
        let requests = ActivationCorrelation.Requests(featuresA: fa, slots: (fa + (within ? 0 : fb)) * k, pairs: pairs)
        return profile.time("activation correlation") {
            if within {
                let r = ActivationCorrelation.topKWithin(a, k: k, requests: requests, threads: threads)
                return Correlations(aToB: r.top, bToA: nil, ofDecoderMatches: r.requested, k: k, featuresA: fa)
            }
            let r = ActivationCorrelation.topKBothWays(a: a, b: b, k: k, requests: requests, threads: threads)
            return Correlations(aToB: r.aToB, bToA: r.bToA, ofDecoderMatches: r.requested, k: k, featuresA: fa)
        }
    }

    /// Assembles each feature's lists. `corr`: its correlation top-k (nil without activations);
    /// `ofMatch(f, q)`: the correlation of f's decoder-cosine match q.
    static func lists(
        count: Int, k: Int, decoder: (Int) -> [(feature: Int, cosine: Float)], mutual: (Int, Int) -> Bool,
        corr: TopKLists?, ofMatch: ((Int, Int) -> Float?)?, cosine: (Int, Int) -> Float,
        profile: AnalysisProfile? = nil
    ) -> [FeatureMatchLists] {
        profile.time("match lists") {
            (0..<count).map { f in
                let byCos = decoder(f).prefix(k).enumerated().map { q, m in
                    FeatureMatch(
                        feature: m.feature, decoderCosine: m.cosine, activationCorrelation: ofMatch?(f, q), mutual: mutual(f, m.feature))
                }
                let byCorr =
                    corr.map { c in
                        c.list(f).map { m in
                            FeatureMatch(
                                feature: m.index, decoderCosine: cosine(f, m.index), activationCorrelation: m.value,
                                mutual: mutual(f, m.index))
                        }
                    } ?? []
                return FeatureMatchLists(byDecoderCosine: byCos, byActivationCorrelation: byCorr)
            }
        }
    }
}

extension FeatureMatching {
    /// For each feature of A, up to `limit` features of B by activation correlation (over all
    /// tokens, zeros included), among features active together with it at least once; best first.
    public static func correlationMatches(
        a: SparseColumns, b: SparseColumns, limit: Int = 5, excludeSelf: Bool = false,
        threads: Int? = nil
    ) -> [[(feature: Int, correlation: Float)]] {
        let r = ActivationCorrelation.topK(a: a, b: b, k: limit, excludeSelf: excludeSelf, requested: [], threads: threads)
        return (0..<a.featureCount).map { f in r.top.list(f).map { ($0.index, $0.value) } }
    }
}
