import Foundation
import Testing
@testable import ExplorerUI
import SAEKit
import SAEKitTestSupport

@Suite struct UpdateTests {
    func state(count: Int = 1000, readOnly: Bool = false, dictionaries: Int = 2) -> ExplorerState {
        explorerState(
            SyntheticFeatureSource(featureCount: count, dictionaryNames: Array(["a", "b", "c"].prefix(dictionaries))), readOnly: readOnly)
    }

    func order(_ s: ExplorerState) -> ExplorerEffect {
        .computeOrder(s.currentOrderRequest, s.tables[s.dict], labels: s.labelsByFeature(s.dict))
    }

    @Test func navigationIsPureAndHasNoEffects() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, effects) = update(s, .move(3))
        #expect(s.list.selected == 3 && effects.isEmpty)
        (s, effects) = update(s, .pageDown)
        #expect(s.list.selected == 23 && s.list.top == 20)  // viewport 20 at height 24
        (s, _) = update(s, .end)
        #expect(s.selectedFeature == FeatureRef(dict: 0, feature: 999))
        (s, _) = update(s, .home)
        #expect(s.list.selected == 0)
    }

    @Test func openingDetailRequestsContextsAndSampleOnce() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, effects) = update(s, .show(.detail))
        #expect(s.screen == .detail && s.detail?.followsList == true)
        #expect(
            effects == [
                .loadContexts(FeatureRef(dict: 0, feature: 0)), .loadSample(FeatureRef(dict: 0, feature: 0)),
                .loadNeighbours(FeatureRef(dict: 0, feature: 0))
            ])
        (s, _) = update(s, .contextsLoaded(FeatureRef(dict: 0, feature: 0), .ready(.empty)))
        (s, effects) = update(s, .nextFeature)
        #expect(
            effects == [
                .loadContexts(FeatureRef(dict: 0, feature: 1)), .loadSample(FeatureRef(dict: 0, feature: 1)),
                .loadNeighbours(FeatureRef(dict: 0, feature: 1))
            ])
        (s, effects) = update(s, .previousFeature)
        #expect(effects.isEmpty)  // both cached (sample still loading counts as requested)
        (s, _) = update(s, .back)
        #expect(s.screen == .list)
    }

    @Test func contextCacheIsBounded() {
        var s = explorerState(SyntheticFeatureSource(featureCount: 100), readOnly: true, cacheCapacity: 4)
        for f in 0..<10 { (s, _) = update(s, .contextsLoaded(FeatureRef(dict: 0, feature: f), .ready(.empty))) }
        #expect(s.contexts.count == 4)
        #expect(s.contexts.peek(FeatureRef(dict: 0, feature: 9)) != nil)
        #expect(s.contexts.peek(FeatureRef(dict: 0, feature: 0)) == nil)
    }

    @Test func sortAndFilterAskForAnOrderAndDropStaleResults() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, effects) = update(s, .sortBy(.alpha))
        let first = OrderRequest(dict: 0, query: FeatureQuery(sort: .alpha, descending: true))  // scores start highest first
        #expect(effects == [order(s)] && s.currentOrderRequest == first && s.orderPending)
        (s, effects) = update(s, .sortBy(.alpha))
        #expect(s.query.sort == .alpha && !s.query.descending)
        (s, _) = update(s, .orderComputed(first, [5, 4, 3]))  // stale: ignored
        #expect(s.order == nil && s.list.count == 1000)
        let current = s.currentOrderRequest
        (s, _) = update(s, .orderComputed(current, [5, 4, 3]))
        #expect(s.order == [5, 4, 3] && s.list.count == 3 && !s.orderPending)
        #expect(s.selectedFeature?.feature == 5)
        (s, effects) = update(s, .setFilter(.dead))
        #expect(s.currentOrderRequest == OrderRequest(dict: 0, query: FeatureQuery(filter: .dead, sort: .alpha)) && effects == [order(s)])
    }

    /// A movement made while the new order is still being computed is about rows, not features:
    /// `s` then `g` selects the top of the new order, where without the `g` the feature stays.
    @Test func aMoveWhileSortingKeepsTheRowNotTheFeature() {
        var s = state()
        (s, _) = update(s, .move(7))
        (s, _) = update(s, .sortBy(.alpha))
        let request = s.currentOrderRequest
        let newOrder = (0..<1000).reversed().map { Int32($0) }
        let (kept, _) = update(s, .orderComputed(request, newOrder))
        #expect(kept.selectedFeature?.feature == 7 && kept.list.selected == 992, "no move: the feature stays selected")
        (s, _) = update(s, .home)
        (s, _) = update(s, .orderComputed(request, newOrder))
        #expect(s.list.selected == 0 && s.selectedFeature?.feature == 999, "g while sorting: the top of the new order")
        (s, _) = update(s, .sortBy(.alpha))
        (s, _) = update(s, .orderComputed(s.currentOrderRequest, newOrder.reversed()))
        #expect(s.selectedFeature?.feature == 999, "the flag is spent once the order arrives")
    }

    @Test func backToIdentityOrderNeedsNoWork() {
        var s = state()
        (s, _) = update(s, .reverseSort)
        let req = s.currentOrderRequest
        (s, _) = update(s, .orderComputed(req, (0..<1000).reversed().map { Int32($0) }))
        #expect(s.selectedFeature?.feature == 0, "the selected feature survives a re-order")
        (s, _) = update(s, .home)
        (s, _) = update(s, .move(10))
        #expect(s.selectedFeature?.feature == 989)
        let (t, effects) = update(s, .reverseSort)
        #expect(effects.isEmpty && t.order == nil && t.selectedFeature?.feature == 989)
    }

    @Test func filterCycleVisitsEveryPreset() {
        var s = state()
        var seen: [FeatureFilter] = []
        for _ in 0..<FilterPresets.cycle(alphaThreshold: 0.5).count {
            (s, _) = update(s, .nextFilter)
            seen.append(s.query.filter)
        }
        #expect(seen.last == .all)
        #expect(seen.contains(.verdict(.normDetector)) && seen.contains(.alphaAbove(0.5)) && seen.contains(.unlabelled))
        (s, _) = update(s, .previousFilter)
        #expect(s.query.filter == .alphaAbove(0.5))
    }

    @Test func incrementalSearchRecomputesOnEachKeyAndEscClears() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, _) = update(s, .beginSearch)
        (s, effects) = update(s, .edit(.insert("c")))
        #expect(s.query.search == "c" && effects.count == 1)
        (s, effects) = update(s, .edit(.insert("o")))
        #expect(s.currentOrderRequest == OrderRequest(dict: 0, query: FeatureQuery(search: "co")) && effects == [order(s)])
        (s, _) = update(s, .edit(.submit))
        #expect(s.input == nil && s.query.search == "co")
        (s, _) = update(s, .beginSearch)
        (s, effects) = update(s, .edit(.cancel))
        #expect(s.query.search.isEmpty && s.order == nil && effects.isEmpty)
    }

    @Test func jumpToFeature() {
        var s = state()
        (s, _) = update(s, .beginJump)
        for c in "#512" { (s, _) = update(s, .edit(.insert(String(c)))) }
        (s, _) = update(s, .edit(.submit))
        #expect(s.selectedFeature?.feature == 512)
        (s, _) = update(s, .jumpToFeature(5000))
        #expect(s.message?.isError == true && s.selectedFeature?.feature == 512)
        (s, _) = update(s, .orderComputed(s.currentOrderRequest, nil))
        s.order = [3, 7]
        s.list.setCount(2)
        (s, _) = update(s, .jumpToFeature(7))
        #expect(s.selectedFeature?.feature == 7)
        (s, _) = update(s, .jumpToFeature(8))
        #expect(s.message?.text.contains("hidden") == true)
    }

    @Test func randomFeatureIsDeterministicPerSeed() {
        let s = state()
        let (a, _) = update(s, .randomFeature)
        let (b, _) = update(s, .randomFeature)
        #expect(a.list.selected == b.list.selected)
        let (c, _) = update(a, .randomFeature)
        #expect(c.list.selected != a.list.selected)
    }

    @Test func verdictIsShownOnlyAfterSave() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, _) = update(s, .move(2))
        (s, effects) = update(s, .setVerdict(.interpretable))
        let key = FeatureKey(fingerprint: s.dictionaries[0].fingerprint, feature: 2)
        guard case .saveLabel(let request)? = effects.first else {
            Issue.record("no save effect")
            return
        }
        #expect(request.key == key && request.before == nil && request.after?.verdict == .interpretable)
        #expect(s.labels[key] == nil && s.savesInFlight == 1)
        (s, _) = update(s, .labelSaved(request, request.after))
        #expect(s.labels[key]?.verdict == .interpretable && s.savesInFlight == 0 && s.undoStack.count == 1)
    }

    @Test func readOnlyLabelsDoNothingAndKeysExplainWhy() {
        let s = state(readOnly: true)
        let (t, effects) = update(s, .setVerdict(.unsure))
        #expect(effects.isEmpty && t.labels.isEmpty)
        #expect(KeyMap.action(for: .char("1"), in: s) == .disabled("labels are read-only (no label file was given)"))
    }

    @Test func compareNeedsTwoDictionaries() {
        let s = state(dictionaries: 1)
        #expect(KeyMap.action(for: .char("c"), in: s) == .disabled("compare needs two dictionaries"))
    }

    static let compareLists = FeatureMatchLists(
        byDecoderCosine: [
            FeatureMatch(feature: 11, decoderCosine: 0.7, activationCorrelation: nil, mutual: true),
            FeatureMatch(feature: 9, decoderCosine: 0.6, activationCorrelation: 0.95, mutual: false)
        ],
        byActivationCorrelation: [
            FeatureMatch(feature: 9, decoderCosine: 0.6, activationCorrelation: 0.95, mutual: false),
            FeatureMatch(feature: 5, decoderCosine: 0.1, activationCorrelation: 0.5, mutual: false)
        ])

    @Test func compareRanksCyclesMatchesAndSwapsSides() {
        var s = state(dictionaries: 3)
        var effects: [ExplorerEffect]
        (s, _) = update(s, .move(4))
        (s, effects) = update(s, .show(.compare))
        let left = FeatureRef(dict: 0, feature: 4)
        let key = MatchKey(ref: left, other: 1)
        #expect(effects == [.loadContexts(left), .loadSample(left), .loadMatches(key)])
        // Feature 9's best match back is 4 (mutual under every ranking); 11's is someone else.
        let back = FeatureMatchLists(
            byDecoderCosine: [FeatureMatch(feature: 4, decoderCosine: 0.6, activationCorrelation: 0.95, mutual: true)],
            byActivationCorrelation: [])
        let hood = MatchNeighbourhood(
            feature: 4, lists: Self.compareLists,
            reverse: [9: back, 11: FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: [])])
        (s, effects) = update(s, .matchesLoaded(key, .ready(hood)))
        // Both scores, mean: 9 = 0.775, 11 = 0.35, 5 = 0.3.
        #expect(s.rankedMatches(s.compare!)?.map(\.feature) == [9, 11, 5])
        #expect(s.rankedMatches(s.compare!)?.first?.mutual == true)
        #expect(effects == [.loadContexts(FeatureRef(dict: 1, feature: 9)), .loadSample(FeatureRef(dict: 1, feature: 9))])
        (s, _) = update(s, .cycleRanking)  // decoder cosine
        #expect(s.compare?.ranking == .decoder && s.rankedMatches(s.compare!)?.map(\.feature) == [11, 9, 5])
        #expect(s.rankedMatches(s.compare!)?.first?.mutual == false, "11's best match back is not 4")
        (s, _) = update(s, .cycleRanking)  // activation correlation
        #expect(s.rankedMatches(s.compare!)?.map(\.feature) == [9, 5, 11], "unknown correlation last")
        (s, _) = update(s, .nextMatch)
        #expect(s.compare?.matchIndex == 1 && s.rightFeature(s.compare!) == FeatureRef(dict: 1, feature: 5))
        (s, _) = update(s, .nextMatch)
        (s, _) = update(s, .nextMatch)
        #expect(s.compare?.matchIndex == 0)
        (s, _) = update(s, .previousMatch)
        #expect(s.compare?.matchIndex == 2)
        (s, _) = update(s, .swapSides)
        #expect(s.compare?.left == FeatureRef(dict: 1, feature: 11) && s.compare?.other == 0 && s.routes.count == 2)
        (s, _) = update(s, .nextOtherDictionary)
        #expect(s.compare?.other == 2)
        (s, _) = update(s, .nextOtherDictionary)
        #expect(s.compare?.other == 0)
        (s, _) = update(s, .back)
        #expect(s.screen == .list && s.compare == nil && s.routes == [.list])
    }

    @Test func compareFocusLabelsTheFocusedSideAndEnterOpensItsPage() {
        var s = state()
        (s, _) = update(s, .move(4))
        (s, _) = update(s, .show(.compare))
        let key = MatchKey(ref: FeatureRef(dict: 0, feature: 4), other: 1)
        (s, _) = update(s, .matchesLoaded(key, .ready(MatchNeighbourhood(feature: 4, lists: Self.compareLists, reverse: [:]))))
        #expect(s.focusedFeature == FeatureRef(dict: 0, feature: 4))
        (s, _) = update(s, .focus(.right))
        #expect(s.focusedFeature == FeatureRef(dict: 1, feature: 9))
        var effects: [ExplorerEffect]
        (s, effects) = update(s, .setVerdict(.interpretable))
        guard case .saveLabel(let request)? = effects.first else {
            Issue.record("no save")
            return
        }
        #expect(request.key == FeatureKey(fingerprint: s.tables[1].descriptor.fingerprint, feature: 9))
        (s, _) = update(s, .focus(nil))
        #expect(s.compare?.focus == .left)
        (s, _) = update(s, .focus(nil))
        (s, effects) = update(s, .openSelection)
        #expect(s.detail == DetailState(ref: FeatureRef(dict: 1, feature: 9), followsList: false))
        #expect(effects == [.loadNeighbours(FeatureRef(dict: 1, feature: 9))], "contexts and sample were loaded for compare")
        #expect(KeyMap.action(for: .char("]"), in: s) == .disabled("this page was opened from compare; Esc goes back"))
        (s, _) = update(s, .back)
        #expect(s.screen == .compare && s.compare?.focus == .right)
    }

    @Test func pairsBuildTheirTableOnceAndEnterOpensThePairInCompare() {
        var s = state()
        var effects: [ExplorerEffect]
        (s, effects) = update(s, .show(.pairs))
        let key = PairKey(a: 0, b: 1, ranking: .combined)
        #expect(effects == [.computePairTable(key, a: s.tables[0], b: s.tables[1])] && s.screen == .pairs)
        let lists = (0..<1000).map { f in
            FeatureMatchLists(
                byDecoderCosine: [
                    FeatureMatch(
                        feature: (f + 1) % 1000, decoderCosine: Float(f % 10) / 10, activationCorrelation: 0.5,
                        mutual: false)
                ], byActivationCorrelation: [])
        }
        let table = PairTable(a: s.tables[0], b: s.tables[1], aToB: lists, bToA: lists, ranking: .combined)
        (s, effects) = update(s, .pairTableComputed(key, .ready(table)))
        #expect(effects.isEmpty && s.pairs?.list.count == 1000)
        (s, effects) = update(s, .nextFilter)  // mutual only
        guard case .computePairOrder(let request, _, _, _)? = effects.first else {
            Issue.record("no order")
            return
        }
        #expect(request.query.filter == .mutual)
        (s, _) = update(s, .previousFilter)
        (s, _) = update(s, .move(5))
        (s, effects) = update(s, .nextFilter)  // mutual only, pending; g before it arrives means the top of it
        guard case .computePairOrder(let pending, _, _, _)? = effects.first else {
            Issue.record("no order")
            return
        }
        (s, _) = update(s, .home)
        (s, _) = update(s, .pairOrderComputed(pending, [9, 5, 2]))
        #expect(s.pairs?.selectedFeature == 9)
        (s, _) = update(s, .pairOrderComputed(request, []))
        #expect(s.pairs?.list.count == 0)
        (s, _) = update(s, .previousFilter)
        (s, _) = update(s, .move(3))
        (s, effects) = update(s, .openSelection)
        #expect(s.compare?.left == FeatureRef(dict: 0, feature: 3) && s.compare?.other == 1 && s.compare?.ranking == .combined)
        (s, _) = update(s, .back)
        #expect(s.pairs?.selectedFeature == 3)
        (s, effects) = update(s, .show(.pairs))
        #expect(effects.isEmpty, "the table is kept")
    }

    @Test func keyDecoding() {
        #expect(Key.fromCharacter(3) == .ctrl("c"))
        #expect(Key.fromCharacter(13) == .enter)
        #expect(Key.fromCharacter(127) == .backspace)
        #expect(Key.fromCharacter(27) == .escape)
        #expect(Key.fromCharacter(0x6771) == .char("東"))
        let s = state()
        #expect(KeyMap.action(for: .char("j"), in: s) == .move(1))
        #expect(KeyMap.action(for: .char("q"), in: s) == .quit)

        var detail = s
        detail.routes.append(.detail(DetailState(ref: FeatureRef(dict: 0, feature: 0), followsList: true)))
        #expect(KeyMap.action(for: .char("j"), in: detail) == .scroll(1))
        var prompt = s
        prompt.input = InputField(kind: .search, editor: LineEditor())
        #expect(KeyMap.action(for: .char("q"), in: prompt) == .edit(.insert("q")))
        #expect(KeyMap.action(for: .ctrl("u"), in: prompt) == .edit(.killToStart))

        var help = s
        help.showHelp = true
        #expect(KeyMap.action(for: .char("q"), in: help) == .toggleHelp)
    }

    @Test func everyBindingIsReachable() {
        // No binding is shadowed by an earlier one with the same key in the same context.
        for context in KeyContext.allCases {
            var seen: Set<Key> = []
            for b in KeyMap.bindings where b.context == context {
                for k in b.keys {
                    #expect(!seen.contains(k), "\(k) twice in \(context)")
                    seen.insert(k)
                }
            }
        }
    }
}

/// Label flows through the session with a fake label book: save, failure, undo, redo, editing.
@Suite struct LabelSessionTests {
    @Test func setUndoRedo() {
        let book = FakeLabelBook()
        let session = makeSession(book: book)
        session.press(.char("j"), .char("1"))
        let key = session.state.key(for: FeatureRef(dict: 0, feature: 1))
        #expect(book.allLabels[key]?.verdict == .interpretable)
        #expect(book.allLabels[key]?.created == Date(timeIntervalSince1970: 1_800_000_000))
        session.press(.char("2"))
        #expect(session.state.labels[key]?.verdict == .normDetector)
        session.press(.char("u"))
        #expect(book.allLabels[key]?.verdict == .interpretable && session.state.redoStack.count == 1)
        session.press(.char("u"))
        #expect(book.allLabels[key] == nil && session.state.labels[key] == nil)
        session.press(.char("u"))
        #expect(session.state.message?.text.contains("nothing to undo") == true)
        session.press(.ctrl("r"), .ctrl("r"))
        #expect(book.allLabels[key]?.verdict == .normDetector && session.state.undoStack.count == 2)
        session.press(.char("0"))
        #expect(book.allLabels[key] == nil, "clearing the only field clears the label")
    }

    @Test func failedSaveKeepsTheEditAndShowsTheError() {
        let book = FakeLabelBook()
        let session = makeSession(book: book)
        session.press(.char("e"))
        session.press(.paste("legal ✓ citations 東京"))
        book.failNext = "disk full"
        session.press(.enter)
        let key = session.state.key(for: FeatureRef(dict: 0, feature: 0))
        #expect(session.state.labels[key] == nil)
        #expect(session.state.input?.editor.text == "legal ✓ citations 東京")
        #expect(session.state.message == StatusMessage(text: "label of feature 0 NOT saved: disk full", isError: true, sticky: true))
        session.press(.backspace, .backspace, .enter)
        #expect(session.state.input == nil)
        #expect(book.allLabels[key]?.concept == "legal ✓ citations ")
        #expect(session.state.labels[key]?.concept == "legal ✓ citations ")
    }

    /// A verdict that was NOT saved stays on the status line while the user moves on: only Esc or
    /// another message replaces it.
    @Test func aFailedSaveStaysOnTheStatusLineUntilEsc() {
        let book = FakeLabelBook()
        let session = makeSession(book: book)
        book.failNext = "File too large"
        session.press(.char("1"))
        session.press(.down, .down, .char("j"))
        #expect(session.state.message?.text == "label of feature 0 NOT saved: File too large")
        session.press(.escape)
        #expect(session.state.message == nil)
    }

    @Test func notesEditingWithLineKeys() {
        let session = makeSession()
        session.press(.enter, .char("a"))
        #expect(session.state.input?.kind == .label(session.state.key(for: FeatureRef(dict: 0, feature: 0)), .notes))
        session.press(.paste("first line"), .home, .char(">"), .end, .char("!"), .left, .left, .delete, .ctrl("u"))
        // ">first line!" with the cursor before "e!"; Delete removes "e", ctrl-u the rest before the cursor.
        #expect(session.state.input?.editor.text == "!")
        session.press(.escape)
        #expect(session.state.input == nil && session.state.labels.isEmpty)
    }

    @Test func pasteOutsideAPromptIsTypedKeys() {
        let session = makeSession()
        session.press(.paste("jjj"))
        #expect(session.state.list.selected == 3)
    }

    @Test func labelFiltersUseSavedLabels() {
        let session = makeSession(featureCount: 50)
        session.press(.char("j"), .char("4"), .char("j"), .char("j"), .char("4"))
        session.send(.setFilter(.verdict(.polysemantic)))
        session.runEffects()
        #expect(session.state.order == [1, 3])
        session.send(.setFilter(.unlabelled))
        session.runEffects()
        #expect(session.state.list.count == 48)
        session.send(.sortBy(.label))
        session.send(.setFilter(.all))
        session.runEffects()
        #expect(session.state.order?.prefix(3) == [1, 3, 0])
    }

    @Test func sortingByAlphaStartsHighestFirst() {
        let session = makeSession(featureCount: 200)
        session.send(.show(.list))
        session.press(.tab)  // cosine dictionary: alpha varies
        session.send(.sortBy(.alpha))  // highest first
        session.runEffects()
        let source = session.source
        let alphas = (0..<10).map { source.stats(dict: 1, feature: session.state.feature(atRow: $0)).alpha ?? .nan }
        #expect(alphas == alphas.sorted(by: >))
        #expect((alphas.first ?? 0) > 2.4)
        session.send(.sortBy(.alpha))
        session.runEffects()
        let ascending = (0..<10).map { source.stats(dict: 1, feature: session.state.feature(atRow: $0)).alpha ?? .nan }
        #expect(ascending == ascending.sorted())
    }

    @Test func searchMatchesTopTokensAndConcepts() {
        let book = FakeLabelBook()
        let session = makeSession(featureCount: 100, book: book)
        session.press(.char("e"), .paste("zebra"), .enter)
        session.press(.char("/"), .paste("ZEB"))
        #expect(session.state.order == [], "whole words by default")
        session.press(.tab)
        #expect(session.state.order == [0], "Tab in the prompt searches anywhere")
        session.press(.tab, .ctrl("u"), .paste("zebra"))
        #expect(session.state.order == [0])
        session.press(.ctrl("u"), .paste("東京"))
        let source = session.source
        let all = (0..<100).filter { f in source.stats(dict: 0, feature: f).topTokens.contains { $0.contains("東京") } }
        #expect(session.state.order?.map(Int.init) == all)
        #expect(!all.isEmpty)
    }

    @Test func exportCallsTheClosure() {
        let session = makeSession()
        session.press(.char("E"))
        #expect(session.state.message == StatusMessage(text: "exported 3 labels", isError: false))
    }

    @Test func failingContextsShowAsUnavailable() {
        let source = SyntheticFeatureSource(featureCount: 10, failingFeature: 0)
        let session = ExplorerSession(source: source, labels: nil, size: TerminalSize(width: 80, height: 24))
        session.press(.enter)
        #expect(session.state.contexts.peek(FeatureRef(dict: 0, feature: 0)) == .failed("synthetic failure reading contexts of feature 0"))
        #expect((1..<23).map { session.frame().rowText($0) }.joined().contains("contexts unavailable: synthetic failure"))
    }
}

@Suite struct ScrollTests {
    @Test func overscrollIsClampedSoUpMovesAtOnce() {
        let session = makeSession(width: 80, height: 24)
        session.press(.char("j"), .enter)  // feature 0 is dead and short; 1 has contexts
        for _ in 0..<200 { session.press(.char("j")) }
        let bottom = session.frame()
        let limit = session.state.detail?.scroll ?? 0
        #expect(limit < 200 && limit > 0)
        session.press(.char("k"))
        _ = session.frame()
        #expect(session.state.detail?.scroll == limit - 1)
        let moved = session.frame() != bottom
        #expect(moved)
    }
}

/// The session with its background worker, as `runExplorer` uses it.
@Suite struct BackgroundWorkerTests {
    @Test func loadsArriveAsResultsAndTheFrameShowsLoadingFirst() {
        let session = makeSession(width: 80, height: 24)
        session.runInBackground()
        session.press(.char("j"), .enter)
        let first = (1..<22).map { session.frame().rowText($0) }.joined()
        #expect(first.contains("loading") || session.state.contexts.peek(FeatureRef(dict: 0, feature: 1))?.value != nil)
        session.settle()
        #expect(session.state.contexts.peek(FeatureRef(dict: 0, feature: 1))?.value != nil)
        #expect(session.state.samples.peek(FeatureRef(dict: 0, feature: 1))?.value != nil)
    }

    @Test func typingASearchEndsWithTheOrderOfTheLastQuery() {
        let sync = makeSession(featureCount: 3000)
        sync.press(.char("/"), .paste("·"), .backspace, .char("c"), .char("a"), .char("t"))
        let background = makeSession(featureCount: 3000)
        background.runInBackground()
        for key: Key in [.char("/"), .paste("·"), .backspace, .char("c"), .char("a"), .char("t")] {
            background.handle(key)
            background.runEffects()
        }
        background.settle()
        #expect(background.state.query.search == "cat" && !background.state.orderPending)
        #expect(background.state.order == sync.state.order)
        #expect((background.state.order?.count ?? 0) > 0)
    }
}

/// Counts `stats` calls, to check that keys and frames read only the visible rows.
final class CountingSource: FeatureSource, @unchecked Sendable {
    let base = SyntheticFeatureSource(featureCount: 131_072)
    var statsCalls = 0
    var dictionaries: [DictionaryDescriptor] { base.dictionaries }
    func stats(dict: Int, feature: Int) -> FeatureStats {
        statsCalls += 1
        return base.stats(dict: dict, feature: feature)
    }
    func contexts(dict: Int, feature: Int) throws -> FeatureContexts { try base.contexts(dict: dict, feature: feature) }
    func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        try base.matchLists(dict: dict, feature: feature, other: other)
    }
    func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] {
        try base.neighbours(dict: dict, feature: feature, limit: limit)
    }
    func sample(dict: Int, feature: Int) throws -> ActivationSample { try base.sample(dict: dict, feature: feature) }
}

@Suite struct CostTests {
    @Test func keysAndFramesReadOnlyVisibleRows() {
        let source = CountingSource()
        let session = ExplorerSession(source: source, labels: nil, size: TerminalSize(width: 120, height: 40))
        for key: Key in [.char("j"), .pageDown, .end, .home, .char("r"), .enter, .char("]"), .escape] {
            source.statsCalls = 0
            session.press(key)
            _ = session.frame()
            #expect(source.statsCalls <= 36, "\(key) read \(source.statsCalls) stats")
        }
    }

    @Test func alphaThresholdPrompt() {
        let session = makeSession(featureCount: 200)
        session.press(.tab, .char("A"), .paste("2.2"), .enter)  // the pre-filled value is selected: typing replaces it
        #expect(session.state.query.filter == .alphaAbove(2.2))
        let source = session.source
        let rows = (0..<session.state.list.count).map { source.stats(dict: 1, feature: session.state.feature(atRow: $0)).alpha ?? 0 }
        #expect(!rows.isEmpty && rows.allSatisfy { $0 > 2.2 })
        session.press(.char("A"), .paste("x"), .enter)
        #expect(session.state.message?.isError == true && session.state.query.filter == .alphaAbove(2.2))
    }

    @Test(arguments: [
        (ColorMode.auto, true, true, 256, Theme.monochrome), (.auto, false, true, 256, .color256), (.auto, false, true, 8, .color8),
        (.auto, false, false, 0, .monochrome), (.color256, false, true, 8, .color8), (.monochrome, false, true, 256, .monochrome)
    ])
    func themeChoice(_ mode: ColorMode, _ noColor: Bool, _ hasColors: Bool, _ colors: Int, _ expected: Theme) {
        #expect(Theme.choose(mode, noColor: noColor, hasColors: hasColors, colors: colors) == expected)
    }

    @Test func monochromeUsesAttributesOnly() {
        for role in StyleRole.all {
            let style = Theme.monochrome.style(role)
            #expect(style.foreground == -1 && style.background == -1)
        }
        #expect(Theme.monochrome.style(.selected) != Theme.monochrome.style(.normal))
        #expect(Theme.monochrome.style(.peak) != Theme.monochrome.style(.ramp(7)))
    }
}

/// While the screen says it is too small, keys must not act on what the user cannot see.
@Suite struct TooSmallTests {
    @Test func keysOtherThanQuitAreIgnoredWhileTheScreenIsTooSmall() {
        let book = FakeLabelBook()
        let session = makeSession(book: book, width: 80, height: 24)
        session.resize(TerminalSize(width: 20, height: 5))
        #expect(session.frame().rowText(0).hasPrefix("terminal too small"))
        session.press(.char("3"), .char("j"), .enter, .char("e"), .paste("typed blind"))
        session.resize(TerminalSize(width: 80, height: 24))
        #expect(book.calls.isEmpty && session.state.labels.isEmpty)
        #expect(session.state.list.selected == 0 && session.state.screen == .list && session.state.input == nil)
        session.resize(TerminalSize(width: 20, height: 5))
        session.press(.char("q"))
        #expect(session.shouldQuit)
    }
}

/// The list's ways out of a filter: Esc clears it, `:` to a hidden feature offers to, `M` sets the
/// minimum active count; the detail page shows long notes whole.
@Suite struct FilterEscapeTests {
    @Test func escInTheListClearsSearchFilterAndMinimum() {
        let session = makeSession(featureCount: 100)
        session.send(.setFilter(.normDetectorHints))
        session.press(.char("M"), .paste("5"), .enter)
        session.press(.char("/"), .paste("court"), .enter)
        #expect(
            session.state.query.minimumActive == 5 && session.state.query.filter == .normDetectorHints
                && !session.state.query.search.isEmpty)
        session.press(.escape)
        #expect(session.state.query.filter == .all && session.state.query.search.isEmpty && session.state.query.minimumActive == 0)
        #expect(session.state.list.count == 100)
        #expect(session.state.message?.text.contains("cleared the search \"court\" and filter") == true)
        session.press(.escape)  // nothing left to clear: no message, still the list
        #expect(session.state.screen == .list)
    }

    @Test func minimumActivePromptRefusesWhatIsNotACount() {
        let session = makeSession(featureCount: 100)
        session.press(.char("M"), .paste("lots"), .enter)
        #expect(session.state.query.minimumActive == 0 && session.state.message?.text == "not a count of tokens: lots")
        session.press(.char("M"), .paste("1000000"), .enter)
        #expect(session.state.query.minimumActive == 1_000_000)
        #expect(session.frame().rowText(39).contains("active ≥ 1000000"))
    }

    /// Sorted (the order is recomputed on clearing), filtered to hints: `:` to a feature that is
    /// not a hint offers to clear; another key stays; Enter or y clears and jumps.
    @Test func jumpToAHiddenFeatureOffersToClearTheFilter() throws {
        let session = makeSession(featureCount: 200)
        session.send(.sortBy(.alpha))
        session.send(.setFilter(.normDetectorHints))
        session.runEffects()
        let hidden = try #require((0..<200).first { !session.source.stats(dict: 0, feature: $0).normDetectorHint })
        session.press(.char(":"), .paste(String(hidden)), .enter)
        #expect(session.state.hiddenJump == hidden)
        #expect(session.state.message?.text.contains("hidden by the filter norm-detector hints") == true)
        session.press(.char("j"))  // any other key: stay, and the key does nothing else
        #expect(session.state.hiddenJump == nil && session.state.query.filter == .normDetectorHints)
        #expect(session.state.list.selected == 0)
        session.press(.char(":"), .paste(String(hidden)), .enter, .char("y"))
        #expect(session.state.query.filter == .all && session.state.query.sort == .alpha)
        #expect(session.state.selectedFeature?.feature == hidden)
    }

    @Test func detailShowsLongNotesWrapped() {
        let book = FakeLabelBook()
        let session = makeSession(book: book, width: 60, height: 30)
        let note = "fires on the first token of every sentence, whatever it is; strongest after a heading and in lists"
        session.press(.char("a"), .paste(note), .enter, .enter)
        let text = (0..<30).map { session.frame().rowText($0) }.joined(separator: "\n")
        #expect(text.contains("notes"))
        #expect(text.contains("strongest after a heading and in lists"), "\(text)")
        #expect(text.contains("fires on the first token of every sentence,"))
    }
}

/// C writes the open feature's contexts as `saex contexts` would (text and JSON) and says where.
@Suite struct CopyContextsTests {
    @Test func copyKeyWritesTextAndJSONAndSaysWhere() throws {
        let folder = NSTemporaryDirectory() + "saex-copy-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = HostileSource(featureCount: 50)
        let session = ExplorerSession(
            source: source, labels: FakeLabelBook(), options: ExplorerOptions(contextsFolder: folder),
            size: TerminalSize(width: 100, height: 30))
        session.press(.char("j"), .enter, .char("C"))
        session.settle()
        let base = folder + "/standard-1.contexts"
        #expect(session.state.message?.text == "wrote \(base).txt and .json")
        let text = try String(contentsOfFile: base + ".txt", encoding: .utf8)
        #expect(text.hasPrefix("standard feature 1: density 2.384%\n"))
        #expect(text.contains("top contexts (peak token in [[ ]]):") && text.contains("interval samples:"))
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B }, "the text file is terminal-safe")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".json"))) as? [String: Any])
        #expect(json["feature"] as? Int == 1 && json["dictionary"] as? String == "standard")
        let expected = try source.contexts(dict: 0, feature: 1)
        #expect((json["contexts"] as? [[String: Any]])?.count == expected.top.count)
        #expect(((json["contexts"] as? [[String: Any]])?.first?["tokens"] as? [String]) == expected.top.first?.tokens)
    }

    @Test func copyKeyIsDisabledWithoutAFolder() {
        let session = makeSession()
        session.press(.char("C"))
        #expect(session.state.message?.text == "copying contexts is not available here")
    }
}
