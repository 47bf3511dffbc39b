import SAEKit

/// A binding of the blind A/B screen.
public typealias BlindKeyBinding = KeyBindingOf<BlindState, BlindAction>

/// The blind screen's keys as data: its help overlay, hints and docs/KEYS.md read these.
public enum BlindKeyMap {
    static let busy: @Sendable (BlindState) -> String? = { $0.saving != nil ? "the previous answer is still being saved" : nil }

    public static let bindings: [BlindKeyBinding] = runs.flatMap { $0 }

    /// The bindings in map order, in runs: the paging keys come from `paging`.
    private static let runs: [[BlindKeyBinding]] = [
        [
            BlindKeyBinding(
                [.char("y")], .rate(.yes), "yes, I can name a concept: record the answer and go on", .blind, hint: "yes", disabled: busy),
            BlindKeyBinding([.char("m")], .rate(.maybe), "maybe: record the answer and go on", .blind, hint: "maybe", disabled: busy),
            BlindKeyBinding([.char("n")], .rate(.no), "no concept: record the answer and go on", .blind, hint: "no", disabled: busy)
        ],
        BlindKeyBinding.verdictKeys(.blind, set: BlindAction.setVerdict, firstNote: " (optional)", disabled: busy),
        [
            BlindKeyBinding([.char("e")], .editConcept, "name the concept (optional)", .blind, hint: "concept", disabled: busy),
            BlindKeyBinding([.left, .char("["), .char("p")], .previousItem, "previous item (to change its answer)", .blind, hint: "prev"),
            BlindKeyBinding([.right, .char("]")], .nextItem, "next item", .blind, hint: "next"),
            BlindKeyBinding([.char("u")], .firstUnanswered, "first unanswered item", .blind)
        ],
        BlindKeyBinding.paging(
            .blind, down: .scroll(1), up: .scroll(-1), pageDown: .page(1), pageUp: .page(-1),
            lines: ("scroll the contexts down", "scroll the contexts up")),
        [
            BlindKeyBinding([.home, .char("g")], .top, "top of the contexts", .blind),
            BlindKeyBinding([.char("w")], .cycleContextWindow, "context window ±5 / ±16 / whole", .blind),
            BlindKeyBinding([.char("?")], .toggleHelp, "show or hide the help", .blind, hint: "help"),
            BlindKeyBinding([.char("q"), .ctrl("c")], .quit, "quit (answers are already saved; rerun to resume)", .blind, hint: "quit")
        ],
        BlindKeyBinding.paging(.blindReport, down: .scroll(1), up: .scroll(-1), pageDown: .page(1), pageUp: .page(-1)),
        [
            BlindKeyBinding(
                [.left, .char("["), .char("p")], .previousItem, "back to the last item (to change answers)", .blindReport, hint: "back"),
            BlindKeyBinding([.char("?")], .toggleHelp, "show or hide the help", .blindReport, hint: "help"),
            BlindKeyBinding([.char("q"), .ctrl("c")], .quit, "quit", .blindReport, hint: "quit")
        ],
        BlindKeyBinding.helpOverlay(scroll: BlindAction.helpScroll, close: .toggleHelp)
    ]

    /// Contexts searched for a key: the help overlay's, or the current view's.
    public static func activeContexts(_ state: BlindState) -> [KeyContext] {
        if state.showHelp { return [.help] }
        return state.screen == .report ? [.blindReport] : [.blind]
    }

    /// Translates a key into an action (nil: the key does nothing here). The concept prompt takes
    /// every key first, with the explorer's editing keys; a disabled binding yields `.disabled`.
    public static func action(for key: Key, in state: BlindState) -> BlindAction? {
        if state.conceptEditor != nil { return EditOp.forKey(key).map(BlindAction.edit) }
        return KeyLookup.action(for: key, in: state, bindings: bindings, contexts: activeContexts(state), disabled: BlindAction.disabled)
    }

    /// Bindings flagged as hints for the current state, in map order.
    public static func hints(for state: BlindState) -> [BlindKeyBinding] {
        KeyLookup.hints(bindings, contexts: activeContexts(state))
    }
}
