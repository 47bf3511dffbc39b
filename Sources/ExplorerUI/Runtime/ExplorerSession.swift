import Foundation
import SAEKit

/// How the terminal shows style roles.
public enum ColorMode: String, Sendable, CaseIterable {
    /// 256 colours when the terminal has them, else 8, else monochrome; monochrome when NO_COLOR is set.
    case auto
    case color256
    case color8
    case monochrome
}

/// What the executable passes to `runExplorer`.
public struct ExplorerOptions {
    /// Shown in the title bar.
    public var title: String
    /// Index into `source.dictionaries` of the dictionary the list opens on.
    public var initialDictionary: Int
    /// Feature to select at start (nil: feature 0).
    public var initialFeature: Int?
    public var colorMode: ColorMode
    /// Recorded as `FeatureLabel.author` on labels created in the UI.
    public var author: String
    /// Threshold of the "alpha > value" filter preset.
    public var alphaThreshold: Float
    /// Force ASCII drawing characters (nil: decide from the locale's codeset).
    public var asciiOnly: Bool?
    /// Capacity of each per-feature cache (contexts, samples, matches).
    public var cacheCapacity: Int
    /// Called by the export key; returns the message for the status bar. Nil disables the key.
    public var onExport: (() -> String)?

    public init(title: String = "saex", initialDictionary: Int = 0, initialFeature: Int? = nil, colorMode: ColorMode = .auto,
                author: String = "", alphaThreshold: Float = 1.5, asciiOnly: Bool? = nil, cacheCapacity: Int = 64,
                onExport: (() -> String)? = nil) {
        self.title = title
        self.initialDictionary = initialDictionary
        self.initialFeature = initialFeature
        self.colorMode = colorMode
        self.author = author
        self.alphaThreshold = alphaThreshold
        self.asciiOnly = asciiOnly
        self.cacheCapacity = cacheCapacity
        self.onExport = onExport
    }
}

/// The explorer without a terminal: holds the state, turns keys into actions, runs effects against
/// the source and label book, and renders frames. The ncurses loop and the tests both drive this.
///
/// Effects are queued by `handle`/`send` and run by `runEffects()`, so a frame showing "loading…"
/// can be drawn before a slow load starts.
public final class ExplorerSession {
    public private(set) var state: ExplorerState
    public let source: any FeatureSource
    let book: (any LabelBook)?
    let options: ExplorerOptions
    public var asciiOnly: Bool
    private var pending: [Effect] = []
    private var columns: [Int: StatsColumns] = [:]
    /// Injected clock for label dates (tests pin it).
    public var now: () -> Date = { Date() }

    public init(source: any FeatureSource, labels: (any LabelBook)?, options: ExplorerOptions = ExplorerOptions(),
                size: TerminalSize = TerminalSize(width: 80, height: 24)) {
        self.source = source
        self.book = labels
        self.options = options
        self.asciiOnly = options.asciiOnly ?? false
        state = ExplorerState(title: options.title, dictionaries: source.dictionaries, labels: labels?.allLabels ?? [:],
                              readOnlyLabels: labels == nil, initialDictionary: options.initialDictionary, width: size.width,
                              height: size.height, canExport: options.onExport != nil, alphaThreshold: options.alphaThreshold,
                              cacheCapacity: options.cacheCapacity)
        if let feature = options.initialFeature { send(.jumpToFeature(feature)) }
    }

    /// True once the user asked to quit.
    public var shouldQuit: Bool { state.quitRequested }
    public var hasPendingEffects: Bool { !pending.isEmpty }

    /// Decodes a key through the key map and applies it. A paste outside a prompt counts as typed keys.
    public func handle(_ key: Key) {
        if case .paste(let text) = key, state.input == nil {
            for c in text { handle(.char(c)) }
            return
        }
        if let action = KeyMap.action(for: key, in: state) { send(action) }
    }

    /// Applies an action; its effects are queued.
    public func send(_ action: Action) {
        let (next, effects) = update(state, action)
        state = next
        pending += effects
    }

    /// Runs queued effects (and those they cause) until none remain.
    public func runEffects() {
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            perform(effect)
        }
    }

    /// `handle` then `runEffects`.
    public func press(_ keys: Key...) {
        for k in keys {
            handle(k)
            runEffects()
        }
    }

    public func resize(_ size: TerminalSize) { send(.resize(width: size.width, height: size.height)) }

    /// Renders the current state. If the scrolled body turned out shorter than the scroll offset,
    /// the offset is clamped (the frame already shows the clamped view).
    public func frame() -> ScreenBuffer {
        let buffer = render(state, source: source, size: TerminalSize(width: state.width, height: state.height), asciiOnly: asciiOnly)
        if let limit = buffer.scrollLimit {
            let current = state.showHelp ? state.helpScroll : state.screen == .detail ? state.detailScroll : state.compare?.scroll ?? 0
            if current > limit { send(.clampScroll(limit)) }
        }
        return buffer
    }

    func statsColumns(_ dict: Int) -> StatsColumns {
        if let c = columns[dict] { return c }
        let c = StatsColumns(source: source, dict: dict)
        columns[dict] = c
        return c
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .loadContexts(let ref):
            let result: Loaded<FeatureContexts>
            do { result = .ready(try source.contexts(dict: ref.dict, feature: ref.feature)) } catch { result = .failed(Self.describe(error)) }
            send(.contextsLoaded(ref, result))
        case .loadSample(let ref):
            let result: Loaded<ActivationSample>
            do { result = .ready(try source.sample(dict: ref.dict, feature: ref.feature)) } catch { result = .failed(Self.describe(error)) }
            send(.sampleLoaded(ref, result))
        case .loadMatches(let key):
            let result: Loaded<[FeatureMatch]>
            do { result = .ready(try source.matches(dict: key.ref.dict, feature: key.ref.feature, other: key.other, limit: 10)) } catch {
                result = .failed(Self.describe(error))
            }
            send(.matchesLoaded(key, result))
        case .computeOrder(let request):
            let fingerprint = state.dictionaries[request.dict].fingerprint
            var labels: [Int: FeatureLabel] = [:]
            for (key, label) in state.labels where key.fingerprint == fingerprint { labels[key.feature] = label }
            let order = statsColumns(request.dict).order(request, labels: labels)
            send(.orderComputed(request, order))
        case .computeOverview(let dict):
            send(.overviewComputed(dict, .ready(statsColumns(dict).overview())))
        case .saveLabel(let request):
            guard let book else {
                send(.labelSaveFailed(request, "labels are read-only"))
                return
            }
            let time = now()
            var stored = request.after
            if stored != nil {
                stored?.created = request.before?.created ?? time
                stored?.updated = time
                if stored?.author.isEmpty ?? false { stored?.author = options.author }
            }
            do {
                try book.setLabel(stored, for: request.key)
                send(.labelSaved(request, stored))
            } catch {
                send(.labelSaveFailed(request, Self.describe(error)))
            }
        case .export:
            if let onExport = options.onExport { send(.showMessage(onExport(), isError: false)) }
        case .quit:
            break
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
    }
}
