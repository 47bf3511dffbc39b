import Foundation
import SAEKit
import Testing

/// A private tmux server driving the real binary (tig/fzf style): send keys, poll the pane for
/// text with a timeout, and print the pane when something is not found.
final class Tmux {
    let server = "saex-test-\(UUID().uuidString.prefix(8))"
    let session = "S"

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs a tmux client command through posix_spawn + waitpid, output through a file: a command
    /// that starts the server hands its stdio to the daemon, so pipes would never reach EOF, and
    /// Foundation's Process does not reliably reap a client whose child became the daemon.
    @discardableResult
    func run(_ args: [String]) -> String {
        let outPath = NSTemporaryDirectory() + "tmux-out-" + UUID().uuidString
        defer { unlink(outPath) }
        let argv = ["/usr/bin/tmux", "-L", server, "-f", "/dev/null"] + args
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        // Test-runner threads block signals; the server (and the program under test) must not
        // inherit that mask, so start from an empty one with default handlers.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, &attr, &cargs, environ) == 0 else { return "" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    /// Starts `command` in a 120x40 pane with a pinned environment; the pane prints EXIT=<status>
    /// and the terminal's canonical-mode flag when the command ends.
    func start(_ command: String, width: Int = 120, height: Int = 40, env: [String: String] = [:]) {
        startShell(
            "\(command); echo EXIT=$?; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 120", width: width, height: height, env: env)
    }

    /// Starts the shell command line `script` (run by sh in the repository root) in a pane.
    func startShell(_ script: String, width: Int = 120, height: Int = 40, env: [String: String] = [:]) {
        var args = ["new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), "-e", "LANG=C.UTF-8", "-e", "TZ=UTC"]
        for (k, v) in env { args += ["-e", "\(k)=\(v)"] }
        args.append("cd \(CLI.root) && \(script)")
        run(args)
    }

    func keys(_ keys: String...) { run(["send-keys", "-t", session] + keys) }
    func literal(_ text: String) { run(["send-keys", "-t", session, "-l", text]) }
    func pane() -> String { run(["capture-pane", "-p", "-t", session]) }
    func resize(_ w: Int, _ h: Int) { run(["resize-window", "-t", session, "-x", String(w), "-y", String(h)]) }
    var alternateScreen: Bool {
        run(["display", "-p", "-t", session, "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }
    var panePID: Int32? { Int32(display("#{pane_pid}")) }
    /// The first child of the pane's shell (the program it started), found with `pgrep -P`.
    var childPID: Int32? {
        guard let shell = panePID else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        p.arguments = ["-P", String(shell)]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return Int32(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").first ?? "")
    }
    /// A tmux format evaluated for the pane, e.g. `#{cursor_flag}`.
    func display(_ format: String) -> String {
        run(["display", "-p", "-t", session, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// `capture-pane -e`: the text with the escape sequences of the cells' attributes.
    func paneWithAttributes() -> String { run(["capture-pane", "-p", "-e", "-t", session]) }

    /// Waits until the pane shows `text`; returns the pane, or nil after `timeout` (printing it).
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 15) -> String? {
        let end = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < end {
            last = pane()
            if last.contains(text) { return last }
            usleep(100_000)
        }
        print("---- pane (waiting for \"\(text)\") ----\n\(last)\n----")
        return nil
    }

    /// Waits until `condition` holds for the pane; returns the pane, or nil after `timeout` (printing it).
    @discardableResult
    func waitUntil(_ what: String, timeout: TimeInterval = 15, _ condition: (String) -> Bool) -> String? {
        let end = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < end {
            last = pane()
            if condition(last) { return last }
            usleep(50_000)
        }
        print("---- pane (waiting until \(what)) ----\n\(last)\n----")
        return nil
    }

    /// Sends `keys` and waits until the pane shows `text`; when it never does, the test stops here.
    func press(_ keys: String..., until text: String, timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        run(["send-keys", "-t", session] + keys)
        try #require(waitFor(text, timeout: timeout) != nil, sourceLocation: sourceLocation)
    }

    /// Starts `command` as `start(_:)` does and waits until the pane shows `text`; when it never
    /// does, the test stops here.
    func start(_ command: String, until text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        start(command)
        try #require(waitFor(text) != nil, sourceLocation: sourceLocation)
    }

    func kill() { run(["kill-server"]) }
}

/// One terminal test's tmux server and temporary folder (with the labels path inside it):
/// `cleanup()` kills the server and removes the folder.
final class TerminalRun {
    let tmux = Tmux()
    let dir: String
    var labels: String { dir + "/l.labels" }

    init() throws {
        try #require(Tmux.available, "tmux is required (scripts/bootstrap.sh installs it)")
        dir = NSTemporaryDirectory() + "saex-term-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// Runs `command` (a shell line) between two `stty -g` snapshots; the pane then prints
    /// EXIT=<status> and DONE.
    func start(_ command: String, width: Int = 120, env: [String: String] = [:]) {
        tmux.startShell(
            "stty -g > \(dir)/stty.before; \(command); echo EXIT=$?; stty -g > \(dir)/stty.after; echo DONE; sleep 120",
            width: width, env: env)
    }

    func explore(_ cache: String = "fixtures/demo/demo.saexcache", prefix: String = "", width: Int = 120, env: [String: String] = [:]) {
        start("\(prefix)\(CLI.binary) explore \(cache) --labels \(labels) --author tester", width: width, env: env)
    }

    /// The saex process: the pane shell's child.
    func saexPID() -> Int32? { tmux.childPID }

    /// The terminal is back as it was: same termios modes, alternate screen off, cursor visible.
    func expectRestored(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(tmux.waitFor("DONE") != nil, "\(what): the shell did not go on", sourceLocation: sourceLocation)
        let before = try String(contentsOfFile: dir + "/stty.before", encoding: .utf8)
        let after = try String(contentsOfFile: dir + "/stty.after", encoding: .utf8)
        #expect(before == after, "\(what): terminal modes differ", sourceLocation: sourceLocation)
        #expect(!tmux.alternateScreen, "\(what): alternate screen left on", sourceLocation: sourceLocation)
        #expect(tmux.display("#{cursor_flag}") == "1", "\(what): cursor left hidden", sourceLocation: sourceLocation)
        #expect(
            !tmux.pane().contains("Backtrace") && !tmux.pane().contains("Fatal error"), "\(what): crash text",
            sourceLocation: sourceLocation)
    }

    func labelStore() throws -> LabelStore { try LabelStore(path: labels, readOnly: true) }

    func cleanup() {
        tmux.kill()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
