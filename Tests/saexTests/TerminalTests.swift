import Foundation
import SAEKit
import Testing

/// The built binary in a real terminal (tmux): navigation, compare, resize, labelling with
/// non-ASCII text that survives a restart, and the terminal restored on quit and on signals.
@Suite(.serialized)
struct TerminalTests {
    @Test func browseLabelQuitReopen() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        let cmd = "\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels) --author tester"
        try t.start(cmd, until: "LIST")
        #expect(t.pane().contains("standard"))
        // Detail of feature 2 (a [CLS] feature in the demo), then compare.
        try t.press("Down", "Down", "Enter", until: "Top contexts")
        #expect(t.pane().contains("[CLS]"))
        try t.press("c", until: "COMPARE")
        #expect(t.pane().contains("matches in cosine"))
        // Resize small and back.
        t.resize(80, 24)
        try #require(t.waitFor("COMPARE") != nil)
        t.resize(30, 8)
        try #require(t.waitFor("too small") != nil)
        t.resize(120, 40)
        try #require(t.waitFor("COMPARE") != nil)
        // Back to the list, label feature 2 and name its concept with non-ASCII text.
        t.keys("Escape")
        try t.press("Escape", until: "LIST")
        try t.press("1", until: "saved")
        t.keys("e")
        t.literal("début de séquence 文頭 ✓")
        // Characters that arrive in one burst are read as a paste (which keeps newlines), so the
        // Enter goes only once the text is on screen, as a person's would.
        try #require(t.waitFor("début de séquence 文頭 ✓") != nil)
        try t.press("Enter", until: "saved")
        try t.press("q", until: "EXIT=0")
        try #require(t.waitFor("icanon") != nil)  // printed just after EXIT=
        #expect(!t.alternateScreen)
        #expect(t.pane().contains("\nicanon") || t.pane().hasPrefix("icanon"), "terminal modes not restored")

        // The label is on disk, keyed to the standard dictionary's fingerprint.
        let store = try LabelStore(path: labels, readOnly: true)
        let found = store.allLabels.first { $0.key.feature == 2 }
        #expect(found?.value.verdict == .interpretable)
        #expect(found?.value.concept == "début de séquence 文頭 ✓")
        #expect(found?.value.author == "tester")

        // Reopen: the explorer shows it.
        let t2 = Tmux()
        defer { t2.kill() }
        try t2.start(cmd, until: "LIST")
        t2.keys("Down", "Down", "Enter")
        #expect(t2.waitFor("début de séquence") != nil)
        t2.keys("q")
        #expect(t2.waitFor("EXIT=0") != nil)
    }

    /// Issue 15, defect 1, in a real terminal: while the screen only says it is too small, a verdict
    /// key and a move do nothing (they used to label a feature the user could not see).
    @Test func keysDoNothingWhileTheTerminalIsTooSmall() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        try t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels) --author tester", until: "LIST")
        t.resize(20, 5)
        try #require(t.waitFor("too small") != nil)
        t.keys("3", "j", "j", "n")
        t.resize(120, 40)
        try #require(t.waitFor("LIST") != nil)
        #expect(!t.pane().contains("saved"), "a key acted while the screen was too small")
        // The selection did not move: Enter opens the first feature of the list, #0.
        try t.press("Enter", until: "DETAIL")
        #expect(t.pane().contains("feature 0  standard"), "the selection moved while the screen was too small")
        try t.press("q", until: "EXIT=0")
        let store = try LabelStore(path: labels, readOnly: true)
        #expect(store.allLabels.isEmpty, "labels written while the screen was too small: \(store.allLabels)")
    }

    /// Compare on the demo's [CLS] feature (cosine #1107): rank by activation correlation, move
    /// the focus to the right pane and label it, open the match with Enter and come back with Esc.
    @Test func compareRankFocusLabelAndOpenTheMatch() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        try t.start(
            "\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels) --author tester --dict cosine --feature 1107",
            until: "DETAIL")
        try t.press("c", until: "labels act on the left")
        #expect(t.pane().contains("compare cosine #1107 with standard"))
        // Rank by decoder cosine, then by activation correlation: #865 fires on exactly the same tokens.
        try t.press("m", until: "by decoder cosine")
        try t.press("m", until: "by activation correlation")
        #expect(t.pane().contains("#865"))
        #expect(t.pane().contains("compare cosine #1107 with standard #865"), "\(t.pane())")
        // Focus: Tab and the arrows; the verdict goes to the focused (right) side.
        try t.press("Tab", until: "labels act on the right")
        try t.press("Left", until: "labels act on the left")
        try t.press("Right", until: "labels act on the right")
        try t.press("2", until: "label of feature 865 saved")
        // Enter opens the right feature's detail page; Esc comes back to compare.
        try t.press("Enter", until: "feature 865  standard")
        try t.press("Escape", until: "labels act on the right")
        try t.press("q", until: "EXIT=0")

        let store = try LabelStore(path: labels, readOnly: true)
        #expect(store.allLabels.count == 1)
        let found = try #require(store.allLabels.first)
        #expect(found.key.feature == 865 && found.value.verdict == .normDetector && found.value.author == "tester")
        let standard = try CacheFeatureSource(path: CLI.root + "/fixtures/demo/demo.saexcache").dictionaries.first { $0.name == "standard" }
        #expect(found.key.fingerprint == standard?.fingerprint)
    }

    /// The pairs screen: filter to mutual pairs, sort by score, Enter opens the pair in compare.
    @Test func pairsFilterSortAndOpen() throws {
        try #require(Tmux.available, "tmux is required (scripts/bootstrap.sh installs it)")
        let t = Tmux()
        defer { t.kill() }
        try t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --read-only", until: "LIST")
        try t.press("P", until: "PAIRS")
        try #require(t.waitFor("concept A | B") != nil)
        try t.press("f", until: "filter mutual pairs")
        // Sort by score, highest first: the demo's strongest mutual pair is standard #1715 and cosine #583 (saex pairs agrees).
        try t.press("s", until: "sort score↓")
        try t.press("g", until: "pair 1/")  // the selection stays on its pair when the order changes; g goes to the top
        let pane = try #require(t.waitFor("   1715 "))
        let first = try #require(pane.split(separator: "\n").first { $0.contains("1715") })
        #expect(first.contains("583"))
        t.keys("Enter")
        #expect(t.waitFor("compare standard #1715 with cosine #583") != nil)
        t.keys("q")
        #expect(t.waitFor("EXIT=0") != nil)
    }

    /// ctrl-z suspends like every full-screen program: the shell gets the job back with the
    /// terminal restored, `fg` redraws the explorer, and a key afterwards acts in it.
    @Test func ctrlZSuspendsAndFgResumes() throws {
        try #require(Tmux.available, "tmux is required (scripts/bootstrap.sh installs it)")
        let t = Tmux()
        defer { t.kill() }
        t.startShell("exec bash --norc --noprofile -i")
        t.literal("PS1='shell''> '")
        try t.press("Enter", until: "shell>")
        t.literal("\(CLI.binary) explore fixtures/demo/demo.saexcache --read-only")
        try t.press("Enter", until: "LIST")
        try t.press("C-z", until: "Stopped")
        #expect(!t.alternateScreen, "the alternate screen is still on while suspended")
        t.literal("stty -a | grep -o -- '-\\?icanon' | head -1")
        t.keys("Enter")
        let modes = try #require(
            t.waitUntil("stty prints icanon") { $0.split(separator: "\n").contains { $0 == "icanon" || $0 == "-icanon" } })
        #expect(modes.split(separator: "\n").contains("icanon"), "terminal left in raw mode while suspended")
        t.literal("fg")
        try t.press("Enter", until: "LIST")
        try t.press("j", until: "feature 2/2048")
        t.keys("q")
        // Type only once the shell prompts again: keys sent while saex restores the terminal are
        // discarded with its pending input (this raced under load).
        let prompt = t.waitUntil("the shell prompts again") { pane in
            pane.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces)
                == "shell>"
        }
        try #require(prompt != nil)
        t.literal("echo EXIT=$?")
        t.keys("Enter")
        #expect(t.waitFor("EXIT=0") != nil)
    }

    @Test(arguments: ["TERM", "INT", "HUP"])
    func signalsRestoreTheTerminal(_ signal: String) throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        try t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels)", until: "LIST")
        try t.press("4", until: "saved")
        // The saex process is the pane shell's child.
        let pid = try #require(t.panePID)
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-P", String(pid)]
        let out = Pipe()
        pgrep.standardOutput = out
        try pgrep.run()
        pgrep.waitUntilExit()
        let child = try #require(
            Int32(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").first ?? ""))
        let signo: Int32 = signal == "TERM" ? SIGTERM : signal == "INT" ? SIGINT : SIGHUP
        kill(child, signo)
        try #require(t.waitFor("EXIT=") != nil)
        // The pane prints the stty flag just after EXIT=; wait for it rather than racing it.
        try #require(t.waitFor("icanon") != nil)
        #expect(!t.alternateScreen, "alternate screen left on after SIG\(signal)")
        #expect(t.pane().contains("icanon") && !t.pane().contains("-icanon"), "terminal modes not restored after SIG\(signal)")
        let store = try LabelStore(path: labels, readOnly: true)
        #expect(store.allLabels.values.contains { $0.verdict == .polysemantic }, "the label saved before SIG\(signal) is missing")
    }
}
