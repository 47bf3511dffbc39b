import Foundation

/// Which features a list shows.
public enum FeatureFilter: Hashable, Sendable {
    case all
    /// The norm-detector rule fired (docs/ANALYSIS.md).
    case normDetectorHints
    case unlabelled
    case labelled
    case verdict(Verdict)
    case dead
    /// alpha > the value (features with an unknown alpha never pass).
    case alphaAbove(Float)
}

/// A filtered, searched and sorted view of one table: what the explorer's list shows and what
/// `saex analyze --sort` orders by.
public struct FeatureQuery: Hashable, Sendable {
    public var filter: FeatureFilter
    /// Features active on fewer tokens are left out (0: no limit). Features whose count is
    /// unknown (imports) are kept.
    public var minimumActive: Int
    /// Matched against the features' preview tokens and label concepts, case-insensitively.
    public var search: String
    /// Match `search` as whole words (`she` does not match `bushes`) or anywhere.
    public var wholeWord: Bool
    public var sort: FeatureColumn
    public var descending: Bool

    public init(
        filter: FeatureFilter = .all, minimumActive: Int = 0, search: String = "", wholeWord: Bool = true,
        sort: FeatureColumn = .feature, descending: Bool = false
    ) {
        self.filter = filter
        self.minimumActive = minimumActive
        self.search = search
        self.wholeWord = wholeWord
        self.sort = sort
        self.descending = descending
    }

    /// True when the query shows every feature in index order.
    public var isIdentity: Bool { filter == .all && minimumActive == 0 && search.isEmpty && sort == .feature && !descending }
}

/// Case-insensitive text matching for searches: anywhere, or as whole words, where a word boundary
/// is the start or end of the text or a character that is not a letter or digit. Scripts written
/// without spaces (Chinese characters, kana) have a boundary at every character.
public enum TextSearch {
    public static func matches(_ text: String, _ query: String, wholeWord: Bool) -> Bool {
        let q = query.lowercased()
        guard !q.isEmpty else { return true }
        let t = text.lowercased()
        guard wholeWord else { return t.contains(q) }
        var start = t.startIndex
        while let r = t.range(of: q, range: start..<t.endIndex) {
            let before = r.lowerBound == t.startIndex ? nil : t[t.index(before: r.lowerBound)]
            let after = r.upperBound == t.endIndex ? nil : t[r.upperBound]
            if !isWordCharacter(before) && !isWordCharacter(after) { return true }
            start = t.index(after: r.lowerBound)
        }
        return false
    }

    static func isWordCharacter(_ c: Character?) -> Bool {
        guard let c, c.isLetter || c.isNumber else { return false }
        guard let v = c.unicodeScalars.first?.value else { return false }
        let unspaced =
            (0x3040...0x30FF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x20000...0x3FFFF).contains(v)
        return !unspaced
    }
}

extension FeatureTable {
    /// The rows `query` shows, in order: feature indices, filtered, searched, then sorted by the
    /// query's column with unknown values last in either direction and ties by feature number.
    /// `labels` are this dictionary's labels by feature.
    public func order(_ query: FeatureQuery, labels: [Int: FeatureLabel]) -> [Int32] {
        var rows = selection(query, labels: labels)
        sort(&rows, by: query.sort, descending: query.descending, labels: labels)
        return rows
    }

    /// The features `query` keeps, ascending.
    func selection(_ query: FeatureQuery, labels: [Int: FeatureLabel]) -> [Int32] {
        let matcher = query.search.isEmpty ? nil : previewMatcher(query.search, wholeWord: query.wholeWord)
        var rows: [Int32] = []
        rows.reserveCapacity(featureCount)
        for f in 0..<featureCount {
            let keep: Bool
            switch query.filter {
            case .all: keep = true
            case .normDetectorHints: keep = hint[f] != 0
            case .unlabelled: keep = labels[f]?.isEmpty ?? true
            case .labelled: keep = !(labels[f]?.isEmpty ?? true)
            case .verdict(let v): keep = labels[f]?.verdict == v
            case .dead: keep = dead[f] != 0
            case .alphaAbove(let t): keep = !floats.alpha[f].isNaN && floats.alpha[f] > t
            }
            guard keep else { continue }
            if query.minimumActive > 0, activeCount[f] >= 0, activeCount[f] < query.minimumActive { continue }
            if let matcher, !matcher(f),
                !(labels[f].map { TextSearch.matches($0.concept, query.search, wholeWord: query.wholeWord) } ?? false)
            {
                continue
            }
            rows.append(Int32(f))
        }
        return rows
    }

    /// Whether a feature's preview tokens match `query`. Each distinct token is tested once.
    func previewMatcher(_ query: String, wholeWord: Bool) -> (Int) -> Bool {
        var memo = [UInt8](repeating: 0, count: vocabulary.vocabularySize)  // 0 untested, 1 no, 2 yes
        return { [self] f in
            for j in 0..<previewWidth {
                let id = previewIDs[f * previewWidth + j]
                guard id >= 0, Int(id) < memo.count else { continue }
                if memo[Int(id)] == 0 {
                    memo[Int(id)] = TextSearch.matches(vocabulary.tokenText(id), query, wholeWord: wholeWord) ? 2 : 1
                }
                if memo[Int(id)] == 2 { return true }
            }
            return false
        }
    }

    /// Sorts `rows` (ascending feature numbers) by `column`: one stable radix sort on a 32-bit
    /// order-preserving key, so a million features sort in tens of milliseconds.
    func sort(_ rows: inout [Int32], by column: FeatureColumn, descending: Bool, labels: [Int: FeatureLabel]) {
        switch column {
        case .feature:
            if descending { rows.reverse() }
            return
        case .topTokens:
            let text = rows.map { topTokens(Int($0)).joined(separator: " ").lowercased() }
            let order = rows.indices.sorted { a, b in
                let x = text[a], y = text[b]
                if x.isEmpty != y.isEmpty { return y.isEmpty }  // no preview last
                if x != y { return descending ? x > y : x < y }
                return rows[a] < rows[b]
            }
            rows = order.map { rows[$0] }
            return
        default:
            break
        }
        rows = RankSort.order(rows, descending: descending) { sortKey(column, Int($0), labels: labels) }
    }

    /// An unsigned key whose order is `column`'s ascending order; nil when the value is unknown.
    func sortKey(_ column: FeatureColumn, _ f: Int, labels: [Int: FeatureLabel]) -> UInt32? {
        switch column {
        case .label:
            guard let l = labels[f], !l.isEmpty else { return nil }
            return UInt32(l.verdict.flatMap { Verdict.allCases.firstIndex(of: $0) } ?? Verdict.allCases.count)
        case .density, .log10Density, .activeCount:
            // Density is active tokens over one token count: order by the exact count when known.
            if activeCount[f] >= 0 {
                if column == .log10Density, activeCount[f] == 0 { return nil }
                return UInt32(clamping: activeCount[f])
            }
            guard let v = value(column, f) else { return nil }
            return RankSort.orderedKey(Float(v))
        default:
            guard let v = value(column, f) else { return nil }
            return RankSort.orderedKey(Float(v))
        }
    }
}
