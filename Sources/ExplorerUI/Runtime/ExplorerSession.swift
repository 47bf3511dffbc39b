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

    /// Shown in the status bar when the explorer opens (e.g. a warning about stale labels).
    public var initialMessage: String?

    public init(title: String = "saex", initialDictionary: Int = 0, initialFeature: Int? = nil, colorMode: ColorMode = .auto,
                author: String = "", alphaThreshold: Float = 1.5, asciiOnly: Bool? = nil, cacheCapacity: Int = 64,
                onExport: (() -> String)? = nil, initialMessage: String? = nil) {
        self.initialMessage = initialMessage
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
    private let columns = ColumnsCache()
    /// Set by `runInBackground()`: source reads then run on a worker thread.
    private var worker: EffectWorker?
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
        if let text = options.initialMessage { state.message = StatusMessage(text: text, isError: true) }
    }

    /// True once the user asked to quit.
    public var shouldQuit: Bool { state.quitRequested }
    public var hasPendingEffects: Bool { !pending.isEmpty }

    /// Decodes a key through the key map and applies it. A paste outside a prompt counts as typed keys.
    public func handle(_ key: Key) {
        if case .paste(let text) = key, state.input == nil {
            for k in Key.typedKeys(fromPaste: text) { handle(k) }
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

    /// Runs queued effects (and those they cause) until none remain. With a background worker,
    /// source reads are handed to it instead and their results arrive through `collectResults()`.
    public func runEffects() {
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            if let worker, Self.readsSource(effect) {
                worker.submit(effect, labels: labelsByFeature(effect))
            } else {
                perform(effect)
            }
        }
    }

    /// From now on, read the source on a background thread so keys stay responsive during slow loads.
    public func runInBackground() {
        if worker == nil { worker = EffectWorker(source: source, columns: columns) }
    }

    /// True while the background worker has work queued or running, or results not yet collected.
    public var isWorking: Bool { worker.map { $0.busy || $0.hasResults } ?? false }

    /// Applies results the background worker finished since the last call; returns how many.
    @discardableResult
    public func collectResults() -> Int {
        guard let worker else { return 0 }
        let results = worker.drain()
        for action in results { send(action) }
        return results.count
    }

    /// Waits (for tests) until the worker is idle, applying results and running the effects they cause.
    public func settle() {
        runEffects()
        while isWorking || hasPendingEffects {
            if collectResults() == 0 { worker?.waitBriefly() }
            runEffects()
        }
    }

    static func readsSource(_ effect: Effect) -> Bool {
        switch effect {
        case .loadContexts, .loadSample, .loadMatches, .loadNeighbours, .computeOrder, .computeOverview: true
        case .saveLabel, .export, .quit: false
        }
    }

    /// Saved labels of the order request's dictionary, by feature (a snapshot for the worker).
    private func labelsByFeature(_ effect: Effect) -> [Int: FeatureLabel] {
        guard case .computeOrder(let request) = effect else { return [:] }
        let fingerprint = state.dictionaries[request.dict].fingerprint
        var labels: [Int: FeatureLabel] = [:]
        for (key, label) in state.labels where key.fingerprint == fingerprint { labels[key.feature] = label }
        return labels
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

    private func perform(_ effect: Effect) {
        switch effect {
        case .loadContexts, .loadSample, .loadMatches, .loadNeighbours, .computeOrder, .computeOverview:
            if let action = Self.work(effect, source: source, columns: columns, labels: labelsByFeature(effect)) { send(action) }
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

    /// The source-reading effects, runnable on any thread.
    static func work(_ effect: Effect, source: any FeatureSource, columns: ColumnsCache, labels: [Int: FeatureLabel]) -> Action? {
        switch effect {
        case .loadContexts(let ref):
            do { return .contextsLoaded(ref, .ready(try source.contexts(dict: ref.dict, feature: ref.feature))) } catch {
                return .contextsLoaded(ref, .failed(describe(error)))
            }
        case .loadSample(let ref):
            do { return .sampleLoaded(ref, .ready(try source.sample(dict: ref.dict, feature: ref.feature))) } catch {
                return .sampleLoaded(ref, .failed(describe(error)))
            }
        case .loadMatches(let key):
            do { return .matchesLoaded(key, .ready(try source.matches(dict: key.ref.dict, feature: key.ref.feature, other: key.other, limit: 10))) } catch {
                return .matchesLoaded(key, .failed(describe(error)))
            }
        case .loadNeighbours(let ref):
            do { return .neighboursLoaded(ref, .ready(try source.neighbours(dict: ref.dict, feature: ref.feature, limit: 8))) } catch {
                return .neighboursLoaded(ref, .failed(describe(error)))
            }
        case .computeOrder(let request):
            return .orderComputed(request, columns.get(request.dict, source: source).order(request, labels: labels))
        case .computeOverview(let dict):
            return .overviewComputed(dict, .ready(columns.get(dict, source: source).overview()))
        case .saveLabel, .export, .quit:
            return nil
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
    }
}
