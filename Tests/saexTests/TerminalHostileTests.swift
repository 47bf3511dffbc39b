import Foundation
import SAEKit
import Testing

/// The explorer in a real terminal (tmux) against hostile and unlucky conditions (issue 19): fatal
/// signals of every class, a file-size limit, TERM=dumb, the C locale, the cache changed on disk,
/// the labels file deleted. After each run the terminal must be as it was.
@Suite(.serialized)
struct TerminalHostileTests {
    typealias Run = TerminalRun

    static func requireTools() throws {
        try #require(Tmux.available, "tmux is required (scripts/bootstrap.sh installs it)")
    }

    // MARK: Item 7: every signal whose default action ends the process

    /// One signal per class beyond the ones the older tests send (INT, TERM, HUP): user, timer,
    /// resource limit, I/O.
    @Test(arguments: [("USR1", SIGUSR1), ("ALRM", SIGALRM), ("XCPU", SIGXCPU), ("PIPE", SIGPIPE)])
    func fatalSignalsOfEveryClassRestoreTheTerminal(_ name: String, _ signo: Int32) throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        r.explore()
        try #require(r.tmux.waitFor("LIST") != nil)
        try r.tmux.press("4", until: "saved")
        let pid = try #require(r.saexPID())
        kill(pid, signo)
        try #require(r.tmux.waitFor("EXIT=\(128 + signo)") != nil, "SIG\(name): not the signal's exit status")
        try r.expectRestored("SIG\(name)")
        #expect(
            try r.labelStore().allLabels.values.contains { $0.verdict == .polysemantic }, "the label saved before SIG\(name) is missing")
    }

    /// `ulimit -f`: SIGXFSZ is ignored, so the append fails with EFBIG and the label shows as NOT
    /// saved; the explorer goes on and quits normally.
    @Test func aFileSizeLimitFailsTheSaveInsteadOfKillingTheExplorer() throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        r.explore(prefix: "ulimit -f 2; ")
        try #require(r.tmux.waitFor("LIST") != nil)
        var failed = false
        for _ in 0..<40 where !failed {
            r.tmux.keys("1")
            let pane = r.tmux.waitUntil("a save answered") { $0.contains("saved") } ?? ""
            failed = pane.contains("NOT saved")
            r.tmux.keys("Down")
        }
        #expect(failed, "no save ever failed under ulimit -f 2")
        #expect(r.tmux.pane().contains("File too large"), "\(r.tmux.pane())")
        r.tmux.keys("q")
        try #require(r.tmux.waitFor("EXIT=0") != nil, "the explorer did not quit normally")
        try r.expectRestored("ulimit -f")
    }

    // MARK: Item 14

    @Test func aTerminalWithoutCursorAddressingIsRefusedInOneLine() throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        r.explore(prefix: "TERM=dumb ")  // tmux sets TERM for the pane itself
        let pane = try #require(r.tmux.waitFor("EXIT="))
        #expect(
            pane.contains(
                "saex: cannot start the terminal UI for TERM=dumb; set TERM to a known terminal type (e.g. xterm-256color)\nEXIT=2"),
            "\(pane)")
        try r.expectRestored("TERM=dumb")
        let saved = FileManager.default.fileExists(atPath: r.labels) ? try r.labelStore().allLabels.count : 0
        #expect(saved == 0)
    }

    // MARK: Item 15

    @Test func typedTextArrivesWholeInTheCLocale() throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        r.explore(env: ["LC_ALL": "C"])
        try #require(r.tmux.waitFor("LIST") != nil)
        try r.tmux.press("1", until: "saved")
        try r.tmux.press("e", until: "concept of")
        r.tmux.literal("café ✓ 文")
        // ASCII mode draws what it cannot show as '?'; wait for the text, then Enter.
        try #require(r.tmux.waitFor("caf? ? ??") != nil)
        r.tmux.keys("Enter")
        try #require(r.tmux.waitUntil("saved") { $0.contains("saved") && !$0.contains("concept of") } != nil)
        try r.tmux.press("q", until: "EXIT=0")
        try r.expectRestored("LC_ALL=C")
        #expect(try r.labelStore().allLabels.values.map(\.concept) == ["café ✓ 文"])
    }

    // MARK: Item 6

    /// The cache truncated, or another file copied over it in place, while the explorer shows it:
    /// one line, exit 1, terminal restored, labels saved before kept.
    @Test(arguments: ["truncate -s 4096", "cp fixtures/demo/demo.saexcache.analysis"])
    func aCacheChangedUnderTheExplorerEndsItInOneLine(_ change: String) throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        let cache = r.dir + "/c.saexcache"
        try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/demo/demo.saexcache", toPath: cache)
        try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/demo/demo.saexcache.analysis", toPath: cache + ".analysis")
        r.explore(cache)
        try #require(r.tmux.waitFor("LIST") != nil)
        try r.tmux.press("2", until: "saved")
        let c = try CLI.run(["-c", "\(change) '\(cache)'"], executable: "/bin/sh")
        try #require(c.status == 0, "\(c.stderr)")
        r.tmux.keys("Down", "Enter", "c")
        let pane = try #require(r.tmux.waitFor("EXIT="))
        let flat = pane.replacingOccurrences(of: "\n", with: "")  // capture-pane splits lines longer than the pane
        #expect(
            flat.contains("saex: \(cache): changed on disk while saex was reading it; reopen it (your saved labels are safe)EXIT=1"),
            "\(pane)")
        try r.expectRestored(change)
        #expect(try r.labelStore().allLabels.values.contains { $0.verdict == .normDetector })
    }

    // MARK: Items 4 and 17

    /// The labels file deleted under the explorer: the next save rewrites it from memory and says
    /// so; the message is longer than the status row and wraps, whole, onto the row above.
    @Test func theLabelsFileDeletedUnderTheExplorerIsRewrittenAndTheMessageWraps() throws {
        try Self.requireTools()
        let r = try Run()
        defer { r.cleanup() }
        r.explore(width: 90)
        try #require(r.tmux.waitFor("LIST") != nil)
        try r.tmux.press("1", until: "saved")
        try FileManager.default.removeItem(atPath: r.labels)
        r.tmux.keys("Down", "3")
        let pane = try #require(r.tmux.waitFor("saved the change"))
        let flat = pane.split(separator: "\n").suffix(3).joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(
            flat.contains("the labels file was deleted while saex had it open; rewrote it from memory (1 label) and saved the change"),
            "\(pane)")
        try r.tmux.press("q", until: "EXIT=0")
        try r.expectRestored("labels file deleted")
        let verdicts = try r.labelStore().allLabels.values.compactMap(\.verdict)
        #expect(Set(verdicts) == [.interpretable, .uninterpretable], "\(verdicts)")
    }
}
