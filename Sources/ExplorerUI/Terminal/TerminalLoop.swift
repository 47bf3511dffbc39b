import CNcursesw
import Glibc
import SAEKit

/// Errors the full-screen programs throw (after restoring the terminal).
public enum TerminalError: Error, CustomStringConvertible, Equatable {
    /// stdin or stdout is not a terminal: `program` (e.g. "the explorer") needs one; `alternative`
    /// says what gives the same information as text.
    case notATerminal(program: String, alternative: String)
    /// ncurses could not start on this terminal type.
    case terminalUnavailable(String)

    public var description: String {
        switch self {
        case .notATerminal(let program, let alternative):
            "\(program) needs a terminal (stdin and stdout must be a TTY); \(alternative)"
        case .terminalUnavailable(let term):
            "cannot start the terminal UI for TERM=\(term); set TERM to a known terminal type (e.g. xterm-256color)"
        }
    }
}

/// True when stdin and stdout are terminals, i.e. a full-screen program can run.
public func isInteractiveTerminal() -> Bool {
    isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
}

/// Throws `TerminalError.notATerminal` unless stdin and stdout are terminals.
public func requireInteractiveTerminal(program: String, alternative: String) throws {
    guard isInteractiveTerminal() else { throw TerminalError.notATerminal(program: program, alternative: alternative) }
}

/// The one terminal loop: draws the session's frame, runs its effects, reads keys, follows
/// resizes, suspends on ctrl-z, and returns when the program has finished.
///
/// While the worker loads, it wakes every 40 ms to show results; otherwise it waits for a key,
/// waking every 250 ms: a SIGWINCH can land on a thread OpenBLAS created (its mask comes from the
/// process start), which does not interrupt the read, so a resize is noticed here.
///
/// Before each frame it checks that no mapped file (the cache, its analysis) changed on disk: a
/// truncated file is survived by the SIGBUS guard with zeros in place of its bytes, and a file
/// copied over in place shows another cache's data; either ends the program with one line
/// ("CACHE: changed on disk while saex was reading it; reopen it"). Labels are on disk already.
func runProgram<P, E>(_ session: ProgramSession<P, E>, on terminal: NcursesTerminal) throws {
    session.runInBackground()
    while true {
        session.collectResults()
        try MappedFile.checkUnchanged(remedy: "reopen it (your saved labels are safe)")
        terminal.draw(session.frame())
        if session.shouldQuit { break }
        if session.hasPendingEffects {
            session.runEffects()
            continue
        }
        guard let key = terminal.readKey(timeoutMilliseconds: session.isWorking ? 40 : NcursesTerminal.idleWakeMilliseconds) else {
            continue
        }
        switch key {
        case .resize:
            session.resize(terminal.size)
            terminal.invalidate()
        case .ctrl("z"):
            terminal.suspend()
            session.resize(terminal.size)
            terminal.invalidate()
        default:
            session.handle(key)
        }
    }
}

/// Starts ncurses on the terminal (refusing when stdin or stdout is not one), runs `makeSession`'s
/// session in the loop, and restores the terminal on every way out: normal quit, a thrown error,
/// and every signal whose default action ends the process (the handler restores it and re-raises).
func withTerminal<P, E>(
    colorMode: ColorMode, asciiOnly: Bool?, program: String, alternative: String,
    _ makeSession: (TerminalSize, Bool) throws -> ProgramSession<P, E>
) throws {
    try requireInteractiveTerminal(program: program, alternative: alternative)
    let terminal = try NcursesTerminal(colorMode: colorMode, forceASCII: asciiOnly)
    defer { terminal.shutdown() }
    try runProgram(try makeSession(terminal.size, terminal.asciiOnly), on: terminal)
}
