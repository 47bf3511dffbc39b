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

/// Everything a person recorded about one feature. All fields are optional except the times.
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

    public init(verdict: Verdict? = nil, concept: String = "", notes: String = "", rating: Rating? = nil,
                author: String = "", created: Date = Date(), updated: Date = Date()) {
        self.verdict = verdict
        self.concept = concept
        self.notes = notes
        self.rating = rating
        self.author = author
        self.created = created
        self.updated = updated
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
public protocol LabelBook: AnyObject {
    func label(for key: FeatureKey) -> FeatureLabel?
    /// Stores `label` (nil or empty clears it) durably.
    func setLabel(_ label: FeatureLabel?, for key: FeatureKey) throws
    /// Every stored label.
    var allLabels: [FeatureKey: FeatureLabel] { get }
    /// A one-time note about a repair the book made while saving (for the status line), or nil.
    func takeNotice() -> String?
}

extension LabelBook {
    public func takeNotice() -> String? { nil }
}
