import Foundation
import SAEKit

/// The blind A/B screen without a terminal: holds the state, turns keys into actions, runs effects
/// against the cache and the blind session, and renders frames. `runBlindSession` and the tests
/// both drive it.
///
/// It is the only place that maps an item id to its (dictionary, feature), through
/// `BlindSession.target(of:)`, and only to read the item's contexts; the state and the renderer
/// never see the result. Effects run on the calling thread (a cache's contexts take milliseconds),
/// after the frame that shows "loading…" has been drawn.
public final class BlindLabellingSession {
    public private(set) var state: BlindState
    let source: any FeatureSource
    let session: BlindSession
    /// Source dictionary index of the session's dictionary 0 and 1 (matched by fingerprint).
    let sourceIndex: [Int]
    public var asciiOnly: Bool
    private var pending: [BlindEffect] = []
    /// Injected clock for answer times (tests pin it).
    public var now: () -> Date = { Date() }

    /// Fails when a dictionary of the session is not in `source` (another cache, or a rebuilt one).
    public init(source: any FeatureSource, session: BlindSession, size: TerminalSize = TerminalSize(width: 80, height: 24),
                asciiOnly: Bool = false) throws {
        var index: [Int] = []
        for d in session.dictionaries {
            guard let i = source.dictionaries.firstIndex(where: { $0.fingerprint == d.fingerprint }) else {
                throw SAEKitError(.badInput, path: session.directory, subject: d.name,
                                  reason: "this dictionary of the blind session is not in the cache (fingerprint \(d.fingerprint))",
                                  remedy: "open the session with the cache it was made from")
            }
            index.append(i)
        }
        self.source = source
        self.session = session
        self.sourceIndex = index
        self.asciiOnly = asciiOnly
        var answers: [String: BlindDraft] = [:]
        for id in session.order {
            if let a = session.answer(for: id) { answers[id] = BlindDraft(id: id, rating: a.rating, verdict: a.verdict, concept: a.concept) }
        }
        state = BlindState(order: session.order, answers: answers, width: size.width, height: size.height)
        send(.start)
    }

    public var shouldQuit: Bool { state.quitRequested }
    public var hasPendingEffects: Bool { !pending.isEmpty }

    /// Decodes a key through `BlindKeyMap` and applies it. A paste outside the prompt counts as typed keys.
    public func handle(_ key: Key) {
        if case .paste(let text) = key, state.conceptEditor == nil {
            for k in Key.typedKeys(fromPaste: text) { handle(k) }
            return
        }
        if let action = BlindKeyMap.action(for: key, in: state) { send(action) }
    }

    /// Applies an action; its effects are queued for `runEffects`.
    public func send(_ action: BlindAction) {
        let (next, effects) = updateBlind(state, action)
        state = next
        pending += effects
    }

    /// Runs queued effects (and those they cause) until none remain.
    public func runEffects() {
        while !pending.isEmpty { perform(pending.removeFirst()) }
    }

    /// `handle` then `runEffects`, for each key.
    public func press(_ keys: Key...) {
        for k in keys {
            handle(k)
            runEffects()
        }
    }

    public func resize(_ size: TerminalSize) { send(.resize(width: size.width, height: size.height)) }

    /// Renders the current state, clamping the scroll offset when the body turned out shorter.
    public func frame() -> ScreenBuffer {
        let buffer = renderBlind(state, size: TerminalSize(width: state.width, height: state.height), asciiOnly: asciiOnly)
        if let limit = buffer.scrollLimit {
            let current = state.showHelp ? state.helpScroll : state.screen == .report ? state.reportScroll : state.scroll
            if current > limit { send(.clampScroll(limit)) }
        }
        return buffer
    }

    private func perform(_ effect: BlindEffect) {
        switch effect {
        case .loadContexts(let id):
            guard let target = session.target(of: id), sourceIndex.indices.contains(target.dictionary) else {
                send(.contextsLoaded(id, .failed("the session's key has no such item")))
                return
            }
            do {
                send(.contextsLoaded(id, .ready(try source.contexts(dict: sourceIndex[target.dictionary], feature: target.feature))))
            } catch {
                // The error may name the dictionary or the feature: say only that reading failed.
                send(.contextsLoaded(id, .failed("the cache could not be read for this item")))
            }
        case .record(let request):
            let answer = BlindAnswer(id: request.id, rating: request.rating, verdict: request.verdict, concept: request.concept, answered: now())
            do {
                try session.record(answer)
                send(.answerSaved(request))
            } catch {
                send(.answerSaveFailed(request, ExplorerSession.describe(error)))
            }
        case .computeReport:
            send(.reportReady(session.report().text))
        case .quit:
            break
        }
    }
}
