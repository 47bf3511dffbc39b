import CNcursesw
import Glibc
import SAEKit

/// Errors `runExplorer` throws (after restoring the terminal).
public enum ExplorerError: Error, CustomStringConvertible, Equatable {
    /// stdin/stdout is not a terminal.
    case notATerminal
    /// ncurses could not start on this terminal type.
    case terminalUnavailable(String)

    public var description: String {
        switch self {
        case .notATerminal: "the explorer needs a terminal: stdin and stdout must be a TTY (use `saex analyze` for text output)"
        case .terminalUnavailable(let term): "cannot start the terminal UI for TERM=\(term); set TERM to a known terminal type (e.g. xterm-256color)"
        }
    }
}

/// True when stdin and stdout are terminals, i.e. the explorer can run.
public func isInteractiveTerminal() -> Bool {
    isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
}

/// Runs the explorer full-screen until the user quits; returns the exit code (0).
///
/// Never starts ncurses unless stdin and stdout are terminals (throws `ExplorerError.notATerminal`).
/// The terminal is restored on every way out: normal quit, a thrown error, and SIGINT, SIGTERM,
/// SIGHUP, SIGQUIT or a fatal signal (the handler restores it and re-raises).
public func runExplorer(source: any FeatureSource, labels: (any LabelBook)?, options: ExplorerOptions) throws -> Int32 {
    guard isInteractiveTerminal() else { throw ExplorerError.notATerminal }
    let terminal = try NcursesTerminal(colorMode: options.colorMode, forceASCII: options.asciiOnly)
    defer { terminal.shutdown() }
    var sessionOptions = options
    sessionOptions.asciiOnly = terminal.asciiOnly
    let session = ExplorerSession(source: source, labels: labels, options: sessionOptions, size: terminal.size)
    session.runInBackground()
    while true {
        session.collectResults()
        terminal.draw(session.frame())
        if session.shouldQuit { break }
        if session.hasPendingEffects {
            session.runEffects()
            continue
        }
        // While the worker loads, wake every 40 ms to show its results; otherwise wait for a key,
        // waking every 250 ms: a SIGWINCH can land on a thread OpenBLAS created (its mask comes
        // from the process start), which does not interrupt this read, so a resize is noticed here.
        guard let key = terminal.readKey(timeoutMilliseconds: session.isWorking ? 40 : NcursesTerminal.idleWakeMilliseconds) else { continue }
        if key == .resize {
            session.resize(terminal.size)
            terminal.invalidate()
            continue
        }
        session.handle(key)
    }
    return 0
}
