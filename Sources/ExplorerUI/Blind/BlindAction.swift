import SAEKit

/// Everything that can change the blind screen: the rater's intents (from `BlindKeyMap`) and the
/// results of effects (contexts loaded, answers recorded, the report computed).
public enum BlindAction: Equatable, ProgramAction {
    /// Opens the first unanswered item (or the report when none is left) and loads what it needs.
    case start
    case quit
    case toggleHelp
    case helpScroll(Int)
    case resize(width: Int, height: Int)
    /// A key whose binding is disabled: shows the reason.
    case disabled(String)
    // Answering
    case rate(Rating)
    case setVerdict(Verdict?)
    case editConcept
    case edit(EditOp)
    // Moving
    case previousItem, nextItem, firstUnanswered
    case scroll(Int)
    /// Scrolls by `n` pages (negative: up).
    case page(Int)
    case top
    case cycleContextWindow
    // Results of effects
    case contextsLoaded(String, Loaded<FeatureContexts>)
    case answerSaved(BlindSave)
    case answerSaveFailed(BlindSave, String)
    case reportReady(String)

    /// True for the rater's own actions, false for results of effects and resizes.
    var isUserIntent: Bool {
        switch self {
        case .start, .resize, .contextsLoaded, .answerSaved, .answerSaveFailed, .reportReady: false
        default: true
        }
    }
}

/// Work `updateBlind` asks the runtime to do; each produces a result action.
public enum BlindEffect: Equatable, Sendable {
    /// Fetch the contexts of an item (the runtime maps the id to its feature; never shown).
    case loadContexts(String)
    /// Record an answer through the blind session (durable when `.answerSaved` arrives).
    case record(BlindSave)
    case computeReport
}
