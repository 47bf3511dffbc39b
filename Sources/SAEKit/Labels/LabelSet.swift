/// One label of one rater: what a labels file stores per line of its compacted form.
public struct RatedLabel: Sendable, Equatable {
    public var key: FeatureKey
    /// The label; its `author` is the rater.
    public var label: FeatureLabel

    public var rater: String { label.author }
}

/// Every rater's labels of a labels file: at most one label per feature and rater (docs/LABELS.md).
///
/// A value type so the store can compute the next state, write it, and only then adopt it. The
/// lowest labels-file version that represents the set is `formatVersion`: 1 while no feature has
/// labels by two raters (an older saex then reads the file exactly), 2 otherwise.
public struct LabelSet: Sendable, Equatable {
    /// feature -> rater -> label.
    private var table: [FeatureKey: [String: FeatureLabel]] = [:]
    /// Features with labels by two or more raters.
    private var shared = 0

    public init() {}

    public init(_ labels: some Sequence<RatedLabel>) {
        for l in labels { set(l.label, key: l.key, rater: l.rater) }
    }

    /// How many labels, over all raters.
    public var count: Int { table.values.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { table.isEmpty }
    /// Every labelled feature.
    public var features: Dictionary<FeatureKey, [String: FeatureLabel]>.Keys { table.keys }
    /// True when some feature has labels by two or more raters.
    public var isMultiRater: Bool { shared > 0 }
    /// The labels-file (and export) version needed to hold this set: 1 or 2.
    public var formatVersion: Int { isMultiRater ? 2 : 1 }

    /// Every rater with a label, sorted.
    public var raters: [String] {
        var names = Set<String>()
        for byRater in table.values { names.formUnion(byRater.keys) }
        return names.sorted()
    }

    /// `rater`'s label of `key`.
    public func label(_ key: FeatureKey, by rater: String) -> FeatureLabel? { table[key]?[rater] }

    /// Every rater's label of `key`, by rater.
    public func labels(of key: FeatureKey) -> [String: FeatureLabel] { table[key] ?? [:] }

    /// The labels of one rater.
    public func labels(by rater: String) -> [FeatureKey: FeatureLabel] {
        var out: [FeatureKey: FeatureLabel] = [:]
        for (key, byRater) in table { if let l = byRater[rater] { out[key] = l } }
        return out
    }

    /// One label per feature: the most recently updated (ties: the first rater by name). Exactly
    /// the labels when no feature has two raters.
    public var newestPerFeature: [FeatureKey: FeatureLabel] {
        var out: [FeatureKey: FeatureLabel] = [:]
        for (key, byRater) in table {
            out[key] = byRater.values.max { ($0.updated, $1.author) < ($1.updated, $0.author) }
        }
        return out
    }

    /// Every label, sorted by fingerprint, feature, then rater.
    public var all: [RatedLabel] {
        table.keys.sorted().flatMap { key in
            (table[key] ?? [:]).keys.sorted().compactMap { r in table[key]?[r].map { RatedLabel(key: key, label: $0) } }
        }
    }

    /// Stores `label` as `rater`'s label of `key` (its author becomes `rater`); nil clears it. (An
    /// empty label is kept as read from a file; `LabelStore` never writes one.)
    public mutating func set(_ label: FeatureLabel?, key: FeatureKey, rater: String) {
        var byRater = table[key] ?? [:]
        let before = byRater.count
        if var label {
            label.author = rater
            byRater[rater] = label
        } else {
            byRater[rater] = nil
        }
        adopt(byRater, for: key, before: before)
    }

    /// Removes every rater's label of `key`.
    public mutating func clearAll(_ key: FeatureKey) {
        adopt([:], for: key, before: table[key]?.count ?? 0)
    }

    private mutating func adopt(_ byRater: [String: FeatureLabel], for key: FeatureKey, before: Int) {
        if before >= 2 { shared -= 1 }
        if byRater.count >= 2 { shared += 1 }
        table[key] = byRater.isEmpty ? nil : byRater
    }

    public static func == (a: LabelSet, b: LabelSet) -> Bool { a.table == b.table }
}
