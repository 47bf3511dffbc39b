import SAEKit

/// Operations on an open text prompt.
public enum EditOp: Equatable, Sendable {
    case insert(String)
    case backspace, deleteForward, left, right, home, end, killToStart, killToEnd
    case submit, cancel
}

/// Everything that can change the explorer's state: user intents (from the key map) and results of
/// effects (loaded data, saved labels).
public enum Action: Equatable, Sendable {
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
    case sortBy(SortColumn)
    case nextFilter, previousFilter
    case setFilter(FilterPreset)
    case beginSearch, beginJump, beginAlphaFilter
    case randomFeature
    case nextFeature, previousFeature
    case jumpToFeature(Int)
    // Detail and compare
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
    case overviewComputed(Int, Loaded<OverviewData>)
    case labelSaved(LabelSave, FeatureLabel?)
    case labelSaveFailed(LabelSave, String)
    case showMessage(String, isError: Bool)
    /// The renderer found the scrolled body shorter than the offset: clamp it.
    case clampScroll(Int)
}

/// Work `update` asks the runtime to do; each produces a result action later.
public enum Effect: Equatable, Sendable {
    case loadContexts(FeatureRef)
    case loadSample(FeatureRef)
    case loadMatches(MatchKey)
    case loadNeighbours(FeatureRef)
    case computeOrder(OrderRequest)
    case computeOverview(Int)
    case saveLabel(LabelSave)
    case export
    case quit
}
