import SAEKit

/// Everything the explorer shows, as a value: `ExplorerProgram.update` makes the next one from an
/// action and the views draw it. Statistics come from the dictionaries' feature tables (immutable,
/// shared); contexts, samples and matches that effects loaded live in small LRU caches here.
public struct ExplorerState: Equatable, Sendable {
    public var title: String
    /// One table per dictionary: every feature's statistics and preview tokens.
    public let tables: [FeatureTable]
    /// The navigation stack; the list is always at the bottom.
    public var routes: [Route] = [.list]
    public var showHelp = false
    public var helpScroll = 0
    /// The dictionary the list shows.
    public var dict: Int
    public var list: ListState
    /// Feature indices in list order; nil means all features by index.
    public var order: [Int32]?
    public var orderPending = false
    /// The user moved while the order was being computed: the new order keeps the row they
    /// moved to (g means the top of the new order), not the feature that was on it.
    public var movedWhileOrdering = false
    /// The list's filter, search and sort.
    public var query = FeatureQuery()
    /// Labels as last confirmed by the label book (only saved labels appear here).
    public var labels: [FeatureKey: FeatureLabel]
    /// Other raters' labels of the same features (read once at open: a session only changes the
    /// current rater's labels). The detail page shows them under the rater's own.
    public var othersLabels: [FeatureKey: [RatedLabel]] = [:]
    /// Why labels cannot be edited, or nil when they can.
    public var readOnlyReason: String?
    public var savesInFlight = 0
    public var undoStack: [LabelChange] = []
    public var redoStack: [LabelChange] = []
    public var contexts: LRUCache<FeatureRef, Loaded<FeatureContexts>>
    public var samples: LRUCache<FeatureRef, Loaded<ActivationSample>>
    public var matches: LRUCache<MatchKey, Loaded<MatchNeighbourhood>>
    /// Nearest features of the same dictionary (decoder cosine), shown in the detail.
    public var neighbours: LRUCache<FeatureRef, Loaded<[FeatureMatch]>>
    /// One feature's activations on another's top contexts (compare's shared evidence).
    public var evidence: LRUCache<EvidenceKey, Loaded<[TokenContext]>>
    /// Pair tables built so far (one per dictionary pair and ranking).
    public var pairTables: [PairKey: Loaded<PairTable>] = [:]
    /// The overview's figures: summaries and comparisons with the labels (recomputed when it opens).
    public var report: Loaded<ComparisonReport>?
    public var window: ContextWindow = .sixteen
    public var input: InputField?
    /// A feature `:` asked for that the filter or search hides: the next key answers whether to
    /// clear them and jump (Enter or y) or stay (any other key).
    public var hiddenJump: Int?
    /// A feature to jump to once the order being computed arrives.
    public var jumpAfterOrder: Int?
    public var message: StatusMessage?
    public var width: Int
    public var height: Int
    public var rng: SplitMix64
    public var canExport: Bool
    /// The copy key has a folder to write to.
    public var canCopyContexts = false
    public var alphaThreshold: Float
    public var quitRequested = false

    public init(
        title: String, tables: [FeatureTable], labels: [FeatureKey: FeatureLabel], readOnlyReason: String?,
        initialDictionary: Int = 0, width: Int = 80, height: Int = 24, canExport: Bool = false, alphaThreshold: Float = 0.5,
        seed: UInt64 = 0x5EED, cacheCapacity: Int = 64
    ) {
        self.title = title
        self.tables = tables
        self.labels = labels
        self.readOnlyReason = readOnlyReason
        self.dict = tables.isEmpty ? 0 : max(0, min(initialDictionary, tables.count - 1))
        self.width = width
        self.height = height
        self.canExport = canExport
        self.alphaThreshold = alphaThreshold
        self.rng = SplitMix64(seed: seed)
        self.contexts = LRUCache(capacity: cacheCapacity)
        self.samples = LRUCache(capacity: cacheCapacity)
        self.matches = LRUCache(capacity: cacheCapacity)
        self.neighbours = LRUCache(capacity: cacheCapacity)
        self.evidence = LRUCache(capacity: cacheCapacity)
        self.list = ListState(
            count: tables.isEmpty ? 0 : tables[self.dict].featureCount, viewport: ExplorerLayout.listViewport(height: height))
    }

    public var dictionaries: [DictionaryDescriptor] { tables.map(\.descriptor) }

    /// The screen on top of the navigation stack.
    public var route: Route { routes.last ?? .list }
    public var screen: Screen { route.screen }

    public var readOnlyLabels: Bool { readOnlyReason != nil }

    /// True when the screen on top is a list (the features or the pairs): movement keys select.
    var hasList: Bool { screen == .list || screen == .pairs }

    /// Feature index shown at list row `index`.
    public func feature(atRow index: Int) -> Int { order.map { Int($0[index]) } ?? index }

    /// The selected list feature, or nil when the list is empty.
    public var selectedFeature: FeatureRef? {
        list.count == 0 ? nil : FeatureRef(dict: dict, feature: feature(atRow: list.selected))
    }

    /// The detail page on top, if any.
    public var detail: DetailState? {
        if case .detail(let d) = route { return d }
        return nil
    }

    /// The compare screen on top, if any.
    public var compare: CompareState? {
        if case .compare(let c) = route { return c }
        return nil
    }

    /// The pairs screen on top, if any.
    public var pairs: PairsState? {
        if case .pairs(let p) = route { return p }
        return nil
    }

    /// The compare screen's matches in its ranking's order, once loaded.
    public func rankedMatches(_ c: CompareState) -> [FeatureMatch]? {
        matches.peek(c.matchKey)?.value?.ranked(c.ranking)
    }

    /// The compare screen's right-hand feature: the match shown, once the matches are loaded.
    public func rightFeature(_ c: CompareState) -> FeatureRef? {
        guard let ranked = rankedMatches(c), c.matchIndex < ranked.count else { return nil }
        return FeatureRef(dict: c.other, feature: ranked[c.matchIndex].feature)
    }

    /// The feature labels and details apply to on the current screen.
    public var focusedFeature: FeatureRef? {
        switch route {
        case .detail(let d): d.ref
        case .compare(let c): c.focus == .left ? c.left : rightFeature(c)
        case .pairs(let p): p.selectedFeature.map { FeatureRef(dict: p.a, feature: $0) }
        case .list, .overview: selectedFeature
        }
    }

    public func key(for ref: FeatureRef) -> FeatureKey {
        FeatureKey(fingerprint: tables[ref.dict].descriptor.fingerprint, feature: ref.feature)
    }

    public func label(for ref: FeatureRef) -> FeatureLabel? { labels[key(for: ref)] }
    /// Every other rater's label of `ref`, sorted by rater.
    public func othersLabels(for ref: FeatureRef) -> [RatedLabel] { othersLabels[key(for: ref)] ?? [] }

    /// A feature's statistics row.
    public func stats(_ ref: FeatureRef) -> FeatureStats { tables[ref.dict].stats(ref.feature) }

    /// Saved labels of dictionary `dict`, by feature (what filters, searches and the label sort read).
    public func labelsByFeature(_ dict: Int) -> [Int: FeatureLabel] {
        let fingerprint = tables[dict].descriptor.fingerprint
        var out: [Int: FeatureLabel] = [:]
        for (key, label) in labels where key.fingerprint == fingerprint { out[key.feature] = label }
        return out
    }

    public var currentOrderRequest: OrderRequest { OrderRequest(dict: dict, query: query) }
}

/// Screen geometry shared by update (page sizes, scroll limits) and the views.
public enum ExplorerLayout {
    public static let minimumSize = TerminalSize(width: 40, height: 10)
    /// Title, column header, hints and status rows surround the list.
    public static func listViewport(height: Int) -> Int { max(1, height - 4) }
    /// The pairs screen has a second header row (the dictionaries and the ranking).
    public static func pairsViewport(height: Int) -> Int { max(1, height - 5) }
    /// Rows of scrolled content on detail, compare and overview.
    public static func bodyHeight(height: Int) -> Int { max(1, height - 3) }
}

extension ExplorerState: ProgramChrome {}
