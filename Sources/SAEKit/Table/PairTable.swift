import Foundation

/// One row per feature of dictionary A: its best match in dictionary B under a ranking, both
/// scores, whether the pair is mutual, and both sides' statistics (from their feature tables).
/// What the pairs screen shows and `saex pairs` prints; labels are passed to the queries, so a
/// table is built once per (A, B, ranking).
///
/// A row is "unmatched" (its feature exists only in A, as far as the cached evidence goes) when it
/// has no match or its best score is below `unmatchedBelow` (default 0.5, docs/ANALYSIS.md).
public final class PairTable: @unchecked Sendable {
    public let a: FeatureTable
    public let b: FeatureTable
    public let ranking: MatchRanking
    public let unmatchedBelow: Float
    /// Best match in B per feature of A; -1 when there is none.
    public let match: [Int32]
    public let decoderCosine: [Float]
    /// NaN when unknown.
    public let activationCorrelation: [Float]
    /// The ranking's score of the best match; NaN when unknown.
    public let score: [Float]
    /// A's best match is b and b's best match in A is a, under the same ranking.
    public let mutual: [Bool]

    public static let defaultUnmatchedBelow: Float = 0.5

    /// `aToB[i]` and `bToA[j]` are the stored match lists of A's feature i in B and B's feature j in A.
    public init(
        a: FeatureTable, b: FeatureTable, aToB: [FeatureMatchLists], bToA: [FeatureMatchLists], ranking: MatchRanking,
        unmatchedBelow: Float = defaultUnmatchedBelow
    ) {
        precondition(aToB.count == a.featureCount && bToA.count == b.featureCount, "match lists for other dictionaries")
        self.a = a
        self.b = b
        self.ranking = ranking
        self.unmatchedBelow = unmatchedBelow
        let bestOfB = bToA.map { ranking.best($0)?.feature ?? -1 }
        var match = [Int32](repeating: -1, count: a.featureCount)
        var cos = [Float](repeating: .nan, count: a.featureCount), corr = cos, score = cos
        var mutual = [Bool](repeating: false, count: a.featureCount)
        for (i, lists) in aToB.enumerated() {
            guard let m = ranking.best(lists), m.feature >= 0, m.feature < b.featureCount else { continue }
            match[i] = Int32(m.feature)
            cos[i] = m.decoderCosine
            corr[i] = m.activationCorrelation ?? .nan
            score[i] = ranking.score(m) ?? .nan
            mutual[i] = bestOfB[m.feature] == i
        }
        self.match = match
        self.decoderCosine = cos
        self.activationCorrelation = corr
        self.score = score
        self.mutual = mutual
    }

    public var count: Int { a.featureCount }

    /// The match of A's feature `i` in B, or nil.
    public func matchOf(_ i: Int) -> Int? { match[i] >= 0 ? Int(match[i]) : nil }

    /// True when A's feature `i` has no match at or above `unmatchedBelow`.
    public func isUnmatched(_ i: Int) -> Bool { match[i] < 0 || !(score[i] >= unmatchedBelow) }
}

/// Which pairs a pairs view shows.
public enum PairFilter: String, CaseIterable, Hashable, Sendable {
    case all
    /// Each is the other's best match.
    case mutual
    /// The norm-detector hint fired on exactly one side.
    case hintOneSide = "hint_one_side"
    /// Both sides have a verdict and they differ.
    case verdictsDiffer = "verdicts_differ"
    /// No match at or above the table's threshold: the feature is only in A.
    case unmatched
    /// A's feature or its match in B has a label (either side).
    case labelled
    /// Neither side has a label: the complement of `labelled`.
    case unlabelled
}

/// A pairs table column to sort by.
public enum PairColumn: String, CaseIterable, Hashable, Sendable {
    case feature, match, score
    case decoderCosine = "decoder_cosine"
    case activationCorrelation = "activation_correlation"
    case mutual
    case alphaA = "a.alpha", alphaB = "b.alpha"
    case elasticityA = "a.elasticity", elasticityB = "b.elasticity"
    case spearmanA = "a.norm_spearman_active", spearmanB = "b.norm_spearman_active"
    case hintA = "a.norm_detector_hint", hintB = "b.norm_detector_hint"
    case densityA = "a.density", densityB = "b.density"
    case verdictA = "a.verdict", verdictB = "b.verdict"
    case conceptA = "a.concept", conceptB = "b.concept"

    /// Highest first for scores and statistics; lowest first for numbers, verdicts and text.
    public var descendingByDefault: Bool {
        switch self {
        case .feature, .match, .verdictA, .verdictB, .conceptA, .conceptB: false
        default: true
        }
    }
}

/// A filtered and sorted view of a pair table.
public struct PairQuery: Hashable, Sendable {
    public var filter: PairFilter
    public var sort: PairColumn
    public var descending: Bool

    public init(filter: PairFilter = .all, sort: PairColumn = .feature, descending: Bool = false) {
        self.filter = filter
        self.sort = sort
        self.descending = descending
    }
}

extension PairTable {
    /// The rows `query` shows, as features of A: filtered, then sorted with unknown values last in
    /// either direction and ties by A's feature number. `labelsA`/`labelsB` are the two
    /// dictionaries' labels by feature.
    public func order(_ query: PairQuery, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel]) -> [Int32] {
        var rows: [Int32] = []
        rows.reserveCapacity(count)
        for i in 0..<count where keep(i, query.filter, labelsA: labelsA, labelsB: labelsB) { rows.append(Int32(i)) }
        switch query.sort {
        case .conceptA, .conceptB:
            let text = rows.map { concept(Int($0), side: query.sort == .conceptA ? 0 : 1, labelsA: labelsA, labelsB: labelsB) }
            let order = rows.indices.sorted { x, y in
                if text[x].isEmpty != text[y].isEmpty { return text[y].isEmpty }
                if text[x] != text[y] { return query.descending ? text[x] > text[y] : text[x] < text[y] }
                return rows[x] < rows[y]
            }
            return order.map { rows[$0] }
        default:
            return RankSort.order(rows, descending: query.descending) { sortKey(query.sort, Int($0), labelsA: labelsA, labelsB: labelsB) }
        }
    }

    func keep(_ i: Int, _ filter: PairFilter, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel]) -> Bool {
        switch filter {
        case .all: return true
        case .mutual: return mutual[i]
        case .hintOneSide:
            guard let j = matchOf(i) else { return a.hint[i] != 0 }
            return (a.hint[i] != 0) != (b.hint[j] != 0)
        case .verdictsDiffer:
            guard let j = matchOf(i), let va = labelsA[i]?.verdict, let vb = labelsB[j]?.verdict else { return false }
            return va != vb
        case .unmatched: return isUnmatched(i)
        case .labelled, .unlabelled:
            let labelled = !(labelsA[i]?.isEmpty ?? true) || matchOf(i).map { !(labelsB[$0]?.isEmpty ?? true) } == true
            return labelled == (filter == .labelled)
        }
    }

    func concept(_ i: Int, side: Int, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel]) -> String {
        if side == 0 { return labelsA[i]?.concept.lowercased() ?? "" }
        return matchOf(i).flatMap { labelsB[$0]?.concept.lowercased() } ?? ""
    }

    /// An unsigned key in `column`'s ascending order; nil when unknown.
    func sortKey(_ column: PairColumn, _ i: Int, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel]) -> UInt32? {
        let j = matchOf(i)
        func f(_ v: Float) -> UInt32? { v.isNaN ? nil : RankSort.orderedKey(v) }
        func side(_ t: FeatureTable, _ k: Int?, _ c: FeatureColumn) -> UInt32? {
            guard let k else { return nil }
            return t.sortKey(c, k, labels: [:])
        }
        func verdict(_ l: FeatureLabel?) -> UInt32? { l?.verdict.flatMap { Verdict.allCases.firstIndex(of: $0) }.map(UInt32.init) }
        switch column {
        case .feature: return UInt32(i)
        case .match: return j.map(UInt32.init)
        case .score: return f(score[i])
        case .decoderCosine: return f(decoderCosine[i])
        case .activationCorrelation: return f(activationCorrelation[i])
        case .mutual: return mutual[i] ? 1 : 0
        case .alphaA: return side(a, i, .alpha)
        case .alphaB: return side(b, j, .alpha)
        case .elasticityA: return side(a, i, .elasticity)
        case .elasticityB: return side(b, j, .elasticity)
        case .spearmanA: return side(a, i, .normSpearmanActive)
        case .spearmanB: return side(b, j, .normSpearmanActive)
        case .hintA: return side(a, i, .normDetectorHint)
        case .hintB: return side(b, j, .normDetectorHint)
        case .densityA: return side(a, i, .density)
        case .densityB: return side(b, j, .density)
        case .verdictA: return verdict(labelsA[i])
        case .verdictB: return j.flatMap { verdict(labelsB[$0]) }
        case .conceptA, .conceptB: return nil
        }
    }
}

extension PairTable: Equatable {
    /// Tables are immutable: two are equal when they are the same table.
    public static func == (a: PairTable, b: PairTable) -> Bool { a === b }
}
