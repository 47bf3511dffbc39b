import Foundation

/// A labeller's judgement of a feature. Stored as the stable raw strings; docs/LABELS.md lists them.
public enum Verdict: String, Sendable, Codable, CaseIterable, Equatable {
    case interpretable
    case normDetector = "norm_detector"
    case uninterpretable
    case polysemantic
    case unsure
}

/// The blind-mode answer to "can you name a concept?".
public enum Rating: String, Sendable, Codable, CaseIterable, Equatable {
    case yes, maybe, no
}

/// How a label was made: by hand (the explorer, an import of such labels) or from a blind session's
/// answer, joined to its feature once the session was complete.
public enum LabelProvenance: String, Sendable, Codable, CaseIterable, Equatable {
    case manual, blind
}

/// Everything a person recorded about one feature. All fields are optional except the times.
///
/// `author` is the rater: a labels file holds at most one label per feature and rater.
public struct FeatureLabel: Sendable, Codable, Equatable {
    public var verdict: Verdict?
    /// A short concept name ("legal citations", "[CLS] norm"), free UTF-8 text.
    public var concept: String
    /// Free UTF-8 text, may contain newlines.
    public var notes: String
    public var rating: Rating?
    public var author: String
    public var created: Date
    public var updated: Date
    /// `.blind` for a label stored from a blind session's answer.
    public var provenance: LabelProvenance

    public init(
        verdict: Verdict? = nil, concept: String = "", notes: String = "", rating: Rating? = nil,
        author: String = "", created: Date = Date(), updated: Date = Date(), provenance: LabelProvenance = .manual
    ) {
        self.verdict = verdict
        self.concept = concept
        self.notes = notes
        self.rating = rating
        self.author = author
        self.created = created
        self.updated = updated
        self.provenance = provenance
    }

    /// True when nothing was recorded (a cleared label).
    public var isEmpty: Bool { verdict == nil && concept.isEmpty && notes.isEmpty && rating == nil }
}

/// Identifies a feature across runs: the dictionary's weight fingerprint and the feature index.
public struct FeatureKey: Sendable, Hashable, Codable, Comparable {
    public var fingerprint: String
    public var feature: Int

    public init(fingerprint: String, feature: Int) {
        self.fingerprint = fingerprint
        self.feature = feature
    }

    public static func < (a: FeatureKey, b: FeatureKey) -> Bool { (a.fingerprint, a.feature) < (b.fingerprint, b.feature) }
}

/// Where the explorer reads and writes labels. `setLabel` returns only once the change is durable
/// on disk, so the UI may show it as saved; it throws a one-line error otherwise.
///
/// A book may hold several raters' labels (`raters`); `label(for:)`, `setLabel` and `allLabels`
/// are the current rater's (`rater`), `labels(by:)` reads anyone's.
public protocol LabelBook: AnyObject {
    func label(for key: FeatureKey) -> FeatureLabel?
    /// Stores `label` (nil or empty clears it) durably.
    func setLabel(_ label: FeatureLabel?, for key: FeatureKey) throws
    /// Every label of the current rater.
    var allLabels: [FeatureKey: FeatureLabel] { get }
    /// The rater whose labels `allLabels` holds and `setLabel` writes; nil when the book keeps one
    /// label per feature whoever made it.
    var rater: String? { get }
    /// Every rater with at least one label, sorted ("" is a label without an author).
    var raters: [String] { get }
    /// The labels of `rater` (empty for an unknown rater).
    func labels(by rater: String) -> [FeatureKey: FeatureLabel]
    /// True when every change throws (the labels were opened read-only).
    var isReadOnly: Bool { get }
    /// Every rater's labels.
    var everyLabel: LabelSet { get }
    /// A one-time note about a repair the book made while saving (for the status line), or nil.
    func takeNotice() -> String?
}

extension LabelBook {
    public var rater: String? { nil }
    public var raters: [String] { Array(Set(allLabels.values.map(\.author))).sorted() }
    public func labels(by rater: String) -> [FeatureKey: FeatureLabel] { allLabels.filter { $0.value.author == rater } }
    public var isReadOnly: Bool { false }
    public var everyLabel: LabelSet {
        LabelSet(raters.flatMap { r in labels(by: r).map { RatedLabel(key: $0.key, label: $0.value) } })
    }
    public func takeNotice() -> String? { nil }

    /// The labels of every rater but the current one, by feature, each feature's sorted by rater;
    /// empty when the book has no current rater (one label per feature, whoever made it).
    public var othersLabels: [FeatureKey: [RatedLabel]] {
        guard let me = rater else { return [:] }
        let every = everyLabel
        var out: [FeatureKey: [RatedLabel]] = [:]
        for key in every.features {
            let others = every.labels(of: key).filter { $0.key != me && !$0.value.isEmpty }
                .sorted { $0.key < $1.key }.map { RatedLabel(key: key, label: $0.value) }
            if !others.isEmpty { out[key] = others }
        }
        return out
    }
}
