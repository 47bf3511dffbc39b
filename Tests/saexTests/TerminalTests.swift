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
        t.start(cmd)
        try #require(t.waitFor("LIST") != nil)
        #expect(t.pane().contains("standard"))
        // Detail of feature 2 (a [CLS] feature in the demo), then compare.
        t.keys("Down", "Down", "Enter")
        try #require(t.waitFor("Top contexts") != nil)
        #expect(t.pane().contains("[CLS]"))
        t.keys("c")
        try #require(t.waitFor("COMPARE") != nil)
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
        t.keys("Escape")
        try #require(t.waitFor("LIST") != nil)
        t.keys("1")
        try #require(t.waitFor("saved") != nil)
        t.keys("e")
        t.literal("début de séquence 文頭 ✓")
        // Characters that arrive in one burst are read as a paste (which keeps newlines), so the
        // Enter goes only once the text is on screen, as a person's would.
        try #require(t.waitFor("début de séquence 文頭 ✓") != nil)
        t.keys("Enter")
        try #require(t.waitFor("saved") != nil)
        t.keys("q")
        try #require(t.waitFor("EXIT=0") != nil)
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
        t2.start(cmd)
        try #require(t2.waitFor("LIST") != nil)
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
        t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels) --author tester")
        try #require(t.waitFor("LIST") != nil)
        t.resize(20, 5)
        try #require(t.waitFor("too small") != nil)
        t.keys("3", "j", "j", "n")
        t.resize(120, 40)
        try #require(t.waitFor("LIST") != nil)
        #expect(!t.pane().contains("saved"), "a key acted while the screen was too small")
        // The selection did not move: Enter opens the first feature of the list, #0.
        t.keys("Enter")
        try #require(t.waitFor("DETAIL") != nil)
        #expect(t.pane().contains("feature 0  standard"), "the selection moved while the screen was too small")
        t.keys("q")
        try #require(t.waitFor("EXIT=0") != nil)
        let store = try LabelStore(path: labels, readOnly: true)
        #expect(store.allLabels.isEmpty, "labels written while the screen was too small: \(store.allLabels)")
    }

    /// Compare on the demo's [CLS] feature (cosine #1107): rank by activation correlation, move
    /// the focus to the right pane and label it, open the match with Enter and come back with Esc.
    @Test func compareRankFocusLabelAndOpenTheMatch() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels) --author tester --dict cosine --feature 1107")
        try #require(t.waitFor("DETAIL") != nil)
        t.keys("c")
        try #require(t.waitFor("labels act on the left") != nil)
        #expect(t.pane().contains("compare cosine #1107 with standard"))
        // Rank by decoder cosine, then by activation correlation: #865 fires on exactly the same tokens.
        t.keys("m")
        try #require(t.waitFor("by decoder cosine") != nil)
        t.keys("m")
        try #require(t.waitFor("by activation correlation") != nil)
        #expect(t.pane().contains("#865"))
        #expect(t.pane().contains("compare cosine #1107 with standard #865"), "\(t.pane())")
        // Focus: Tab and the arrows; the verdict goes to the focused (right) side.
        t.keys("Tab")
        try #require(t.waitFor("labels act on the right") != nil)
        t.keys("Left")
        try #require(t.waitFor("labels act on the left") != nil)
        t.keys("Right")
        try #require(t.waitFor("labels act on the right") != nil)
        t.keys("2")
        try #require(t.waitFor("label of feature 865 saved") != nil)
        // Enter opens the right feature's detail page; Esc comes back to compare.
        t.keys("Enter")
        try #require(t.waitFor("feature 865  standard") != nil)
        t.keys("Escape")
        try #require(t.waitFor("labels act on the right") != nil)
        t.keys("q")
        try #require(t.waitFor("EXIT=0") != nil)

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
        t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --read-only")
        try #require(t.waitFor("LIST") != nil)
        t.keys("P")
        try #require(t.waitFor("PAIRS") != nil)
        try #require(t.waitFor("concept A | B") != nil)
        t.keys("f")
        try #require(t.waitFor("filter mutual pairs") != nil)
        // Sort by score, highest first: the demo's strongest mutual pair is standard #1715 and cosine #583 (saex pairs agrees).
        t.keys("s")
        try #require(t.waitFor("sort score↓") != nil)
        t.keys("g")  // the selection stays on its pair when the order changes; g goes to the top
        try #require(t.waitFor("pair 1/") != nil)
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
        t.keys("Enter")
        try #require(t.waitFor("shell>") != nil)
        t.literal("\(CLI.binary) explore fixtures/demo/demo.saexcache --read-only")
        t.keys("Enter")
        try #require(t.waitFor("LIST") != nil)
        t.keys("C-z")
        try #require(t.waitFor("Stopped") != nil)
        #expect(!t.alternateScreen, "the alternate screen is still on while suspended")
        t.literal("stty -a | grep -o -- '-\\?icanon' | head -1")
        t.keys("Enter")
        let modes = try #require(
            t.waitUntil("stty prints icanon") { $0.split(separator: "\n").contains { $0 == "icanon" || $0 == "-icanon" } })
        #expect(modes.split(separator: "\n").contains("icanon"), "terminal left in raw mode while suspended")
        t.literal("fg")
        t.keys("Enter")
        try #require(t.waitFor("LIST") != nil)
        t.keys("j")
        try #require(t.waitFor("feature 2/2048") != nil)
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
        t.start("\(CLI.binary) explore fixtures/demo/demo.saexcache --labels \(labels)")
        try #require(t.waitFor("LIST") != nil)
        t.keys("4")
        try #require(t.waitFor("saved") != nil)
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
