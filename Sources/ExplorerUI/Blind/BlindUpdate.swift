import Foundation
import SAEKit

/// The blind screen's only state transition: pure, like the explorer's. Recording answers and
/// loading contexts are returned as effects; the screen shows an answer as saved only after
/// `.answerSaved`.
enum BlindReducer {
    static func apply(_ action: BlindAction, to s: inout BlindState, effects: inout [BlindEffect]) {
        if action.isUserIntent { s.message = nil }
        switch action {
        case .start:
            if let first = s.firstUnanswered {
                go(to: first, &s, &effects)
            } else {
                showReport(&s, &effects)
            }
        case .quit:
            s.quitRequested = true
        case .toggleHelp:
            s.toggleHelp()
        case .helpScroll(let d):
            s.scrollHelp(by: d, limit: BlindView.helpScrollLimit(s))
        case .resize(let w, let h):
            s.resize(width: w, height: h)
        case .disabled(let reason):
            s.message = StatusMessage(text: reason, isError: true)
        case .rate(let rating):
            guard s.screen == .item, s.saving == nil, let id = s.currentID else { return }
            s.draft.rating = rating
            save(BlindSave(id: id, rating: rating, verdict: s.draft.verdict, concept: s.draft.concept, advance: true), &s, &effects)
        case .setVerdict(let verdict):
            guard s.screen == .item, s.saving == nil else { return }
            s.draft.verdict = verdict
            commitOrKeepDraft(&s, &effects)
        case .editConcept:
            guard s.screen == .item, s.saving == nil else { return }
            s.conceptEditor = LineEditor(s.draft.concept)
        case .edit(let op):
            edit(op, &s, &effects)
        case .previousItem:
            if s.screen == .report {
                guard !s.order.isEmpty else { return }
                s.screen = .item
                go(to: s.order.count - 1, &s, &effects)
                return
            }
            guard s.position > 0 else {
                s.message = StatusMessage(text: "this is the first item", isError: false)
                return
            }
            go(to: s.position - 1, &s, &effects)
        case .nextItem:
            guard s.screen == .item else { return }
            guard s.position + 1 < s.order.count else {
                s.message = StatusMessage(
                    text: s.isComplete ? "this is the last item" : "this is the last item; u goes to the first unanswered one",
                    isError: false)
                return
            }
            go(to: s.position + 1, &s, &effects)
        case .firstUnanswered:
            guard let first = s.firstUnanswered else {
                s.message = StatusMessage(text: "every item is answered", isError: false)
                return
            }
            s.screen = .item
            go(to: first, &s, &effects)
        case .scroll(let d):
            scroll(by: d, &s)
        case .page(let n):
            let rows = s.screen == .report ? BlindLayout.reportHeight(height: s.height) : BlindLayout.bodyHeight(height: s.height)
            scroll(by: n &* rows, &s)
        case .top:
            if s.screen == .report { s.reportScroll = 0 } else { s.scroll = 0 }
        case .cycleContextWindow:
            s.window = s.window.next
        case .contextsLoaded(let id, let value):
            s.contexts.insert(value, for: id)
        case .answerSaved(let request):
            s.saving = nil
            s.answers[request.id] = request.draft
            s.drafts[request.id] = nil
            if s.currentID == request.id { s.draft = request.draft }
            s.message = StatusMessage(text: "answer saved (\(s.answeredCount)/\(s.total))", isError: false)
            guard request.advance, s.currentID == request.id else { return }
            if let next = s.nextUnanswered(after: s.position) {
                go(to: next, &s, &effects)
            } else {
                showReport(&s, &effects)
            }
        case .answerSaveFailed(_, let error):
            s.saving = nil
            s.message = StatusMessage(text: "answer NOT saved: \(error)", isError: true)
        case .reportReady(let text):
            s.report = .ready(text)
        }
    }

    /// Shows the item at `position`, keeping the draft of the item left, and loads its contexts
    /// (and prefetches the next item's).
    static func go(to position: Int, _ s: inout BlindState, _ effects: inout [BlindEffect]) {
        guard s.order.indices.contains(position) else { return }
        if let id = s.currentID, !s.draft.id.isEmpty {
            s.drafts[id] = s.draft == (s.answers[id] ?? BlindDraft(id: id)) ? nil : s.draft
        }
        s.position = position
        s.scroll = 0
        s.conceptEditor = nil
        let id = s.order[position]
        s.draft = s.drafts[id] ?? s.answers[id] ?? BlindDraft(id: id)
        request(id, &s, &effects)
        if position + 1 < s.order.count { request(s.order[position + 1], &s, &effects) }
    }

    static func request(_ id: String, _ s: inout BlindState, _ effects: inout [BlindEffect]) {
        s.contexts.request(id, .loadContexts(id), into: &effects)
    }

    static func showReport(_ s: inout BlindState, _ effects: inout [BlindEffect]) {
        s.screen = .report
        s.reportScroll = 0
        s.conceptEditor = nil
        s.report = .loading
        effects.append(.computeReport)
    }

    static func scroll(by d: Int, _ s: inout BlindState) {
        let limit = BlindView.scrollLimit(s)
        if s.screen == .report {
            s.reportScroll = Scrolling.offset(s.reportScroll, by: d, limit: limit)
        } else {
            s.scroll = Scrolling.offset(s.scroll, by: d, limit: limit)
        }
    }

    static func save(_ request: BlindSave, _ s: inout BlindState, _ effects: inout [BlindEffect]) {
        s.saving = request
        s.message = StatusMessage(text: "saving the answer…", isError: false)
        effects.append(.record(request))
    }

    /// A verdict or concept change is saved at once when the item already has a recorded answer;
    /// otherwise it stays a draft until a rating key records the whole answer.
    static func commitOrKeepDraft(_ s: inout BlindState, _ effects: inout [BlindEffect]) {
        guard let id = s.currentID else { return }
        if let saved = s.answers[id], let rating = s.draft.rating ?? saved.rating {
            guard s.draft != saved else { return }
            save(BlindSave(id: id, rating: rating, verdict: s.draft.verdict, concept: s.draft.concept, advance: false), &s, &effects)
        } else {
            s.message = StatusMessage(text: "draft: y, m or n records the answer", isError: false)
        }
    }

    static func edit(_ op: EditOp, _ s: inout BlindState, _ effects: inout [BlindEffect]) {
        guard var editor = s.conceptEditor else { return }
        switch editor.apply(op) {
        case .edited:
            s.conceptEditor = editor
        case .cancelled:
            s.conceptEditor = nil
        case .submitted:
            s.conceptEditor = nil
            s.draft.concept = editor.text.trimmingCharacters(in: .whitespacesAndNewlines)
            commitOrKeepDraft(&s, &effects)
        }
    }
}
