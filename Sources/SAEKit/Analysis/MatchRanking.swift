/// How a feature's matches in another dictionary are ranked.
///
/// Every stored match carries both scores: the decoder cosine of the two features' directions and
/// the Pearson correlation of their activations over the cached tokens. `combined` ranks by their
/// mean, so a pair that writes the same direction *and* fires on the same tokens comes first, one
/// that agrees on only one of the two next, and one that agrees on neither last. Both scores lie in
/// [-1, 1] with 1 meaning "the same", so their mean needs no rescaling; an unknown correlation (no
/// token fired for both) counts as 0, "no evidence of shared firing". docs/ANALYSIS.md says why
/// decoder cosine alone misleads (a [CLS] feature's decoder neighbour need not fire on [CLS]).
public enum MatchRanking: String, CaseIterable, Sendable, Hashable, Codable {
    case decoder
    case activation
    case combined

    /// The score a match is ranked by under this ranking; nil when unknown.
    public func score(_ m: FeatureMatch) -> Float? {
        switch self {
        case .decoder: m.decoderCosine
        case .activation: m.activationCorrelation
        case .combined: (m.decoderCosine + (m.activationCorrelation ?? 0)) / 2
        }
    }

    /// The next ranking (for the key that cycles them).
    public var next: MatchRanking {
        switch self {
        case .decoder: .activation
        case .activation: .combined
        case .combined: .decoder
        }
    }

    /// A feature's matches in this ranking's order: the union of the decoder and activation lists
    /// (each match once), best score first, unknown scores last, ties by feature number.
    public func ranked(_ lists: FeatureMatchLists) -> [FeatureMatch] {
        var seen: Set<Int> = []
        var all: [FeatureMatch] = []
        for m in lists.byDecoderCosine + lists.byActivationCorrelation where seen.insert(m.feature).inserted { all.append(m) }
        return all.sorted { a, b in
            switch (score(a), score(b)) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.feature < b.feature
            }
        }
    }

    /// The best match under this ranking (the first of `ranked`), or nil when the feature has
    /// none; one pass, no allocation.
    public func best(_ lists: FeatureMatchLists) -> FeatureMatch? {
        var best: FeatureMatch?
        var bestScore: Float?
        for list in [lists.byDecoderCosine, lists.byActivationCorrelation] {
            for m in list {
                let s = score(m)
                guard let current = best else {
                    best = m
                    bestScore = s
                    continue
                }
                let better: Bool
                switch (s, bestScore) {
                case let (x?, y?): better = x > y || (x == y && m.feature < current.feature)
                case (_?, nil): better = true
                case (nil, _?): better = false
                case (nil, nil): better = m.feature < current.feature
                }
                if better {
                    best = m
                    bestScore = s
                }
            }
        }
        return best
    }
}

/// A feature's matches in another dictionary together with each candidate's own matches back, so
/// that "mutual" can be told under any ranking: the pair is mutual when each is the other's best.
public struct MatchNeighbourhood: Sendable, Equatable {
    /// The feature whose matches these are.
    public var feature: Int
    public var lists: FeatureMatchLists
    /// Each candidate's match lists in the first feature's dictionary, by candidate.
    public var reverse: [Int: FeatureMatchLists]

    public init(feature: Int, lists: FeatureMatchLists, reverse: [Int: FeatureMatchLists]) {
        self.feature = feature
        self.lists = lists
        self.reverse = reverse
    }

    /// The matches in `ranking`'s order, each marked mutual when it is the feature's best and the
    /// feature is its best, under that ranking.
    public func ranked(_ ranking: MatchRanking) -> [FeatureMatch] {
        let ranked = ranking.ranked(lists)
        return ranked.enumerated().map { i, m in
            var out = m
            out.mutual = i == 0 && reverse[m.feature].flatMap { ranking.best($0) }?.feature == feature
            return out
        }
    }
}
