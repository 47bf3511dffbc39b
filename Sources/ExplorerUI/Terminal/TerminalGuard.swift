import CNcursesw
import Glibc
import SAEKit

/// Restores the terminal when the process dies from a signal, htop-style: the handler only calls
/// async-signal-safe functions (write, tcsetattr, sigaction, raise) on data prepared beforehand,
/// then re-raises the signal with its default action so the exit status stays honest.
enum TerminalGuard {
    nonisolated(unsafe) static var restoreBytes: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var restoreCount = 0
    nonisolated(unsafe) static var savedTermios = termios()
    nonisolated(unsafe) static var haveTermios = false
    nonisolated(unsafe) static var installed = false

    /// Every signal whose default action ends the process (signal(7)): a user's kill, a fault, a
    /// timer or a resource limit must all leave the terminal usable. SIGBUS belongs to the mapped
    /// files' guard (a file truncated under its mapping is survived, not fatal); it restores the
    /// terminal through a hook before a SIGBUS it cannot explain ends the process.
    static let signals: [Int32] = [
        SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
        SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGPWR, SIGSTKFLT, SIGPIPE, SIGIO
    ]

    /// Saves the terminal modes; call before ncurses changes them.
    static func saveModes() {
        haveTermios = tcgetattr(STDIN_FILENO, &savedTermios) == 0
    }

    /// Prepares the bytes that undo full-screen mode (from terminfo after ncurses started) and installs handlers.
    static func install() {
        var bytes: [UInt8] = []
        for cap in ["rmcup", "cnorm", "sgr0", "rmkx"] {
            let value = cap.withCString { name in tigetstr(UnsafeMutablePointer(mutating: name)) }
            if let value, Int(bitPattern: value) != -1 {
                bytes += Array(String(cString: value).utf8)
            }
        }
        if bytes.isEmpty { bytes = Array("\u{1B}[?1049l\u{1B}[?25h\u{1B}[0m".utf8) }
        bytes += Array("\r\n".utf8)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        buffer.initialize(from: bytes, count: bytes.count)
        restoreBytes = buffer
        restoreCount = bytes.count
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            TerminalGuard.restoreFromSignal()
            StandardStreams.removeTemporaryFilesFromSignal()
            var reset = sigaction()
            reset.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&reset.sa_mask)
            sigaction(signal, &reset, nil)
            raise(signal)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        for s in signals { sigaction(s, &action, nil) }
        StandardStreams.setFatalBusErrorHook { TerminalGuard.restoreFromSignal() }
        // A file-size limit (ulimit -f) must not kill the explorer mid-save: with SIGXFSZ ignored
        // the write fails with EFBIG and the label shows as NOT saved, like a full disk.
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigemptyset(&ignore.sa_mask)
        sigaction(SIGXFSZ, &ignore, nil)
        // A parent may have started us with these signals blocked (the mask is inherited across
        // exec): unblock them, and SIGWINCH for resizes, or quit-by-signal and resize would be lost.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in signals + [SIGWINCH, SIGBUS] { sigaddset(&unblock, s) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        installed = true
    }

    /// Async-signal-safe part: write the restore sequence and put the saved modes back.
    static func restoreFromSignal() {
        if let bytes = restoreBytes { _ = write(STDOUT_FILENO, bytes, restoreCount) }
        if haveTermios { tcsetattr(STDIN_FILENO, TCSANOW, &savedTermios) }
    }

    /// Puts default handlers back after a normal exit.
    static func uninstall() {
        guard installed else { return }
        var reset = sigaction()
        reset.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&reset.sa_mask)
        for s in signals { sigaction(s, &reset, nil) }
        StandardStreams.setFatalBusErrorHook {}
        installed = false
    }
}
