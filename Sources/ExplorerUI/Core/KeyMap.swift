import SAEKit

/// Where a binding applies. Screen contexts are looked up before `labels` and `global`.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, list, detail, compare, overview, labels, help, blind, blindReport

    public var title: String {
        switch self {
        case .global: "Everywhere"
        case .list: "Feature list"
        case .detail: "Feature detail"
        case .compare: "Compare"
        case .overview: "Overview"
        case .labels: "Labels (list, detail, compare)"
        case .help: "Help"
        case .blind: "Blind A/B labelling (saex label --blind)"
        case .blindReport: "Blind A/B report"
        }
    }
}

/// One key binding as data: the help overlay, the status-bar hints and docs/KEYS.md all read these.
/// Generic over the screen state it reads (for `disabled`) and the action it yields, so the explorer
/// (`KeyBinding`) and the blind A/B screen (`BlindKeyBinding`) share one shape.
public struct KeyBindingOf<State, BoundAction: Sendable>: Sendable {
    public var keys: [Key]
    public var action: BoundAction
    public var description: String
    public var context: KeyContext
    /// Short text for the status-bar hints of its context (nil: not a hint).
    public var hint: String?
    /// Why the binding cannot be used now, or nil when it can.
    public var disabledReason: @Sendable (State) -> String?

    public init(_ keys: [Key], _ action: BoundAction, _ description: String, _ context: KeyContext, hint: String? = nil,
                disabled: @escaping @Sendable (State) -> String? = { _ in nil }) {
        self.keys = keys
        self.action = action
        self.description = description
        self.context = context
        self.hint = hint
        self.disabledReason = disabled
    }

    public var keyNames: String { keys.map(\.description).joined(separator: " ") }
}

/// A binding of the explorer's screens.
public typealias KeyBinding = KeyBindingOf<ExplorerState, Action>

/// The explorer's key map and the translation of keys into actions.
public enum KeyMap {
    static let readOnly: @Sendable (ExplorerState) -> String? = { $0.readOnlyLabels ? "labels are read-only (no label file was given)" : nil }
    static let needsTwo: @Sendable (ExplorerState) -> String? = { $0.dictionaries.count < 2 ? "compare needs two dictionaries" : nil }

    public static let bindings: [KeyBinding] = [
        KeyBinding([.char("q"), .ctrl("c")], .quit, "quit", .global, hint: "quit"),
        KeyBinding([.char("?")], .toggleHelp, "show or hide this help", .global, hint: "help"),
        KeyBinding([.escape], .back, "back to the previous screen", .global),
        KeyBinding([.char("o")], .show(.overview), "overview of the dictionaries", .global, hint: "overview"),
        KeyBinding([.char(":")], .beginJump, "jump to a feature number", .global),

        KeyBinding([.down, .char("j")], .move(1), "next feature", .list),
        KeyBinding([.up, .char("k")], .move(-1), "previous feature", .list),
        KeyBinding([.pageDown, .char(" ")], .pageDown, "page down", .list),
        KeyBinding([.pageUp, .char("b")], .pageUp, "page up", .list),
        KeyBinding([.home, .char("g")], .home, "first feature", .list),
        KeyBinding([.end, .char("G")], .end, "last feature", .list),
        KeyBinding([.enter, .char("l"), .right], .show(.detail), "open the feature", .list, hint: "open"),
        KeyBinding([.char("c")], .show(.compare), "compare with another dictionary", .list, hint: "compare", disabled: needsTwo),
        KeyBinding([.tab], .nextDictionary, "next dictionary", .list, hint: "dict",
                   disabled: { $0.dictionaries.count < 2 ? "there is only one dictionary" : nil }),
        KeyBinding([.char("s")], .cycleSort, "sort by the next column", .list, hint: "sort"),
        KeyBinding([.char("S")], .reverseSort, "reverse the sort direction", .list),
        KeyBinding([.char("f")], .nextFilter, "next filter preset", .list, hint: "filter"),
        KeyBinding([.char("F")], .previousFilter, "previous filter preset", .list),
        KeyBinding([.char("/")], .beginSearch, "search top tokens and concepts", .list, hint: "search"),
        KeyBinding([.char("A")], .beginAlphaFilter, "filter alpha > a value you type", .list),
        KeyBinding([.char("r")], .randomFeature, "random feature", .list),

        KeyBinding([.down, .char("j")], .scroll(1), "scroll down", .detail),
        KeyBinding([.up, .char("k")], .scroll(-1), "scroll up", .detail),
        KeyBinding([.pageDown, .char(" ")], .pageDown, "page down", .detail),
        KeyBinding([.pageUp, .char("b")], .pageUp, "page up", .detail),
        KeyBinding([.home, .char("g")], .home, "top", .detail),
        KeyBinding([.char("]"), .char("n")], .nextFeature, "next feature in the list", .detail, hint: "next"),
        KeyBinding([.char("["), .char("p")], .previousFeature, "previous feature in the list", .detail, hint: "prev"),
        KeyBinding([.char("w")], .cycleContextWindow, "context window ±5 / ±16 / whole", .detail, hint: "window"),
        KeyBinding([.char("r")], .randomFeature, "random feature", .detail),
        KeyBinding([.char("c")], .show(.compare), "compare with another dictionary", .detail, hint: "compare", disabled: needsTwo),
        KeyBinding([.char("h"), .left], .back, "back to the list", .detail),

        KeyBinding([.down, .char("j")], .scroll(1), "scroll down", .compare),
        KeyBinding([.up, .char("k")], .scroll(-1), "scroll up", .compare),
        KeyBinding([.char("]"), .char("n")], .nextMatch, "next match", .compare, hint: "next match"),
        KeyBinding([.char("["), .char("p")], .previousMatch, "previous match", .compare, hint: "prev match"),
        KeyBinding([.char("x")], .swapSides, "swap sides (the match becomes the left feature)", .compare, hint: "swap"),
        KeyBinding([.char("d")], .nextOtherDictionary, "compare with the next dictionary", .compare,
                   disabled: { $0.dictionaries.count < 3 ? "there are only two dictionaries" : nil }),
        KeyBinding([.char("w")], .cycleContextWindow, "context window ±5 / ±16 / whole", .compare),

        KeyBinding([.tab], .show(.list), "back to the list", .overview),

        KeyBinding([.char("1")], .setVerdict(.interpretable), "verdict: interpretable", .labels, hint: "…5 verdict", disabled: readOnly),
        KeyBinding([.char("2")], .setVerdict(.normDetector), "verdict: norm detector", .labels, disabled: readOnly),
        KeyBinding([.char("3")], .setVerdict(.uninterpretable), "verdict: uninterpretable", .labels, disabled: readOnly),
        KeyBinding([.char("4")], .setVerdict(.polysemantic), "verdict: polysemantic", .labels, disabled: readOnly),
        KeyBinding([.char("5")], .setVerdict(.unsure), "verdict: unsure", .labels, disabled: readOnly),
        KeyBinding([.char("0")], .setVerdict(nil), "clear the verdict", .labels, disabled: readOnly),
        KeyBinding([.char("e")], .editLabel(.concept), "edit the concept name", .labels, hint: "concept", disabled: readOnly),
        KeyBinding([.char("a")], .editLabel(.notes), "edit the notes", .labels, disabled: readOnly),
        KeyBinding([.char("u")], .undo, "undo the last label change", .labels, disabled: { s in
            s.readOnlyLabels ? "labels are read-only (no label file was given)" : s.undoStack.isEmpty ? "nothing to undo" : nil
        }),
        KeyBinding([.ctrl("r")], .redo, "redo", .labels, disabled: { s in
            s.readOnlyLabels ? "labels are read-only (no label file was given)" : s.redoStack.isEmpty ? "nothing to redo" : nil
        }),
        KeyBinding([.char("E")], .export, "export labels", .labels, disabled: { $0.canExport ? nil : "export is not available here" }),

        KeyBinding([.down, .char("j")], .helpScroll(1), "scroll down", .help),
        KeyBinding([.up, .char("k")], .helpScroll(-1), "scroll up", .help),
        KeyBinding([.pageDown, .char(" ")], .helpScroll(10), "page down", .help),
        KeyBinding([.pageUp, .char("b")], .helpScroll(-10), "page up", .help),
        KeyBinding([.char("?"), .escape, .char("q")], .toggleHelp, "close the help", .help, hint: "close"),
    ]

    /// Contexts searched for a key, most specific first.
    public static func activeContexts(_ state: ExplorerState) -> [KeyContext] {
        if state.showHelp { return [.help] }
        let screen: KeyContext = switch state.screen {
        case .list: .list
        case .detail: .detail
        case .compare: .compare
        case .overview: .overview
        }
        return state.screen == .overview ? [screen, .global] : [screen, .labels, .global]
    }

    /// Translates a key into an action for the current state (nil: the key does nothing here).
    /// An open prompt takes every key first; a disabled binding yields `.disabled(reason)`.
    public static func action(for key: Key, in state: ExplorerState) -> Action? {
        if key == .ctrl("c") { return .quit }
        if state.input != nil { return editAction(for: key) }
        for context in activeContexts(state) {
            if let binding = bindings.first(where: { $0.context == context && $0.keys.contains(key) }) {
                if let reason = binding.disabledReason(state) { return .disabled(reason) }
                return binding.action
            }
        }
        return nil
    }

    /// Keys inside a prompt.
    public static func editAction(for key: Key) -> Action? {
        switch key {
        case .char(let c): .edit(.insert(String(c)))
        case .paste(let text): .edit(.insert(text))
        case .backspace: .edit(.backspace)
        case .delete: .edit(.deleteForward)
        case .left: .edit(.left)
        case .right: .edit(.right)
        case .home, .ctrl("a"): .edit(.home)
        case .end, .ctrl("e"): .edit(.end)
        case .ctrl("u"): .edit(.killToStart)
        case .ctrl("k"): .edit(.killToEnd)
        case .enter: .edit(.submit)
        case .escape: .edit(.cancel)
        default: nil
        }
    }

    /// Bindings flagged as hints for the current state, in map order.
    public static func hints(for state: ExplorerState) -> [KeyBinding] {
        let contexts = activeContexts(state)
        let ordered = contexts.contains(.global) ? [.global] + contexts.filter { $0 != .global } : contexts
        return ordered.flatMap { c in bindings.filter { $0.context == c && $0.hint != nil } }
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
        out += "Generated from `KeyMap.bindings` (Sources/ExplorerUI/Core/KeyMap.swift); a test checks this file is current.\n"
        out += "Inside a prompt (search, jump, concept, notes, blind concept): ←/→ move by character, Home/End or ctrl-a/ctrl-e, Backspace,\n"
        out += "Delete, ctrl-u deletes to the start, ctrl-k to the end, Enter accepts, Esc cancels. ctrl-c always quits.\n"
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
