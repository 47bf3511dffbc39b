import CSignals
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// saex's standard descriptors and process-wide signal setup, for executables.
///
/// Results go to standard output and their failure is an error (`writeResult` throws: a full disk,
/// a closed pipe, a file-size limit); diagnostics go to standard error and are dropped when they
/// cannot be written (`writeDiagnostic`), so a full or closed stderr never stops a build.
public enum StandardStreams {
    /// Reopens standard input, output and error on /dev/null when they are closed at start, so
    /// that the first file saex opens cannot become descriptor 1 and receive its output.
    public static func reopenClosedDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != fd {
                _ = dup2(opened, fd)
                close(opened)
            }
        }
    }

    /// Signal setup for a command-line run: temporary outputs are removed when SIGINT, SIGTERM,
    /// SIGHUP and the other terminating signals arrive (then saex dies by the signal, as before);
    /// SIGXFSZ is ignored, so a write past the file-size limit (`ulimit -f`) fails with EFBIG and
    /// is reported in one line instead of killing saex.
    public static func installSignalHandling() {
        saex_cleanup_install_handlers()
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Removes the registered temporary files (async-signal-safe): for signal handlers that end the
    /// process some other way (the explorer's terminal guard).
    public static func removeTemporaryFilesFromSignal() {
        saex_cleanup_run()
    }

    /// Sets `hook` to run (in the signal handler) before saex dies of a SIGBUS that no mapped file
    /// explains, e.g. to restore the terminal.
    public static func setFatalBusErrorHook(_ hook: @convention(c) () -> Void) {
        saex_mapguard_set_fatal_hook(hook)
    }

    /// Writes a result to standard output. Throws one line when it cannot be written, after
    /// checking that no mapped input changed while the result was computed.
    public static func writeResult(_ data: Data) throws {
        try MappedFile.checkUnchanged()
        do {
            try data.withUnsafeBytes { try OutputFile.writeAll(1, $0, path: "standard output") }
        } catch let e as SAEKitError {
            throw SAEKitError(.ioFailure, path: "standard output", reason: e.reason, remedy: "the result was not written in full")
        }
    }

    /// Writes a diagnostic to standard error; a failure is ignored.
    public static func writeDiagnostic(_ data: Data) {
        _ = data.withUnsafeBytes { FullIO.write(2, $0) }
    }
}
