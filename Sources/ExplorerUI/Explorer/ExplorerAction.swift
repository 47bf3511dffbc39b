import SAEKit

/// Everything that can change the explorer's state: user intents (from the key map) and results of
/// effects (loaded data, saved labels).
public enum ExplorerAction: Equatable, ProgramAction {
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
    case beginSearch, beginJump, beginAlphaFilter, beginMinimumActive
    /// Answers the offer to clear the filter and search to show a hidden feature (true: clear and jump).
    case answerHiddenJump(Bool)
    /// Search whole words or anywhere (Tab inside the search prompt).
    case toggleWholeWord
    case randomFeature
    case nextFeature, previousFeature
    case jumpToFeature(Int)
    // Detail, compare and overview
    case scroll(Int)
    case cycleContextWindow
    case nextMatch, previousMatch, swapSides, nextOtherDictionary
    /// Rank matches (compare) or pick pairs (pairs) by the next of decoder, activation, combined.
    case cycleRanking
    /// Focus one side of compare (nil: the other side).
    case focus(Side?)
    /// Open the focused feature's page (compare) or the selected pair in compare (pairs).
    case openSelection
    /// Pairs: look from the other dictionary (B's features and their matches in A).
    case swapPairDirection
    // Labels
    case setVerdict(Verdict?)
    case editLabel(LabelField)
    case undo, redo
    case export
    /// Write the focused feature's contexts to files (text and JSON, as `saex contexts`).
    case copyContexts
    // Prompts
    case edit(EditOp)
    // Results of effects
    case contextsLoaded(FeatureRef, Loaded<FeatureContexts>)
    case sampleLoaded(FeatureRef, Loaded<ActivationSample>)
    case matchesLoaded(MatchKey, Loaded<MatchNeighbourhood>)
    case neighboursLoaded(FeatureRef, Loaded<[FeatureMatch]>)
    case evidenceLoaded(EvidenceKey, Loaded<[TokenContext]>)
    case orderComputed(OrderRequest, [Int32]?)
    case pairTableComputed(PairKey, Loaded<PairTable>)
    case pairOrderComputed(PairOrderRequest, [Int32]?)
    case reportComputed(Loaded<ComparisonReport>)
    case labelSaved(LabelSave, FeatureLabel?)
    case labelSaveFailed(LabelSave, String)
    case showMessage(String, isError: Bool)

    /// True for actions that come from the user (keys), false for results of effects and resizes.
    var isUserIntent: Bool {
        switch self {
        case .resize, .contextsLoaded, .sampleLoaded, .matchesLoaded, .neighboursLoaded, .evidenceLoaded, .orderComputed,
            .pairTableComputed,
            .pairOrderComputed, .reportComputed, .labelSaved, .labelSaveFailed, .showMessage:
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
    /// `key.subject`'s activations on the tokens of `contexts` (`key.anchor`'s top contexts).
    case loadEvidence(EvidenceKey, contexts: [TokenContext])
    /// Order `table`'s features for `request`, with the dictionary's labels at the time asked.
    case computeOrder(OrderRequest, FeatureTable, labels: [Int: FeatureLabel])
    case computePairTable(PairKey, a: FeatureTable, b: FeatureTable)
    case computePairOrder(PairOrderRequest, PairTable, labelsA: [Int: FeatureLabel], labelsB: [Int: FeatureLabel])
    /// The overview's figures, with every rater's labels in the label book.
    case computeReport([FeatureTable])
    case saveLabel(LabelSave)
    case export
    /// Write `ref`'s contexts to files; `header` is their first line.
    case writeContexts(FeatureRef, name: String, header: String)
}
