import Foundation
import SAEKit

/// Runs a `Program` without a terminal: holds its state, turns keys into actions, performs effects
/// through the performer and renders frames. The terminal loop (`runProgram`) and the tests drive
/// the same object.
///
/// Effects are queued by `handle`/`send` and run by `runEffects()`, so a frame showing "loading…"
/// can be drawn before a slow load starts. With `runInBackground()`, effects the performer marks as
/// background work run in order on one worker thread and their results arrive through
/// `collectResults()`; the others (label saves) always run on the calling thread, in order.
public final class ProgramSession<P: Program, Performer: EffectPerformer> where Performer.P == P {
    public private(set) var state: P.State
    /// Performs the effects; settable so tests can pin its clock (changes after `runInBackground`
    /// reach only effects run on the calling thread).
    public var performer: Performer
    public var asciiOnly: Bool
    public private(set) var size: TerminalSize
    private var pending: [P.Effect] = []
    private var worker: EffectWorker<Performer>?

    public init(program: P.Type = P.self, state: P.State, performer: Performer, size: TerminalSize, asciiOnly: Bool = false) {
        self.state = state
        self.performer = performer
        self.size = size
        self.asciiOnly = asciiOnly
    }

    /// True once the program has finished.
    public var shouldQuit: Bool { state.quitRequested }
    public var hasPendingEffects: Bool { !pending.isEmpty }

    /// Decodes a key and applies its action. While the screen is too small to show anything but a
    /// note, every key but quit is ignored (the user cannot see what it would act on). A paste
    /// outside a prompt counts as the keys a person would have typed.
    public func handle(_ key: Key) {
        if P.isTooSmall(size) {
            if key == .ctrl("c") || key == .char("q") { send(.quit) }
            return
        }
        if case .paste(let text) = key, !P.isEditingText(state) {
            for k in Key.typedKeys(fromPaste: text) { handle(k) }
            return
        }
        if key == .ctrl("c") {
            send(.quit)
            return
        }
        if let action = P.action(for: key, in: state) { send(action) }
    }

    /// Applies an action; its effects are queued.
    public func send(_ action: P.Action) {
        P.update(&state, action, effects: &pending)
    }

    /// Runs queued effects (and those they cause) until none remain; background work goes to the
    /// worker when there is one.
    public func runEffects() {
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            if let worker, performer.runsInBackground(effect) {
                worker.submit(effect)
            } else {
                for action in performer.perform(effect) { send(action) }
            }
        }
    }

    /// `handle` then `runEffects`, for each key.
    public func press(_ keys: Key...) {
        for k in keys {
            handle(k)
            runEffects()
        }
    }

    public func resize(_ size: TerminalSize) {
        self.size = size
        send(.resize(width: size.width, height: size.height))
    }

    /// The current frame.
    public func frame() -> ScreenBuffer { P.render(state, size: size, asciiOnly: asciiOnly) }

    /// From now on, run background effects on a worker thread so keys stay responsive.
    public func runInBackground() {
        if worker == nil { worker = EffectWorker(performer: performer) }
    }

    /// True while the worker has work queued or running, or results not yet collected.
    public var isWorking: Bool { worker.map { $0.busy || $0.hasResults } ?? false }

    /// Applies results the worker finished since the last call; returns how many.
    @discardableResult
    public func collectResults() -> Int {
        guard let worker else { return 0 }
        let results = worker.drain()
        for action in results { send(action) }
        return results.count
    }

    /// Waits (for tests) until the worker is idle, applying results and running the effects they cause.
    public func settle() {
        runEffects()
        while isWorking || hasPendingEffects {
            if collectResults() == 0 { worker?.waitBriefly() }
            runEffects()
        }
    }
}
