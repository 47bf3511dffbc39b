import SAEKit

/// Where a binding applies. Screen contexts are looked up before `labels` and `global`.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, list, detail, compare, pairs, overview, labels, help, blind, blindReport

    public var title: String {
        switch self {
        case .global: "Everywhere"
        case .list: "Feature list"
        case .detail: "Feature detail"
        case .compare: "Compare"
        case .pairs: "Pairs"
        case .overview: "Overview"
        case .labels: "Labels (list, detail, compare, pairs)"
        case .help: "Help"
        case .blind: "Blind A/B labelling (saex blind run)"
        case .blindReport: "Blind A/B report"
        }
    }
}

/// One key binding as data: the help overlay, the status-bar hints and docs/KEYS.md all read these
/// records (lazygit-style). Generic over the state it reads (for `disabled`) and the action it
/// yields, so every program's key map has one shape and one lookup.
public struct KeyBindingOf<State, BoundAction: Sendable>: Sendable {
    public var keys: [Key]
    public var action: BoundAction
    public var description: String
    public var context: KeyContext
    /// Short text for the status-bar hints of its context (nil: not a hint).
    public var hint: String?
    /// Why the binding cannot be used now, or nil when it can.
    public var disabledReason: @Sendable (State) -> String?

    public init(
        _ keys: [Key], _ action: BoundAction, _ description: String, _ context: KeyContext, hint: String? = nil,
        disabled: @escaping @Sendable (State) -> String? = { _ in nil }
    ) {
        self.keys = keys
        self.action = action
        self.description = description
        self.context = context
        self.hint = hint
        self.disabledReason = disabled
    }

    public var keyNames: String { keys.map(\.description).joined(separator: " ") }
}

/// The lookup every key map uses: the first binding of the first context (most specific first)
/// that holds the key; a disabled one yields its reason instead of its action.
enum KeyLookup {
    static func action<State, A>(
        for key: Key, in state: State, bindings: [KeyBindingOf<State, A>], contexts: [KeyContext],
        disabled: (String) -> A
    ) -> A? {
        for context in contexts {
            if let binding = bindings.first(where: { $0.context == context && $0.keys.contains(key) }) {
                if let reason = binding.disabledReason(state) { return disabled(reason) }
                return binding.action
            }
        }
        return nil
    }

    /// The bindings flagged as hints in `contexts`, global ones first, then in map order.
    static func hints<State, A>(_ bindings: [KeyBindingOf<State, A>], contexts: [KeyContext]) -> [KeyBindingOf<State, A>] {
        let ordered = contexts.contains(.global) ? [.global] + contexts.filter { $0 != .global } : contexts
        return ordered.flatMap { c in bindings.filter { $0.context == c && $0.hint != nil } }
    }
}

/// Operations on an open text prompt.
public enum EditOp: Equatable, Sendable {
    case insert(String)
    case backspace, deleteForward, left, right, home, end, killToStart, killToEnd
    case submit, cancel

    /// The keys of every prompt (search, jump, concept, notes, blind concept), as docs/KEYS.md lists them.
    public static func forKey(_ key: Key) -> EditOp? {
        switch key {
        case .char(let c): .insert(String(c))
        case .paste(let text): .insert(text)
        case .backspace: .backspace
        case .delete: .deleteForward
        case .left: .left
        case .right: .right
        case .home, .ctrl("a"): .home
        case .end, .ctrl("e"): .end
        case .ctrl("u"): .killToStart
        case .ctrl("k"): .killToEnd
        case .enter: .submit
        case .escape: .cancel
        default: nil
        }
    }
}

extension LineEditor {
    /// What applying an edit did: the text changed (or the cursor moved), or the prompt was
    /// submitted or cancelled (the caller closes it).
    public enum Outcome: Equatable, Sendable { case edited, submitted, cancelled }

    /// Applies `op`; submit and cancel leave the text as it is.
    public mutating func apply(_ op: EditOp) -> Outcome {
        switch op {
        case .insert(let text): insert(text)
        case .backspace: backspace()
        case .deleteForward: deleteForward()
        case .left: left()
        case .right: right()
        case .home: home()
        case .end: end()
        case .killToStart: killToStart()
        case .killToEnd: killToEnd()
        case .submit: return .submitted
        case .cancel: return .cancelled
        }
        return .edited
    }
}

extension KeyBindingOf {
    /// The paging keys of a scrolled view, in this order: j/↓ and k/↑ by a line (`lines` names
    /// them), space/PgDn and b/PgUp by a page.
    static func paging(
        _ context: KeyContext, down: BoundAction, up: BoundAction, pageDown: BoundAction, pageUp: BoundAction,
        lines: (down: String, up: String) = ("scroll down", "scroll up")
    ) -> [Self] {
        [
            Self([.down, .char("j")], down, lines.down, context), Self([.up, .char("k")], up, lines.up, context),
            Self([.pageDown, .char(" ")], pageDown, "page down", context), Self([.pageUp, .char("b")], pageUp, "page up", context)
        ]
    }

    /// The help overlay's keys: paging by a line and by ten, and ? / Esc / q to close it.
    static func helpOverlay(scroll: (Int) -> BoundAction, close: BoundAction) -> [Self] {
        paging(.help, down: scroll(1), up: scroll(-1), pageDown: scroll(10), pageUp: scroll(-10))
            + [Self([.char("?"), .escape, .char("q")], close, "close the help", .help, hint: "close")]
    }
}

extension KeyBindingOf {
    /// 1…5 set the verdicts in `Verdict.allCases` order (the first carries the hint and `firstNote`),
    /// 0 clears the verdict.
    static func verdictKeys(
        _ context: KeyContext, set: (Verdict?) -> BoundAction, firstNote: String = "",
        disabled: @escaping @Sendable (State) -> String?
    ) -> [Self] {
        Verdict.allCases.enumerated().map { i, v in
            Self(
                [.char(Character(String(i + 1)))], set(v), "verdict: " + VerdictDisplay.name(v) + (i == 0 ? firstNote : ""), context,
                hint: i == 0 ? "…5 verdict" : nil, disabled: disabled)
        } + [Self([.char("0")], set(nil), "clear the verdict", context, disabled: disabled)]
    }
}
