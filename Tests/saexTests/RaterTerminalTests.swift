import Foundation
import SAEKit
import Testing

/// The explorer and the blind screen with raters, in a real terminal (tmux): --read-only shows the
/// labels and says why keys do nothing, a busy labels file suggests --read-only, the author falls
/// back to the password database, and a complete blind session's answers become labels.
@Suite(.serialized)
struct RaterTerminalTests {
    static let demo = "fixtures/demo/demo.saexcache"

    static func standard() throws -> String {
        try #require(try CacheFeatureSource(path: CLI.root + "/" + demo).dictionaries.first { $0.name == "standard" }?.fingerprint)
    }

    @Test func readOnlyShowsTheLabelsAndSaysWhyKeysDoNothing() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        let key = FeatureKey(fingerprint: try Self.standard(), feature: 2)
        try LabelStore(path: labels, rater: "tester").setLabel(FeatureLabel(verdict: .normDetector, concept: "the CLS slot"), for: key)
        let before = try Data(contentsOf: URL(fileURLWithPath: labels))
        try t.start("\(CLI.binary) explore \(Self.demo) --labels \(labels) --author tester --read-only", until: "LIST")
        #expect(t.pane().contains("read-only"))
        t.keys("Down", "Down", "Enter")
        #expect(t.waitFor("the CLS slot") != nil, "the stored label is shown")
        t.keys("1")
        #expect(t.waitFor("labels are read-only (--read-only)") != nil)
        t.keys("o")
        #expect(t.waitFor("labelled 1") != nil, "the overview counts the label")
        t.keys("q")
        #expect(t.waitFor("EXIT=0") != nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: labels)) == before, "read-only never writes")
    }

    @Test func aBusyLabelsFileSuggestsReadOnly() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        let holder = try LabelStore(path: labels)  // another saex, as far as the lock can tell
        defer { holder.close() }
        t.start("\(CLI.binary) explore \(Self.demo) --labels \(labels)")
        let pane = try #require(t.waitFor("EXIT=1"))
        let expected =
            "already open in another saex process (pid \(getpid())); "
            + "close the other saex, or add --read-only to look without changing them"
        #expect(pane.replacingOccurrences(of: "\n", with: "").contains(expected))
    }

    @Test func withoutUSERTheAuthorIsTheLoginName() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, labels) = (run.tmux, run.labels)
        try t.start("env -u USER -u LOGNAME -u SAEX_AUTHOR \(CLI.binary) explore \(Self.demo) --labels \(labels)", until: "LIST")
        try t.press("5", until: "saved")
        try t.press("q", until: "EXIT=0")
        let name = try #require(LabelAuthor.passwdName())
        let stored = try LabelStore(path: labels, readOnly: true).everyLabel.all
        #expect(stored.map(\.rater) == [name] && stored.first?.label.verdict == .unsure)
    }

    @Test func aCompleteBlindSessionIsStoredAsTheRatersBlindLabels() throws {
        let run = try TerminalRun()
        defer { run.cleanup() }
        let (t, dir) = (run.tmux, run.dir)
        let cache = try copyDemoCache(into: dir)
        let session = try makeBlindSession(cache, perDictionary: 2, seed: 5)
        for id in session.order { try session.record(BlindAnswer(id: id, rating: .maybe, concept: "answered")) }
        let features = Set(session.features)
        session.close()
        // bob labelled one of the features by hand before: that label stays.
        let handMade = try #require(features.first)
        let bob = FeatureLabel(verdict: .interpretable, concept: "by hand")
        try LabelStore(path: cache + ".labels", rater: "bob").setLabel(bob, for: handMade)

        try t.start("\(CLI.binary) blind run \(cache) --author bob 2>\(dir)/err.txt", until: "REPORT")
        try t.press("q", until: "EXIT=0")
        let store = try LabelStore(path: cache + ".labels", readOnly: true, rater: "bob")
        let mine = store.allLabels
        #expect(Set(mine.keys) == features)
        #expect(mine[handMade]?.concept == "by hand" && mine[handMade]?.provenance == .manual)
        #expect(
            mine.filter { $0.key != handMade }.values.allSatisfy {
                $0.provenance == .blind && $0.rating == .maybe && $0.concept == "answered"
            })
        let err = try String(contentsOfFile: dir + "/err.txt", encoding: .utf8)
        #expect(
            err.contains(
                "3 blind answers stored as labels, 0 already there, 1 kept as labelled by hand (shown above) "
                    + "in \(cache).labels (rater bob)"))
        #expect(err.contains("kept your own label:"))
    }
}
