import Foundation
import SAEKit

/// What the executable passes to `runExplorer`.
public struct ExplorerOptions {
    /// Shown in the title bar.
    public var title: String
    /// Index into `source.dictionaries` of the dictionary the list opens on.
    public var initialDictionary: Int
    /// Feature to open at start (nil: the list at feature 0).
    public var initialFeature: Int?
    public var colorMode: ColorMode
    /// Recorded as `FeatureLabel.author` on labels created in the UI.
    public var author: String
    /// Threshold of the "alpha > value" filter preset (0.5: the paper's threshold).
    public var alphaThreshold: Float
    /// Force ASCII drawing characters (nil: decide from the locale's codeset).
    public var asciiOnly: Bool?
    /// Capacity of each per-feature cache (contexts, samples, matches).
    public var cacheCapacity: Int
    /// Called by the export key; returns the message for the status bar. Nil disables the key.
    public var onExport: (@Sendable () -> String)?
    /// Shown in the status bar when the explorer opens (e.g. a warning about stale labels).
    public var initialMessage: String?
    /// Why labels cannot be edited when no label book is given (e.g. "--read-only").
    public var readOnlyReason: String
    /// Where the copy key (C) writes a feature's contexts; nil disables the key.
    public var contextsFolder: String?

    public init(
        title: String = "saex", initialDictionary: Int = 0, initialFeature: Int? = nil, colorMode: ColorMode = .auto,
        author: String = "", alphaThreshold: Float = 0.5, asciiOnly: Bool? = nil, cacheCapacity: Int = 64,
        onExport: (@Sendable () -> String)? = nil, initialMessage: String? = nil, contextsFolder: String? = nil,
        readOnlyReason: String = "labels are read-only (no label file was given)"
    ) {
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
        self.readOnlyReason = readOnlyReason
        self.contextsFolder = contextsFolder
    }
}

/// Performs the explorer's effects against a feature source and a label book. Source reads run
/// on the worker; label saves and exports on the main thread, in order.
public struct ExplorerEffects: EffectPerformer {
    public typealias P = ExplorerProgram
    public let source: any FeatureSource
    nonisolated(unsafe) let book: (any LabelBook)?
    let author: String
    let onExport: (@Sendable () -> String)?
    /// Where `writeContexts` writes (ExplorerOptions.contextsFolder).
    public var contextsFolder: String?
    /// The clock for label dates (tests pin it).
    public var now: @Sendable () -> Date = { Date() }

    public init(source: any FeatureSource, book: (any LabelBook)?, author: String, onExport: (@Sendable () -> String)?) {
        self.source = source
        self.book = book
        self.author = author
        self.onExport = onExport
    }

    public func runsInBackground(_ effect: ExplorerEffect) -> Bool {
        switch effect {
        case .loadContexts, .loadSample, .loadMatches, .loadNeighbours, .loadEvidence, .computeOrder, .computePairTable, .computePairOrder,
            .computeReport, .writeContexts:
            true
        case .saveLabel, .export: false
        }
    }

    /// A newer order of the same dictionary makes an older one pointless (typing a search).
    public func supersedes(_ newer: ExplorerEffect, _ older: ExplorerEffect) -> Bool {
        switch (newer, older) {
        case (.computeOrder(let a, _, _), .computeOrder(let b, _, _)): return a.dict == b.dict
        case (.computePairOrder(let a, _, _, _), .computePairOrder(let b, _, _, _)): return a.key == b.key
        default: return false
        }
    }

    public func perform(_ effect: ExplorerEffect) -> [ExplorerAction] {
        switch effect {
        case .loadContexts(let ref):
            return [.contextsLoaded(ref, load { try source.contexts(dict: ref.dict, feature: ref.feature) })]
        case .loadSample(let ref):
            return [.sampleLoaded(ref, load { try source.sample(dict: ref.dict, feature: ref.feature) })]
        case .loadMatches(let key):
            return [
                .matchesLoaded(
                    key,
                    load {
                        let lists = try source.matchLists(dict: key.ref.dict, feature: key.ref.feature, other: key.other)
                        var reverse: [Int: FeatureMatchLists] = [:]
                        for m in lists.byDecoderCosine + lists.byActivationCorrelation where reverse[m.feature] == nil {
                            reverse[m.feature] = try source.matchLists(dict: key.other, feature: m.feature, other: key.ref.dict)
                        }
                        return MatchNeighbourhood(feature: key.ref.feature, lists: lists, reverse: reverse)
                    })
            ]
        case .loadNeighbours(let ref):
            return [.neighboursLoaded(ref, load { try source.neighbours(dict: ref.dict, feature: ref.feature, limit: 8) })]
        case .loadEvidence(let key, let contexts):
            return [.evidenceLoaded(key, load { try source.contexts(dict: key.subject.dict, feature: key.subject.feature, at: contexts) })]
        case .computeOrder(let request, let table, let labels):
            return [.orderComputed(request, table.order(request.query, labels: labels))]
        case .computePairTable(let key, let a, let b):
            guard let ab = source.allMatchLists(dict: key.a, other: key.b), let ba = source.allMatchLists(dict: key.b, other: key.a) else {
                return [
                    .pairTableComputed(key, .failed("this source holds no matches between \(a.descriptor.name) and \(b.descriptor.name)"))
                ]
            }
            return [.pairTableComputed(key, .ready(PairTable(a: a, b: b, aToB: ab, bToA: ba, ranking: key.ranking)))]
        case .computePairOrder(let request, let table, let labelsA, let labelsB):
            return [.pairOrderComputed(request, table.order(request.query, labelsA: labelsA, labelsB: labelsB))]
        case .computeReport(let tables):
            return [.reportComputed(.ready(source.comparisonReport(tables: tables, labels: book?.everyLabel)))]
        case .saveLabel(let request):
            return [save(request)] + (book?.takeNotice().map { [.showMessage($0, isError: true)] } ?? [])
        case .export:
            return onExport.map { [.showMessage($0(), isError: false)] } ?? []
        case .writeContexts(let ref, let name, let header):
            guard let folder = contextsFolder else { return [.showMessage("copying contexts is not available here", isError: true)] }
            do {
                let contexts = try source.contexts(dict: ref.dict, feature: ref.feature)
                let base = folder + "/" + Self.fileSafe(name) + "-\(ref.feature).contexts"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try AtomicFile.write(path: base + ".txt", chunks: [Data((contexts.text(header: [header]) + "\n").utf8)])
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try AtomicFile.write(
                    path: base + ".json", chunks: [encoder.encode(ContextsJSON(dictionary: name, feature: ref.feature, contexts))])
                return [.showMessage("wrote \(base).txt and .json", isError: false)]
            } catch {
                return [.showMessage("could not write the contexts: " + Self.describe(error), isError: true)]
            }
        }
    }

    /// A dictionary name as a file name: letters, digits, '-', '_' and '.' kept, the rest '_'.
    static func fileSafe(_ name: String) -> String {
        let kept = name.unicodeScalars.map { s -> Character in
            (CharacterSet.alphanumerics.contains(s) && s.isASCII) || "-_.".unicodeScalars.contains(s) ? Character(s) : "_"
        }
        let text = String(kept).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return text.isEmpty ? "dictionary" : text
    }

    func save(_ request: LabelSave) -> ExplorerAction {
        guard let book else { return .labelSaveFailed(request, "labels are read-only") }
        let time = now()
        var stored = request.after
        if stored != nil {
            stored?.created = request.before?.created ?? time
            stored?.updated = time
            if stored?.author.isEmpty ?? false { stored?.author = author }
            stored?.provenance = .manual  // changed by hand, even if it began as a blind answer
        }
        do {
            try book.setLabel(stored, for: request.key)
            return .labelSaved(request, stored)
        } catch {
            return .labelSaveFailed(request, Self.describe(error))
        }
    }

    func load<V>(_ body: () throws -> V) -> Loaded<V> {
        do { return .ready(try body()) } catch { return .failed(Self.describe(error)) }
    }

    /// The first line of an error's description.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
    }
}

/// The explorer as a `Program`: its state, update, key map and views.
public enum ExplorerProgram: Program {
    public static func update(_ state: inout ExplorerState, _ action: ExplorerAction, effects: inout [ExplorerEffect]) {
        ExplorerReducer.apply(action, to: &state, effects: &effects)
    }

    public static func render(_ state: ExplorerState, size: TerminalSize, asciiOnly: Bool) -> ScreenBuffer {
        ExplorerViews.render(state, size: size, asciiOnly: asciiOnly)
    }

    public static func action(for key: Key, in state: ExplorerState) -> ExplorerAction? { KeyMap.action(for: key, in: state) }
    public static func isEditingText(_ state: ExplorerState) -> Bool { state.input != nil }
    public static var minimumSize: TerminalSize { ExplorerLayout.minimumSize }
}

/// The explorer without a terminal.
public typealias ExplorerSession = ProgramSession<ExplorerProgram, ExplorerEffects>

extension ProgramSession where P == ExplorerProgram, Performer == ExplorerEffects {
    /// A session on `source` with `labels` (nil or read-only: labels cannot change, and the keys say
    /// `options.readOnlyReason`), as `runExplorer` makes one. Every
    /// dictionary's table is read once here.
    public convenience init(
        source: any FeatureSource, labels: (any LabelBook)?, options: ExplorerOptions = ExplorerOptions(),
        size: TerminalSize = TerminalSize(width: 80, height: 24)
    ) {
        let tables = source.dictionaries.indices.map { source.table(dict: $0) }
        var state = ExplorerState(
            title: options.title, tables: tables, labels: labels?.allLabels ?? [:],
            readOnlyReason: labels?.isReadOnly ?? true ? options.readOnlyReason : nil,
            initialDictionary: options.initialDictionary,
            width: size.width, height: size.height, canExport: options.onExport != nil,
            alphaThreshold: options.alphaThreshold, cacheCapacity: options.cacheCapacity)
        state.othersLabels = labels?.othersLabels ?? [:]
        if let text = options.initialMessage { state.message = StatusMessage(text: text, isError: true) }
        var performer = ExplorerEffects(source: source, book: labels, author: options.author, onExport: options.onExport)
        performer.contextsFolder = options.contextsFolder
        state.canCopyContexts = options.contextsFolder != nil
        self.init(state: state, performer: performer, size: size, asciiOnly: options.asciiOnly ?? false)
        if let feature = options.initialFeature {
            send(.jumpToFeature(feature))
            if self.state.selectedFeature?.feature == feature { send(.show(.detail)) }
        }
    }

    public var source: any FeatureSource { performer.source }
}
