import Foundation
import SAEKit

/// Performs the blind screen's effects against the cache and the blind session.
///
/// It is the only place that maps an item id to its (dictionary, feature), through
/// `BlindSession.target(of:)`, and only to read the item's contexts; the state and the views never
/// see the result. Everything runs on the calling thread, after the frame that shows "loading…"
/// (a cache's contexts take milliseconds; answers must be on disk before they show as saved).
public struct BlindEffects: EffectPerformer {
    public typealias P = BlindProgram
    let source: any FeatureSource
    let session: BlindSession
    /// Source dictionary index of the session's dictionary 0 and 1 (matched by fingerprint).
    let sourceIndex: [Int]
    /// The clock for answer times (tests pin it).
    public var now: @Sendable () -> Date = { Date() }

    /// Fails when a dictionary of the session is not in `source` (another cache, or a rebuilt one).
    public init(source: any FeatureSource, session: BlindSession) throws {
        var index: [Int] = []
        for d in session.dictionaries {
            guard let i = source.dictionaries.firstIndex(where: { $0.fingerprint == d.fingerprint }) else {
                throw SAEKitError(
                    .badInput, path: session.directory, subject: d.name,
                    reason: "this dictionary of the blind session is not in the cache (fingerprint \(d.fingerprint))",
                    remedy: "open the session with the cache it was made from")
            }
            index.append(i)
        }
        self.source = source
        self.session = session
        self.sourceIndex = index
    }

    public func perform(_ effect: BlindEffect) -> [BlindAction] {
        switch effect {
        case .loadContexts(let id):
            guard let target = session.target(of: id), sourceIndex.indices.contains(target.dictionary) else {
                return [.contextsLoaded(id, .failed("the session's key has no such item"))]
            }
            do {
                return [.contextsLoaded(id, .ready(try source.contexts(dict: sourceIndex[target.dictionary], feature: target.feature)))]
            } catch {
                // The error may name the dictionary or the feature: say only that reading failed.
                return [.contextsLoaded(id, .failed("the cache could not be read for this item"))]
            }
        case .record(let request):
            let answer = BlindAnswer(
                id: request.id, rating: request.rating, verdict: request.verdict, concept: request.concept, answered: now())
            do {
                try session.record(answer)
                return [.answerSaved(request)]
            } catch {
                return [.answerSaveFailed(request, ExplorerEffects.describe(error))]
            }
        case .computeReport:
            return [.reportReady(session.report().text)]
        }
    }
}

/// The blind A/B screen as a `Program`.
public enum BlindProgram: Program {
    public static func update(_ state: inout BlindState, _ action: BlindAction, effects: inout [BlindEffect]) {
        BlindReducer.apply(action, to: &state, effects: &effects)
    }

    public static func render(_ state: BlindState, size: TerminalSize, asciiOnly: Bool) -> ScreenBuffer {
        BlindView.render(state, size: size, asciiOnly: asciiOnly)
    }

    public static func action(for key: Key, in state: BlindState) -> BlindAction? { BlindKeyMap.action(for: key, in: state) }
    public static func isEditingText(_ state: BlindState) -> Bool { state.conceptEditor != nil }
    public static var minimumSize: TerminalSize { ExplorerLayout.minimumSize }
}

/// The blind screen without a terminal.
public typealias BlindLabellingSession = ProgramSession<BlindProgram, BlindEffects>

extension ProgramSession where P == BlindProgram, Performer == BlindEffects {
    /// A session on `session`'s items, reading contexts from `source`; opens on the first
    /// unanswered item. Fails when a dictionary of the session is not in `source`.
    public convenience init(
        source: any FeatureSource, session: BlindSession, size: TerminalSize = TerminalSize(width: 80, height: 24),
        asciiOnly: Bool = false
    ) throws {
        var answers: [String: BlindDraft] = [:]
        for id in session.order {
            if let a = session.answer(for: id) {
                answers[id] = BlindDraft(id: id, rating: a.rating, verdict: a.verdict, concept: a.concept)
            }
        }
        let state = BlindState(order: session.order, answers: answers, width: size.width, height: size.height)
        self.init(state: state, performer: try BlindEffects(source: source, session: session), size: size, asciiOnly: asciiOnly)
        send(.start)
    }
}
