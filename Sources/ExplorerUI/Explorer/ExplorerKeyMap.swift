import SAEKit

/// A binding of the explorer's screens.
public typealias KeyBinding = KeyBindingOf<ExplorerState, ExplorerAction>

/// The explorer's key map and the translation of keys into actions.
public enum KeyMap {
    static let readOnly: @Sendable (ExplorerState) -> String? = { $0.readOnlyReason }
    static let needsTwo: @Sendable (ExplorerState) -> String? = { $0.tables.count < 2 ? "compare needs two dictionaries" : nil }
    static let followsList: @Sendable (ExplorerState) -> String? = { s in
        s.detail?.followsList == false ? "this page was opened from compare; Esc goes back" : nil
    }

    public static let bindings: [KeyBinding] = runs.flatMap { $0 }

    /// The bindings in map order, in runs: the paging keys come from `paging`.
    private static let runs: [[KeyBinding]] = [
        [
            KeyBinding([.char("q"), .ctrl("c")], .quit, "quit", .global, hint: "quit"),
            KeyBinding([.char("?")], .toggleHelp, "show or hide this help", .global, hint: "help"),
            KeyBinding([.escape], .back, "back to the previous screen", .global),
            KeyBinding([.char("o")], .show(.overview), "overview of the dictionaries", .global, hint: "overview"),
            KeyBinding([.char(":")], .beginJump, "jump to a feature number", .global),
            KeyBinding(
                [.char("C")], .copyContexts, "save the contexts as text and JSON (as saex contexts)", .global,
                disabled: { s in
                    !s.canCopyContexts
                        ? "copying contexts is not available here" : s.focusedFeature == nil ? "no feature on this screen" : nil
                }),
            KeyBinding(
                [.char("P")], .show(.pairs), "pairs: each feature's best match in the other dictionary", .global, hint: "pairs",
                disabled: needsTwo)
        ],
        KeyBinding.paging(
            .list, down: .move(1), up: .move(-1), pageDown: .pageDown, pageUp: .pageUp, lines: ("next feature", "previous feature")),
        [
            KeyBinding([.home, .char("g")], .home, "first feature", .list),
            KeyBinding([.end, .char("G")], .end, "last feature", .list),
            KeyBinding([.enter, .char("l"), .right], .show(.detail), "open the feature", .list, hint: "open"),
            KeyBinding([.char("c")], .show(.compare), "compare with another dictionary", .list, hint: "compare", disabled: needsTwo),
            KeyBinding(
                [.tab], .nextDictionary, "next dictionary", .list, hint: "dict",
                disabled: { $0.tables.count < 2 ? "there is only one dictionary" : nil }),
            KeyBinding([.char("s")], .cycleSort, "sort by the next column", .list, hint: "sort"),
            KeyBinding([.char("S")], .reverseSort, "reverse the sort direction", .list),
            KeyBinding([.char("f")], .nextFilter, "next filter preset", .list, hint: "filter"),
            KeyBinding([.char("F")], .previousFilter, "previous filter preset", .list),
            KeyBinding([.char("/")], .beginSearch, "search top tokens and concepts", .list, hint: "search"),
            KeyBinding([.char("A")], .beginAlphaFilter, "filter alpha > a value you type", .list),
            KeyBinding([.char("M")], .beginMinimumActive, "hide features active on fewer than N tokens (N you type)", .list),
            KeyBinding([.char("r")], .randomFeature, "random feature", .list)
        ],
        KeyBinding.paging(.detail, down: .scroll(1), up: .scroll(-1), pageDown: .pageDown, pageUp: .pageUp),
        [
            KeyBinding([.home, .char("g")], .home, "top", .detail),
            KeyBinding([.char("]"), .char("n")], .nextFeature, "next feature in the list", .detail, hint: "next", disabled: followsList),
            KeyBinding(
                [.char("["), .char("p")], .previousFeature, "previous feature in the list", .detail, hint: "prev", disabled: followsList),
            KeyBinding([.char("w")], .cycleContextWindow, "context window ±5 / ±16 / whole", .detail, hint: "window"),
            KeyBinding([.char("r")], .randomFeature, "random feature", .detail),
            KeyBinding([.char("c")], .show(.compare), "compare with another dictionary", .detail, hint: "compare", disabled: needsTwo),
            KeyBinding([.char("h"), .left], .back, "back to the list", .detail),

            KeyBinding([.down, .char("j")], .scroll(1), "scroll down", .compare),
            KeyBinding([.up, .char("k")], .scroll(-1), "scroll up", .compare),
            KeyBinding([.char("]"), .char("n")], .nextMatch, "next match", .compare, hint: "next match"),
            KeyBinding([.char("["), .char("p")], .previousMatch, "previous match", .compare, hint: "prev match"),
            KeyBinding([.char("x")], .swapSides, "swap sides (the match becomes the left feature)", .compare, hint: "swap"),
            KeyBinding(
                [.char("m")], .cycleRanking, "rank matches by decoder cosine, activation correlation or both", .compare, hint: "rank"),
            KeyBinding([.tab], .focus(nil), "labels and Enter act on the other side", .compare, hint: "focus"),
            KeyBinding([.left], .focus(.left), "focus the left feature", .compare),
            KeyBinding([.right], .focus(.right), "focus the right feature (the match)", .compare),
            KeyBinding([.enter], .openSelection, "open the focused feature's page (Esc comes back)", .compare, hint: "open"),
            KeyBinding(
                [.char("d")], .nextOtherDictionary, "compare with the next dictionary", .compare,
                disabled: { $0.tables.count < 3 ? "there are only two dictionaries" : nil }),
            KeyBinding([.char("w")], .cycleContextWindow, "context window ±5 / ±16 / whole", .compare)
        ],
        KeyBinding.paging(
            .pairs, down: .move(1), up: .move(-1), pageDown: .pageDown, pageUp: .pageUp, lines: ("next pair", "previous pair")),
        [
            KeyBinding([.home, .char("g")], .home, "first pair", .pairs),
            KeyBinding([.end, .char("G")], .end, "last pair", .pairs),
            KeyBinding([.enter], .openSelection, "open the pair in compare", .pairs, hint: "compare"),
            KeyBinding([.char("s")], .cycleSort, "sort by the next column", .pairs, hint: "sort"),
            KeyBinding([.char("S")], .reverseSort, "reverse the sort direction", .pairs),
            KeyBinding(
                [.char("f")], .nextFilter, "next filter (mutual, hint on one side, verdicts differ, unmatched, ...)", .pairs, hint: "filter"
            ),
            KeyBinding([.char("F")], .previousFilter, "previous filter", .pairs),
            KeyBinding([.char("m")], .cycleRanking, "pick matches by decoder cosine, activation correlation or both", .pairs, hint: "rank"),
            KeyBinding([.tab], .swapPairDirection, "look from the other dictionary", .pairs, hint: "flip")
        ],
        KeyBinding.paging(.overview, down: .scroll(1), up: .scroll(-1), pageDown: .pageDown, pageUp: .pageUp),
        [
            KeyBinding([.tab], .show(.list), "back to the list", .overview)
        ],
        KeyBinding.verdictKeys(.labels, set: ExplorerAction.setVerdict, disabled: readOnly),
        [
            KeyBinding([.char("e")], .editLabel(.concept), "edit the concept name", .labels, hint: "concept", disabled: readOnly),
            KeyBinding([.char("a")], .editLabel(.notes), "edit the notes", .labels, disabled: readOnly),
            KeyBinding(
                [.char("u")], .undo, "undo the last label change", .labels,
                disabled: { s in
                    s.readOnlyReason ?? (s.undoStack.isEmpty ? "nothing to undo" : nil)
                }),
            KeyBinding(
                [.ctrl("r")], .redo, "redo", .labels,
                disabled: { s in
                    s.readOnlyReason ?? (s.redoStack.isEmpty ? "nothing to redo" : nil)
                }),
            KeyBinding([.char("E")], .export, "export labels", .labels, disabled: { $0.canExport ? nil : "export is not available here" })
        ],
        KeyBinding.helpOverlay(scroll: ExplorerAction.helpScroll, close: .toggleHelp)
    ]

    /// Contexts searched for a key, most specific first.
    public static func activeContexts(_ state: ExplorerState) -> [KeyContext] {
        if state.showHelp { return [.help] }
        let screen: KeyContext =
            switch state.screen {
            case .list: .list
            case .detail: .detail
            case .compare: .compare
            case .pairs: .pairs
            case .overview: .overview
            }
        return state.screen == .overview ? [screen, .global] : [screen, .labels, .global]
    }

    /// Translates a key into an action for the current state (nil: the key does nothing here).
    /// An open prompt takes every key first; a disabled binding yields `.disabled(reason)`.
    public static func action(for key: Key, in state: ExplorerState) -> ExplorerAction? {
        if state.hiddenJump != nil, !state.showHelp {
            if key == .ctrl("c") { return .quit }
            return .answerHiddenJump(key == .enter || key == .char("y"))
        }
        if let input = state.input {
            if input.kind == .search, key == .tab { return .toggleWholeWord }
            return EditOp.forKey(key).map(ExplorerAction.edit)
        }
        return KeyLookup.action(for: key, in: state, bindings: bindings, contexts: activeContexts(state), disabled: ExplorerAction.disabled)
    }

    /// Bindings flagged as hints for the current state, in map order.
    public static func hints(for state: ExplorerState) -> [KeyBinding] {
        KeyLookup.hints(bindings, contexts: activeContexts(state))
    }

    /// The key table for README.md (between `<!-- BEGIN KEYS -->` and `<!-- END KEYS -->`): the
    /// same rows as `markdown()`, one heading level down, without the title.
    public static func readmeSection() -> String {
        markdown().split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
            .map { $0.hasPrefix("## ") ? "#" + $0 : String($0) }.joined(separator: "\n")
    }

    /// The key table as Markdown (docs/KEYS.md is generated from this and checked by a test).
    public static func markdown() -> String {
        var out = "# Explorer keys\n\n"
        out += "Generated from `KeyMap.bindings` (Sources/ExplorerUI/Explorer/ExplorerKeyMap.swift); a test checks this file is current.\n"
        out +=
            "Inside a prompt (search, jump, concept, notes, blind concept): ←/→ move by character, Home/End or ctrl-a/ctrl-e, Backspace,\n"
        out += "Delete, ctrl-u deletes to the start, ctrl-k to the end, Enter accepts, Esc cancels. A pre-filled value is selected:\n"
        out += "typing replaces it. In the search prompt, Tab switches between whole words and anywhere. ctrl-c always quits,\n"
        out += "ctrl-z suspends (fg resumes). When `:` names a feature the filter or search hides, Enter or y clears them and jumps;\n"
        out += "any other key stays. Esc in the list clears the search, the filter and the minimum active count.\n"
        // The blind screen's help keys are the explorer's, listed once under Help.
        let blindRows = BlindKeyMap.bindings.filter { $0.context != .help }.map { ($0.keys, $0.description, $0.context) }
        let allRows = bindings.map { ($0.keys, $0.description, $0.context) } + blindRows
        for context in KeyContext.allCases {
            let rows = allRows.filter { $0.2 == context }
            guard !rows.isEmpty else { continue }
            out += "\n## \(context.title)\n\n| Keys | Action |\n|---|---|\n"
            for (keys, description, _) in rows {
                let names = keys.map { "`\($0.description == "|" ? "\\|" : $0.description)`" }.joined(separator: " ")
                out += "| \(names) | \(description) |\n"
            }
        }
        return out
    }
}
