import SAEKit

/// The blind A/B screen's two views: one item at a time, then the report.
public enum BlindScreen: Equatable, Sendable {
    case item, report
}

/// An answer as the blind screen holds it: the rating may still be missing while it is a draft.
/// It names the item by its opaque id only, never by dictionary or feature.
public struct BlindDraft: Equatable, Sendable {
    public var id: String
    public var rating: Rating?
    public var verdict: Verdict?
    public var concept: String = ""
}

/// A request to record an answer durably; `advance` moves on to the next unanswered item once saved.
public struct BlindSave: Equatable, Sendable {
    public var id: String
    public var rating: Rating
    public var verdict: Verdict?
    public var concept: String
    public var advance: Bool

    var draft: BlindDraft { BlindDraft(id: id, rating: rating, verdict: verdict, concept: concept) }
}

/// Everything the blind A/B screen shows, as a value (`updateBlind` makes the next one).
///
/// It knows items only by their opaque ids: which dictionary and feature an item is stays in the
/// runtime, which uses it to fetch contexts. `answers` holds only answers the session confirmed
/// as recorded on disk; `draft` is what the rater is composing for the current item.
public struct BlindState: Equatable, Sendable {
    /// Item ids in blind order.
    public let order: [String]
    /// Recorded answers (rating always set), by item id.
    public var answers: [String: BlindDraft]
    /// Unsaved drafts of items the rater left, kept so moving around loses nothing.
    public var drafts: [String: BlindDraft] = [:]
    /// Index into `order` of the item shown.
    public var position: Int
    public var draft: BlindDraft
    public var screen: BlindScreen = .item
    /// The open concept prompt, if any.
    public var conceptEditor: LineEditor?
    /// The answer being recorded (keys that change answers wait for it).
    public var saving: BlindSave?
    public var contexts: LRUCache<String, Loaded<FeatureContexts>>
    public var scroll = 0
    public var window: ContextWindow = .sixteen
    /// The report text (from the runtime) once every item is answered.
    public var report: Loaded<String>?
    public var reportScroll = 0
    public var showHelp = false
    public var helpScroll = 0
    public var message: StatusMessage?
    public var width: Int
    public var height: Int
    public var quitRequested = false

    /// `answers` are the session's recorded answers; the screen opens on the first unanswered item
    /// once it receives `.start`.
    public init(order: [String], answers: [String: BlindDraft], width: Int = 80, height: Int = 24, cacheCapacity: Int = 16) {
        self.order = order
        self.answers = answers.filter { order.contains($0.key) }
        self.width = width
        self.height = height
        self.contexts = LRUCache(capacity: cacheCapacity)
        position = order.firstIndex { answers[$0] == nil } ?? max(0, order.count - 1)
        draft = order.isEmpty ? BlindDraft(id: "") : answers[order[position]] ?? BlindDraft(id: order[position])
    }

    public var total: Int { order.count }
    public var answeredCount: Int { answers.count }
    public var isComplete: Bool { answers.count == order.count }

    /// The id of the item shown, nil when the session has no items.
    public var currentID: String? { order.indices.contains(position) ? order[position] : nil }

    /// The current item's recorded answer, if any.
    public var currentAnswer: BlindDraft? { currentID.flatMap { answers[$0] } }

    /// The first unanswered position after `position`, wrapping around; nil when all are answered.
    public func nextUnanswered(after position: Int) -> Int? {
        guard !order.isEmpty else { return nil }
        for step in 1...order.count {
            let i = (position + step) % order.count
            if answers[order[i]] == nil { return i }
        }
        return nil
    }

    /// The first unanswered position in blind order (where a resumed session opens).
    public var firstUnanswered: Int? { order.firstIndex { answers[$0] == nil } }
}

/// Geometry of the blind screen, shared by update (page sizes, scroll limits) and render.
public enum BlindLayout {
    /// Title and progress (row 0), the answer panel (rows 1-3) and a rule (row 4) sit above the contexts.
    public static let bodyTop = 5
    /// Rows of scrolled contexts: everything between the rule and the hint and status rows.
    public static func bodyHeight(height: Int) -> Int { max(1, height - bodyTop - 2) }
    /// Rows of the scrolled report: everything between the title and the hint and status rows.
    public static func reportHeight(height: Int) -> Int { max(1, height - 3) }
}

extension BlindState: ProgramChrome {}
