import SAEKit

/// A feature of one dictionary (index into `FeatureSource.dictionaries`).
public struct FeatureRef: Hashable, Sendable {
    public var dict: Int
    public var feature: Int
    public init(dict: Int, feature: Int) {
        self.dict = dict
        self.feature = feature
    }
}

/// The explorer's screens.
public enum Screen: String, Hashable, Sendable, CaseIterable {
    case list, detail, compare, overview
}

/// List columns; every one is sortable.
public enum SortColumn: String, CaseIterable, Sendable, Hashable {
    case feature, label, alpha, elasticity, normCorrelation, density, maxActivation, topTokens

    public var title: String {
        switch self {
        case .feature: "feature"
        case .label: "label"
        case .alpha: "alpha"
        case .elasticity: "elast"
        case .normCorrelation: "ρ(act)"
        case .density: "density"
        case .maxActivation: "max"
        case .topTokens: "top tokens"
        }
    }
}

/// Column and direction of the list order.
public struct SortSpec: Equatable, Sendable {
    public var column: SortColumn
    public var descending: Bool
    public init(column: SortColumn = .feature, descending: Bool = false) {
        self.column = column
        self.descending = descending
    }
}

/// The list's filter presets.
public enum FilterPreset: Equatable, Sendable {
    case all
    case normDetectorHints
    case unlabelled
    case verdict(Verdict)
    case dead
    case alphaAbove(Float)

    public var title: String {
        switch self {
        case .all: "all"
        case .normDetectorHints: "norm-detector hints"
        case .unlabelled: "unlabelled"
        case .verdict(let v): "verdict \(VerdictDisplay.name(v))"
        case .dead: "dead"
        case .alphaAbove(let t): "alpha > \(Format.number(t, 2))"
        }
    }

    /// The cycle `f` walks through.
    public static func cycle(alphaThreshold: Float) -> [FilterPreset] {
        [.all, .normDetectorHints, .unlabelled] + Verdict.allCases.map { .verdict($0) } + [.dead, .alphaAbove(alphaThreshold)]
    }
}

/// How much of a context around its peak to show.
public enum ContextWindow: Equatable, Sendable {
    case five, sixteen, whole

    public var next: ContextWindow {
        switch self {
        case .five: .sixteen
        case .sixteen: .whole
        case .whole: .five
        }
    }
    public var radius: Int? {
        switch self {
        case .five: 5
        case .sixteen: 16
        case .whole: nil
        }
    }
    public var title: String { radius.map { "±\($0)" } ?? "whole" }
}

/// A value being loaded for one feature.
public enum Loaded<Value: Equatable & Sendable>: Equatable, Sendable {
    case loading
    case ready(Value)
    case failed(String)

    public var value: Value? {
        if case .ready(let v) = self { return v }
        return nil
    }
}

/// A small least-recently-used cache (linear eviction; capacities are tens of entries).
public struct LRUCache<Key: Hashable & Sendable, Value: Equatable & Sendable>: Equatable, Sendable {
    public let capacity: Int
    private var storage: [Key: Value] = [:]
    private var recency: [Key: UInt64] = [:]
    private var tick: UInt64 = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { storage.count }

    /// Reads without changing recency (rendering is pure).
    public func peek(_ key: Key) -> Value? { storage[key] }

    public mutating func insert(_ value: Value, for key: Key) {
        tick += 1
        storage[key] = value
        recency[key] = tick
        if storage.count > capacity, let oldest = recency.min(by: { $0.value < $1.value })?.key {
            storage[oldest] = nil
            recency[oldest] = nil
        }
    }

    public mutating func touch(_ key: Key) {
        guard storage[key] != nil else { return }
        tick += 1
        recency[key] = tick
    }
}

/// Key of a cached match list.
public struct MatchKey: Hashable, Sendable {
    public var ref: FeatureRef
    public var other: Int
}

/// Per-dictionary figures for the overview, computed once from all stats.
public struct OverviewData: Equatable, Sendable {
    public var featureCount: Int
    public var dead: Int
    public var hints: Int
    /// Counts of alpha in `alphaBins` equal bins over `alphaRange`; empty when alpha is unknown.
    public var alphaHistogram: [Int]
    public var alphaRange: ClosedRange<Float>
    /// Counts of norm Spearman in equal bins over [-1, 1]; empty when unavailable.
    public var normHistogram: [Int]
    public var alphaUnknown: Int
    public var normUnknown: Int
}

/// Which label field an editor edits.
public enum LabelField: Equatable, Sendable {
    case concept, notes
}

/// A text prompt at the bottom of the screen.
public enum InputKind: Equatable, Sendable {
    case search
    case jump
    /// The threshold of the "alpha > value" filter.
    case alphaThreshold
    case label(FeatureKey, LabelField)
}

/// An open prompt and its editor.
public struct InputField: Equatable, Sendable {
    public var kind: InputKind
    public var editor: LineEditor
    /// True while a label edit waits for `setLabel` to return.
    public var saving: Bool = false
}

/// A status-bar message.
public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var isError: Bool
}

/// One change of a label, for undo and redo.
public struct LabelChange: Equatable, Sendable {
    public var key: FeatureKey
    public var before: FeatureLabel?
    public var after: FeatureLabel?
}

/// Why a label is being saved.
public enum SaveKind: Equatable, Sendable {
    case edit, undo, redo
}

/// A request to store a label; the runtime stamps dates and calls `LabelBook.setLabel`.
public struct LabelSave: Equatable, Sendable {
    public var key: FeatureKey
    public var before: FeatureLabel?
    public var after: FeatureLabel?
    public var kind: SaveKind
    /// The field an open editor is committing, if any.
    public var field: LabelField?
}

/// What the list order depends on; results for a stale request are dropped.
public struct OrderRequest: Equatable, Sendable {
    public var dict: Int
    public var sort: SortSpec
    public var filter: FilterPreset
    public var search: String
}

/// Compare screen state: the left feature, the other dictionary and the match shown.
public struct CompareState: Equatable, Sendable {
    public var left: FeatureRef
    public var other: Int
    public var matchIndex: Int
    public var scroll: Int
}

/// Names and one-letter marks for verdicts.
public enum VerdictDisplay {
    public static func name(_ v: Verdict) -> String {
        switch v {
        case .interpretable: "interpretable"
        case .normDetector: "norm detector"
        case .uninterpretable: "uninterpretable"
        case .polysemantic: "polysemantic"
        case .unsure: "unsure"
        }
    }
    /// The list's label column (4 columns).
    public static func mark(_ v: Verdict) -> String {
        switch v {
        case .interpretable: "INT"
        case .normDetector: "NORM"
        case .uninterpretable: "UNIN"
        case .polysemantic: "POLY"
        case .unsure: "?"
        }
    }
}
