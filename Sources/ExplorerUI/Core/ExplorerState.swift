import SAEKit

/// Everything the explorer shows, as a value: `update` produces a new one from an action, and
/// `render` draws it. Loaded contexts, samples and matches live in small LRU caches here.
public struct ExplorerState: Equatable, Sendable {
    public var title: String
    public var dictionaries: [DictionaryDescriptor]
    public var screen: Screen = .list
    /// Screen to return to from detail/compare/overview.
    public var previousScreen: Screen = .list
    public var showHelp = false
    public var helpScroll = 0
    /// The dictionary the list shows.
    public var dict: Int
    public var list: ListState
    /// Feature indices in list order; nil means all features by index.
    public var order: [Int32]?
    public var orderPending = false
    public var sort = SortSpec()
    public var filter: FilterPreset = .all
    public var search = ""
    /// Labels as last confirmed by the label book (only saved labels appear here).
    public var labels: [FeatureKey: FeatureLabel]
    public var readOnlyLabels: Bool
    public var savesInFlight = 0
    public var undoStack: [LabelChange] = []
    public var redoStack: [LabelChange] = []
    public var contexts: LRUCache<FeatureRef, Loaded<FeatureContexts>>
    public var samples: LRUCache<FeatureRef, Loaded<ActivationSample>>
    public var matches: LRUCache<MatchKey, Loaded<[FeatureMatch]>>
    /// Nearest features of the same dictionary (decoder cosine), shown in the detail.
    public var neighbours: LRUCache<FeatureRef, Loaded<[FeatureMatch]>>
    public var overview: [Int: Loaded<OverviewData>] = [:]
    public var detailScroll = 0
    public var window: ContextWindow = .sixteen
    public var compare: CompareState?
    public var input: InputField?
    public var message: StatusMessage?
    public var width: Int
    public var height: Int
    public var rng: SplitMix64
    public var canExport: Bool
    public var alphaThreshold: Float
    public var quitRequested = false

    public init(title: String, dictionaries: [DictionaryDescriptor], labels: [FeatureKey: FeatureLabel], readOnlyLabels: Bool,
                initialDictionary: Int = 0, width: Int = 80, height: Int = 24, canExport: Bool = false, alphaThreshold: Float = 1.5,
                seed: UInt64 = 0x5EED, cacheCapacity: Int = 64) {
        self.title = title
        self.dictionaries = dictionaries
        self.labels = labels
        self.readOnlyLabels = readOnlyLabels
        self.dict = dictionaries.isEmpty ? 0 : max(0, min(initialDictionary, dictionaries.count - 1))
        self.width = width
        self.height = height
        self.canExport = canExport
        self.alphaThreshold = alphaThreshold
        self.rng = SplitMix64(seed: seed)
        self.contexts = LRUCache(capacity: cacheCapacity)
        self.samples = LRUCache(capacity: cacheCapacity)
        self.matches = LRUCache(capacity: cacheCapacity)
        self.neighbours = LRUCache(capacity: cacheCapacity)
        self.list = ListState(count: dictionaries.isEmpty ? 0 : dictionaries[self.dict].featureCount, viewport: Layout.listViewport(height: height))
    }

    /// Number of rows in the list (after filter and search).
    public var listCount: Int { list.count }

    /// Feature index shown at list row `index`.
    public func feature(atRow index: Int) -> Int { order.map { Int($0[index]) } ?? index }

    /// The selected list feature, or nil when the list is empty.
    public var selectedFeature: FeatureRef? {
        list.count == 0 ? nil : FeatureRef(dict: dict, feature: feature(atRow: list.selected))
    }

    /// The feature labels and details apply to on the current screen.
    public var focusedFeature: FeatureRef? {
        if screen == .compare, let compare { return compare.left }
        return selectedFeature
    }

    public func key(for ref: FeatureRef) -> FeatureKey {
        FeatureKey(fingerprint: dictionaries[ref.dict].fingerprint, feature: ref.feature)
    }

    public func label(for ref: FeatureRef) -> FeatureLabel? { labels[key(for: ref)] }

    public var currentOrderRequest: OrderRequest { OrderRequest(dict: dict, sort: sort, filter: filter, search: search) }

    /// True when the list shows every feature by index (no sort, filter or search).
    public var isIdentityOrder: Bool { sort == SortSpec() && filter == .all && search.isEmpty }
}

/// Screen geometry shared by update (page sizes) and render.
public enum Layout {
    public static let minimumWidth = 40
    public static let minimumHeight = 10
    /// Title, column header, hints and status rows surround the list.
    public static func listViewport(height: Int) -> Int { max(1, height - 4) }
    /// Rows of scrolled content on detail, compare and overview.
    public static func bodyHeight(height: Int) -> Int { max(1, height - 3) }
}
