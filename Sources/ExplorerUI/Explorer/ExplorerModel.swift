import SAEKit

/// A feature of one dictionary (index into the explorer's tables).
public struct FeatureRef: Hashable, Sendable {
    public var dict: Int
    public var feature: Int
}

/// The explorer's screens.
public enum Screen: String, Hashable, Sendable, CaseIterable {
    case list, detail, compare, pairs, overview
}

/// One screen on the navigation stack, with its own scroll and selection. The list is always at
/// the bottom; Esc pops the top.
public enum Route: Equatable, Sendable {
    case list
    case detail(DetailState)
    case compare(CompareState)
    case pairs(PairsState)
    case overview(scroll: Int)

    public var screen: Screen {
        switch self {
        case .list: .list
        case .detail: .detail
        case .compare: .compare
        case .pairs: .pairs
        case .overview: .overview
        }
    }
}

/// A feature's page.
public struct DetailState: Equatable, Sendable {
    public var ref: FeatureRef
    public var scroll = 0
    /// Opened from the list: `]`/`[` move the list's selection and the page follows it.
    public var followsList: Bool

    public init(ref: FeatureRef, scroll: Int = 0, followsList: Bool) {
        self.ref = ref
        self.scroll = scroll
        self.followsList = followsList
    }
}

/// A side of the compare screen.
public enum Side: Equatable, Sendable {
    case left, right
}

/// Compare screen state: the left feature, the other dictionary, how its matches are ranked, the
/// match shown on the right, and which side labels apply to.
public struct CompareState: Equatable, Sendable {
    public var left: FeatureRef
    public var other: Int
    public var ranking: MatchRanking
    public var matchIndex: Int
    public var focus: Side
    public var scroll: Int

    public init(left: FeatureRef, other: Int, ranking: MatchRanking = .combined, matchIndex: Int = 0, focus: Side = .left, scroll: Int = 0)
    {
        self.left = left
        self.other = other
        self.ranking = ranking
        self.matchIndex = matchIndex
        self.focus = focus
        self.scroll = scroll
    }

    var matchKey: MatchKey { MatchKey(ref: left, other: other) }
}

/// The pairs screen: one row per feature of dictionary `a` with its best match in `b`.
public struct PairsState: Equatable, Sendable {
    public var a: Int
    public var b: Int
    public var ranking: MatchRanking
    public var query: PairQuery
    public var list: ListState
    /// Features of `a` in row order; nil: every feature by index.
    public var order: [Int32]?
    public var orderPending: Bool
    /// The user moved while the order was being computed: the new order keeps the row.
    public var movedWhileOrdering = false

    public init(a: Int, b: Int, ranking: MatchRanking, height: Int, count: Int) {
        self.a = a
        self.b = b
        self.ranking = ranking
        query = PairQuery()
        list = ListState(count: count, viewport: ExplorerLayout.pairsViewport(height: height))
        order = nil
        orderPending = false
    }

    var key: PairKey { PairKey(a: a, b: b, ranking: ranking) }

    /// Feature of `a` at row `index`.
    public func feature(atRow index: Int) -> Int { order.map { Int($0[index]) } ?? index }

    public var selectedFeature: Int? { list.count == 0 ? nil : feature(atRow: list.selected) }
}

/// Which pair table: dictionaries and ranking.
public struct PairKey: Hashable, Sendable {
    public var a, b: Int
    public var ranking: MatchRanking
}

/// Whose activations on whose top contexts: `subject`'s activations over `anchor`'s top contexts.
public struct EvidenceKey: Hashable, Sendable {
    public var subject: FeatureRef
    public var anchor: FeatureRef
}

/// What the pairs order depends on; results for a stale request are dropped.
public struct PairOrderRequest: Hashable, Sendable {
    public var key: PairKey
    public var query: PairQuery
}

/// The columns of the list, in the order `s` cycles through them, with their headers.
public enum ListColumns {
    public static let sortCycle: [FeatureColumn] = [
        .feature, .label, .alpha, .elasticity, .normSpearmanActive, .density, .maxActivation, .topTokens
    ]

    /// The header; `ascii` (a non-UTF-8 locale) gives one that fits the column as ASCII ("ρ(act)"
    /// would become "rho(act)", wider than its column).
    public static func title(_ c: FeatureColumn, ascii: Bool = false) -> String {
        switch c {
        case .normSpearmanActive where ascii: "rho"
        case .feature: "feature"
        case .label: "label"
        case .alpha: "alpha"
        case .elasticity: "elast"
        case .normSpearmanActive: "ρ(act)"
        case .density: "density"
        case .maxActivation: "max"
        case .topTokens: "top tokens"
        default: c.rawValue
        }
    }
}

/// The filters `f` and `F` cycle through, and how the status bar names them.
public enum FilterPresets {
    public static func cycle(alphaThreshold: Float) -> [FeatureFilter] {
        [.all, .normDetectorHints, .unlabelled] + Verdict.allCases.map { .verdict($0) } + [.dead, .alphaAbove(alphaThreshold)]
    }

    public static func title(_ f: FeatureFilter) -> String {
        switch f {
        case .all: "all"
        case .normDetectorHints: "norm-detector hints"
        case .unlabelled: "unlabelled"
        case .labelled: "labelled"
        case .verdict(let v): "verdict \(VerdictDisplay.name(v))"
        case .dead: "dead"
        case .alphaAbove(let t): "alpha > \(Format.number(t, 2))"
        }
    }
}

/// Key of a cached match list.
public struct MatchKey: Hashable, Sendable {
    public var ref: FeatureRef
    public var other: Int
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
    /// The minimum active count (features active on fewer tokens are hidden).
    case minimumActive
    case label(FeatureKey, LabelField)
}

/// An open prompt and its editor.
public struct InputField: Equatable, Sendable {
    public var kind: InputKind
    public var editor: LineEditor
    /// True while a label edit waits for its save to return.
    public var saving: Bool = false

    public init(kind: InputKind, editor: LineEditor, saving: Bool = false) {
        self.kind = kind
        self.editor = editor
        self.saving = saving
    }

    var isLabelEdit: Bool {
        if case .label = kind { return true }
        return false
    }
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

/// A request to store a label; the performer stamps dates and the author and calls `LabelBook.setLabel`.
public struct LabelSave: Equatable, Sendable {
    public var key: FeatureKey
    public var before: FeatureLabel?
    public var after: FeatureLabel?
    public var kind: SaveKind
    /// The field an open editor is committing, if any.
    public var field: LabelField?
}

/// What the list order depends on; results for a stale request are dropped.
public struct OrderRequest: Hashable, Sendable {
    public var dict: Int
    public var query: FeatureQuery
}
