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
    public var from: Int
    public var to: Int
    public init(_ from: Int, _ to: Int) {
        self.from = from
        self.to = to
    }
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
    public static func crossMatches(a: SAEDictionary, b: SAEDictionary, activationsA: SparseColumns?, activationsB: SparseColumns?,
                                    limit: Int = 5, blockRows: Int = 2048, threads: Int? = nil) throws -> CrossDictionaryMatches {
        guard a.dIn == b.dIn else {
            throw SAEKitError(.badInput, path: b.metadata.path, subject: "W_dec",
                              reason: "decoder width \(b.dIn) differs from \(a.dIn) of \(a.metadata.path)",
                              remedy: "compare dictionaries trained on the same activations")
        }
        try checkActivations(activationsA, a)
        try checkActivations(activationsB, b)
        if let x = activationsA, let y = activationsB, x.rowCount != y.rowCount {
            throw SAEKitError(.badInput, path: nil, subject: "activations",
                              reason: "the two dictionaries' activations cover \(x.rowCount) and \(y.rowCount) tokens",
                              remedy: "encode the same token sample with both dictionaries")
        }
        let dm = DecoderMatching.match(a: a.wDec.pointer, rowsA: a.dSAE, b: b.wDec.pointer, rowsB: b.dSAE, dim: a.dIn, k: limit,
                                       blockRows: blockRows, threads: threads)
        let decA = WeightStatistics.decoderNorms(a), decB = WeightStatistics.decoderNorms(b)
        let cosine: (Int, Int) -> Float = { i, j in rowCosine(a, i, decA[i], b, j, decB[j]) }
        let ab = lists(count: a.dSAE, k: limit, decoder: { dm.matchesOfA($0) }, mutual: { dm.isMutual(a: $0, b: $1) },
                       own: activationsA, other: activationsB, excludeSelf: false, cosine: cosine, threads: threads)
        let ba = lists(count: b.dSAE, k: limit, decoder: { dm.matchesOfB($0) }, mutual: { dm.isMutual(a: $1, b: $0) },
                       own: activationsB, other: activationsA, excludeSelf: false, cosine: { cosine($1, $0) }, threads: threads)
        return CrossDictionaryMatches(aToB: ab, bToA: ba)
    }

    /// Top-`limit` nearest other features of one dictionary.
    public static func neighbours(_ d: SAEDictionary, activations: SparseColumns?, limit: Int = 5, blockRows: Int = 2048,
                                  threads: Int? = nil) throws -> [FeatureMatchLists] {
        try checkActivations(activations, d)
        let dm = DecoderMatching.neighbours(d.wDec.pointer, rows: d.dSAE, dim: d.dIn, k: limit, blockRows: blockRows, threads: threads)
        let dec = WeightStatistics.decoderNorms(d)
        return lists(count: d.dSAE, k: limit, decoder: { dm.matchesOfA($0) },
                     mutual: { dm.bestOfA($0) == $1 && dm.bestOfA($1) == $0 },
                     own: activations, other: activations, excludeSelf: true,
                     cosine: { rowCosine(d, $0, dec[$0], d, $1, dec[$1]) }, threads: threads)
    }

    static func checkActivations(_ c: SparseColumns?, _ d: SAEDictionary) throws {
        if let c, c.featureCount != d.dSAE {
            throw SAEKitError(.badInput, path: d.metadata.path, subject: "activations",
                              reason: "\(c.featureCount) activation columns for a dictionary of \(d.dSAE) features",
                              remedy: "pass the activations encoded with this dictionary")
        }
    }

    static func rowCosine(_ a: SAEDictionary, _ i: Int, _ ni: Float, _ b: SAEDictionary, _ j: Int, _ nj: Float) -> Float {
        guard ni > 0, nj > 0 else { return 0 }
        let d = BLAS.dot(a.dIn, a.wDec.pointer + i * a.dIn, b.wDec.pointer + j * b.dIn)
        return min(1, max(-1, d / (ni * nj)))
    }

    static func lists(count: Int, k: Int, decoder: (Int) -> [(feature: Int, cosine: Float)], mutual: (Int, Int) -> Bool,
                      own: SparseColumns?, other: SparseColumns?, excludeSelf: Bool, cosine: (Int, Int) -> Float,
                      threads: Int?) -> [FeatureMatchLists] {
        let dec = (0..<count).map(decoder)
        var corr: ActivationCorrelation.Result?
        if let own, let other {
            corr = ActivationCorrelation.topK(a: own, b: other, k: k, excludeSelf: excludeSelf, requested: dec.map { $0.map(\.feature) },
                                              threads: threads)
        }
        return (0..<count).map { f in
            let byCos = dec[f].enumerated().map { q, m in
                FeatureMatch(feature: m.feature, decoderCosine: m.cosine, activationCorrelation: corr?.requested[f][q], mutual: mutual(f, m.feature))
            }
            let byCorr = corr.map { c in
                c.top.list(f).map { m in
                    FeatureMatch(feature: m.index, decoderCosine: cosine(f, m.index), activationCorrelation: m.value, mutual: mutual(f, m.index))
                }
            } ?? []
            return FeatureMatchLists(byDecoderCosine: byCos, byActivationCorrelation: byCorr)
        }
    }
}

extension FeatureMatching {
    /// For each feature of A, up to `limit` features of B by activation correlation (over all
    /// tokens, zeros included), among features active together with it at least once; best first.
    public static func correlationMatches(a: SparseColumns, b: SparseColumns, limit: Int = 5, excludeSelf: Bool = false,
                                          threads: Int? = nil) -> [[(feature: Int, correlation: Float)]] {
        let r = ActivationCorrelation.topK(a: a, b: b, k: limit, excludeSelf: excludeSelf, requested: [], threads: threads)
        return (0..<a.featureCount).map { f in r.top.list(f).map { ($0.index, $0.value) } }
    }
}
