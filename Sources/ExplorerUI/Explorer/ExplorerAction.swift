import SAEKit

/// Everything that can change the explorer's state: user intents (from the key map) and results of
/// effects (loaded data, saved labels).
public enum ExplorerAction: Equatable, Sendable {
    // Global
    case quit
    case toggleHelp
    case helpScroll(Int)
    case back
    case show(Screen)
    case resize(width: Int, height: Int)
    /// A key whose binding is disabled: shows the reason.
    case disabled(String)
    // List and navigation
    case move(Int)
    case pageUp, pageDown, home, end
    case nextDictionary
    case cycleSort, reverseSort
    case sortBy(FeatureColumn)
    case nextFilter, previousFilter
    case setFilter(FeatureFilter)
    case beginSearch, beginJump, beginAlphaFilter
    /// Search whole words or anywhere (Tab inside the search prompt).
    case toggleWholeWord
    case randomFeature
    case nextFeature, previousFeature
    case jumpToFeature(Int)
    // Detail, compare and overview
    case scroll(Int)
    case cycleContextWindow
    case nextMatch, previousMatch, swapSides, nextOtherDictionary
    // Labels
    case setVerdict(Verdict?)
    case editLabel(LabelField)
    case undo, redo
    case export
    // Prompts
    case edit(EditOp)
    // Results of effects
    case contextsLoaded(FeatureRef, Loaded<FeatureContexts>)
    case sampleLoaded(FeatureRef, Loaded<ActivationSample>)
    case matchesLoaded(MatchKey, Loaded<[FeatureMatch]>)
    case neighboursLoaded(FeatureRef, Loaded<[FeatureMatch]>)
    case orderComputed(OrderRequest, [Int32]?)
    case summaryComputed(Int, Loaded<DictionarySummary>)
    case labelSaved(LabelSave, FeatureLabel?)
    case labelSaveFailed(LabelSave, String)
    case showMessage(String, isError: Bool)

    /// True for actions that come from the user (keys), false for results of effects and resizes.
    var isUserIntent: Bool {
        switch self {
        case .resize, .contextsLoaded, .sampleLoaded, .matchesLoaded, .neighboursLoaded, .orderComputed, .summaryComputed, .labelSaved,
             .labelSaveFailed, .showMessage:
            false
        default:
            true
        }
    }
}

/// Work the explorer's update asks for; `ExplorerEffects` performs it and answers with actions.
/// Each effect carries what it needs (a table, a labels snapshot), so the performer holds no
/// reference to the state.
public enum ExplorerEffect: Equatable, Sendable {
    case loadContexts(FeatureRef)
    case loadSample(FeatureRef)
    case loadMatches(MatchKey)
    case loadNeighbours(FeatureRef)
    /// Order `table`'s features for `request`, with the dictionary's labels at the time asked.
    case computeOrder(OrderRequest, FeatureTable, labels: [Int: FeatureLabel])
    case computeSummary(Int, FeatureTable)
    case saveLabel(LabelSave)
    case export
}
