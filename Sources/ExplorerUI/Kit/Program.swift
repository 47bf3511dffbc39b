import SAEKit

/// A full-screen program in the Elm shape: a state value, actions, a pure `update` that returns
/// the next state and the effects to perform, and a pure `render` into a screen buffer. The
/// explorer and the blind A/B screen are both programs; `ProgramSession` runs either, headless in
/// tests or under `runProgram` in a terminal.
public protocol Program {
    associatedtype State: Equatable & Sendable & ProgramChrome
    associatedtype Action: ProgramAction
    associatedtype Effect: Sendable

    /// The only state transition: changes `state` and appends the effects to perform. Never reads
    /// files or the clock; work that needs them is an effect.
    static func update(_ state: inout State, _ action: Action, effects: inout [Effect])
    /// Draws `state` (pure; reads nothing but the state).
    static func render(_ state: State, size: TerminalSize, asciiOnly: Bool) -> ScreenBuffer
    /// The action a key produces in `state` (nil: the key does nothing here).
    static func action(for key: Key, in state: State) -> Action?
    /// True while a text prompt is open: a paste is then text, not a run of key presses.
    static func isEditingText(_ state: State) -> Bool
    /// The terminal size below which the screen only says it is too small and ignores keys.
    static var minimumSize: TerminalSize { get }
}

/// The actions every program has; an enum's cases `quit` and `resize(width:height:)` provide them.
public protocol ProgramAction: Sendable {
    /// Quits: for keys that must always work (ctrl-c, and `q` on a too-small screen).
    static var quit: Self { get }
    /// Records a new terminal size.
    static func resize(width: Int, height: Int) -> Self
}

/// What every program's state keeps around its body: the screen size, the help overlay and the
/// quit flag. The reducers handle the matching actions through these methods, so the rules are one.
public protocol ProgramChrome {
    var width: Int { get set }
    var height: Int { get set }
    var showHelp: Bool { get set }
    var helpScroll: Int { get set }
    var quitRequested: Bool { get set }
}

extension ProgramChrome {
    /// Opens or closes the help overlay, at its top.
    mutating func toggleHelp() {
        showHelp.toggle()
        helpScroll = 0
    }

    /// Scrolls the help overlay within [0, limit].
    mutating func scrollHelp(by delta: Int, limit: Int) {
        helpScroll = Scrolling.offset(helpScroll, by: delta, limit: limit)
    }

    /// Records a new terminal size (a negative one reads as 0).
    mutating func resize(width w: Int, height h: Int) {
        width = max(0, w)
        height = max(0, h)
    }
}

/// Performs a program's effects. An effect becomes result actions for the program, without any
/// reference back to the session: everything it needs travels in the effect.
public protocol EffectPerformer<P>: Sendable {
    associatedtype P: Program
    /// Runs `effect` (on the calling thread) and returns the actions reporting its outcome.
    func perform(_ effect: P.Effect) -> [P.Action]
    /// True for effects that only read (contexts, orders) and may run on the background worker;
    /// false for those that must run on the main thread in order (label saves).
    func runsInBackground(_ effect: P.Effect) -> Bool
    /// True when `newer` makes `older` pointless (a newer order request while typing a search):
    /// the worker then skips `older` if it has not started.
    func supersedes(_ newer: P.Effect, _ older: P.Effect) -> Bool
}

extension EffectPerformer {
    public func runsInBackground(_ effect: P.Effect) -> Bool { false }
    public func supersedes(_ newer: P.Effect, _ older: P.Effect) -> Bool { false }
}

extension Program {
    /// `update` as a function of values: the next state and the effects (what the tests call).
    static func update(_ state: State, _ action: Action) -> (State, [Effect]) {
        var next = state
        var effects: [Effect] = []
        update(&next, action, effects: &effects)
        return (next, effects)
    }

    /// True when `size` is below `minimumSize` (the screen then shows only a note).
    static func isTooSmall(_ size: TerminalSize) -> Bool {
        size.width < minimumSize.width || size.height < minimumSize.height
    }
}
