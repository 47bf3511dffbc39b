import Foundation
import Testing
@testable import SAEKit

@Suite struct LabelStoreTests {
    @Test func awkwardTextRoundTripsExactlyThroughJournalAndCompaction() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        var expected: [FeatureKey: FeatureLabel] = [:]
        do {
            let store = try LabelStore(path: path)
            for (i, text) in awkwardTexts.enumerated() {
                let key = FeatureKey(fingerprint: "fp-a", feature: i)
                let l = label("concept " + text, notes: text, author: text.isEmpty ? "a" : text)
                try store.setLabel(l, for: key)
                expected[key] = l
            }
            try store.recordDictionary(
                LabelDictionaryInfo(fingerprint: "fp-a", name: "standard 🧪", path: "/models/std,1.safetensors", architecture: "jumprelu"))
            #expect(store.allLabels == expected, "times here are already whole milliseconds, so nothing may change")
            store.close()
        }
        let reopened = try LabelStore(path: path)
        #expect(reopened.allLabels == expected)
        #expect(reopened.dictionaries["fp-a"]?.name == "standard 🧪")
        #expect(reopened.warnings.isEmpty)
        try reopened.compact()
        reopened.close()
        let compacted = try LabelStore(path: path, readOnly: true)
        #expect(compacted.allLabels == expected)
        #expect(
            compacted.dictionaries["fp-a"]
                == LabelDictionaryInfo(fingerprint: "fp-a", name: "standard 🧪", path: "/models/std,1.safetensors", architecture: "jumprelu")
        )
        // One line per record: newlines inside text must be escaped.
        let lines = try readText(path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 1 + 1 + (awkwardTexts.count) + 1)
        #expect(lines.last == "")
    }

    @Test func timesAreStoredOnWholeMilliseconds() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let store = try LabelStore(path: path)
        let key = FeatureKey(fingerprint: "fp", feature: 3)
        let raw = FeatureLabel(
            concept: "x", created: Date(timeIntervalSince1970: 1_700_000_000.1234567),
            updated: Date(timeIntervalSince1970: 1_700_000_000.9996))
        try store.setLabel(raw, for: key)
        let stored = try #require(store.label(for: key))
        #expect(LabelTime.format(stored.created) == "2023-11-14T22:13:20.123Z")
        #expect(LabelTime.format(stored.updated) == "2023-11-14T22:13:21.000Z")
        store.close()
        #expect(try LabelStore(path: path, readOnly: true).label(for: key) == stored)
    }

    @Test func isoTimesMatchAnIndependentFormatter() throws {
        // Checked against Foundation's ISO8601DateFormatter, which shares no code with LabelTime.
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        iso.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0.0, 951_782_400.5, 1_700_000_000.123, 4_102_444_799.999, -86_400.25] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(LabelTime.format(date) == iso.string(from: date))
            #expect(LabelTime.parse(LabelTime.format(date)) == LabelTime.canonical(date))
        }
        // python3: datetime.fromisoformat("2024-02-29T23:59:59+02:00").timestamp()
        #expect(LabelTime.parse("2024-02-29T23:59:59+02:00") == Date(timeIntervalSince1970: 1_709_243_999))
        #expect(LabelTime.parse("2024-02-29 12:00") == nil)
    }

    @Test func emptyOrNilLabelClearsAndNULIsRefused() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let store = try LabelStore(path: path)
        let key = FeatureKey(fingerprint: "fp", feature: 1)
        try store.setLabel(label("a"), for: key)
        try store.setLabel(FeatureLabel(), for: key)
        #expect(store.label(for: key) == nil)
        try store.setLabel(label("b"), for: key)
        try store.setLabel(nil, for: key)
        #expect(store.allLabels.isEmpty)
        #expect(
            throws: SAEKitError(
                .badInput, path: path, subject: "feature 1", reason: "the notes contains a NUL character",
                remedy: "remove it; labels are NUL-free text")
        ) {
            try store.setLabel(label("a", notes: "nul\u{0}here"), for: key)
        }
        store.close()
        #expect(try LabelStore(path: path, readOnly: true).allLabels.isEmpty)
    }

    @Test func versionOneFileWithMissingOptionalKeysTakesDefaults() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        try write(
            """
            {"format":"saex-labels","version":1,"comment":"unknown keys are ignored"}
            {"op":"dictionary","fingerprint":"fp-x"}
            {"op":"set","fingerprint":"fp-x","feature":7}
            {"op":"set","fingerprint":"fp-x","feature":8,"concept":"commas, \\"quotes\\"\\n","created":"2024-01-02T03:04:05Z"}
            {"op":"set","fingerprint":"fp-x","feature":9,"verdict":"norm_detector","rating":"maybe","future_key":[1]}
            {"op":"clear","fingerprint":"fp-x","feature":9}

            """, to: path)
        let store = try LabelStore(path: path, readOnly: true)
        let l7 = try #require(store.label(for: FeatureKey(fingerprint: "fp-x", feature: 7)))
        #expect(l7.concept == "" && l7.notes == "" && l7.author == "" && l7.verdict == nil && l7.rating == nil)
        #expect(l7.created == Date(timeIntervalSince1970: 0))
        let l8 = try #require(store.label(for: FeatureKey(fingerprint: "fp-x", feature: 8)))
        #expect(l8.concept == "commas, \"quotes\"\n")
        #expect(l8.updated == l8.created && LabelTime.format(l8.created) == "2024-01-02T03:04:05.000Z")
        #expect(store.label(for: FeatureKey(fingerprint: "fp-x", feature: 9)) == nil)
        #expect(store.dictionaries["fp-x"] == LabelDictionaryInfo(fingerprint: "fp-x"))
    }

    @Test func fileFromANewerSaexIsRefused() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        try write("{\"format\":\"saex-labels\",\"version\":3}\n{\"op\":\"teleport\"}\n", to: path)
        let expected = SAEKitError(.unsupported, path: path, reason: "written by a newer saex (version 3); upgrade saex")
        #expect(throws: expected) { try LabelStore(path: path) }
        #expect(throws: expected) { try LabelStore(path: path, readOnly: true) }
        #expect(expected.description == "\(path): written by a newer saex (version 3); upgrade saex")
        #expect(try readText(path).hasPrefix("{\"format\":\"saex-labels\",\"version\":3}"), "a refused file must not be rewritten")
    }

    @Test func notALabelsFileIsRefused() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        try write("{\"hello\":1}\n", to: path)
        let error = try #require(throws: SAEKitError.self) { try LabelStore(path: path) }
        #expect(error.code == .badInput && error.subject == "line 1")
    }

    @Test(arguments: [
        "{\"op\":\"set\",\"fingerprint\":\"fp\",\"feature\":5,\"concept\":\"torn in the mid",  // unterminated
        "{\"op\":\"set\",\"fingerprint\":\"fp\",\"feature\":5,\"concept\":\"complete but no newline\"}",
        "{\"op\":\"set\",\"fingerprint\":\"fp\",\"fea\n"  // damaged last line (e.g. zeros after power loss)
    ])
    func tornLastLineIsIgnoredWithAWarning(tail: String) throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let key = FeatureKey(fingerprint: "fp", feature: 1)
        do {
            let store = try LabelStore(path: path)
            try store.setLabel(label("kept"), for: key)
            store.close()
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(tail.utf8))
        try handle.close()

        let reader = try LabelStore(path: path, readOnly: true)
        #expect(reader.allLabels == [key: label("kept")])
        #expect(reader.warnings.count == 1)
        #expect(reader.warnings.first?.contains("line 3") == true)

        // Opening for writing drops the torn bytes so the next record starts on a fresh line.
        let writer = try LabelStore(path: path)
        #expect(writer.warnings.count == 1)
        try writer.setLabel(label("after"), for: FeatureKey(fingerprint: "fp", feature: 2))
        writer.close()
        let again = try LabelStore(path: path, readOnly: true)
        #expect(again.warnings.isEmpty)
        #expect(again.allLabels.count == 2)
        #expect(!(try readText(path)).contains("torn"))
    }

    /// Replacing another rater's label is two records (a clear and a set) in one save. A crash that
    /// leaves only the first of them must leave the old label, not no label: the records of one save
    /// apply together. The cut-short file is made by hand from the file the store wrote.
    @Test func aSaveCutShortLeavesTheOldLabel() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let key = FeatureKey(fingerprint: "fp", feature: 3)
        var old = label("old")
        old.author = "ann"
        var new = label("new")
        new.author = "bob"
        let before: Int
        do {
            let store = try LabelStore(path: path)
            try store.setLabel(old, for: key)
            before = try readText(path).utf8.count
            try store.setLabel(new, for: key)
            store.close()
        }
        let whole = try readText(path)
        let save = whole.utf8.dropFirst(before).split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        #expect(save.count == 2 && save[0].contains("\"op\":\"clear\"") && save[0].contains("\"more\":true"))
        #expect(save[1].contains("\"op\":\"set\"") && !save[1].contains("more"))
        #expect(try LabelStore(path: path, readOnly: true).label(for: key)?.concept == "new")

        // The clear alone (complete line), then the clear with half of the set.
        let prefix = String(whole.utf8.prefix(before))!
        for cut in [prefix + save[0] + "\n", prefix + save[0] + "\n" + save[1].prefix(40)] {
            try write(cut, to: path)
            let reader = try LabelStore(path: path, readOnly: true)
            #expect(reader.label(for: key)?.concept == "old" && reader.label(for: key)?.author == "ann")
            #expect(reader.warnings.contains { $0.contains("line 3") && $0.contains("did not finish") }, "\(reader.warnings)")
            // Opening for writing drops the unfinished save before anything is appended after it.
            let writer = try LabelStore(path: path)
            try writer.setLabel(label("other"), for: FeatureKey(fingerprint: "fp", feature: 4))
            writer.close()
            let again = try LabelStore(path: path, readOnly: true)
            #expect(again.warnings.isEmpty && again.label(for: key)?.concept == "old")
        }
    }

    @Test func damagedLineInTheMiddleIsAnErrorNamingTheLine() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        try write(
            """
            {"format":"saex-labels","version":1}
            {"op":"set","fingerprint":"fp","feature":1,"concept":"a"}
            {"op":"set","fingerprint":"fp","feature":2,"verdict":"great"}
            {"op":"set","fingerprint":"fp","feature":3,"concept":"c"}

            """, to: path)
        let error = try #require(throws: SAEKitError.self) { try LabelStore(path: path, readOnly: true) }
        #expect(
            error
                == SAEKitError(
                    .badInput, path: path, subject: "line 3", reason: "not a valid JSON record",
                    remedy: "the file is damaged: fix or delete that line (keep a copy first)"))
    }

    /// Starts `/bin/sleep seconds` holding a copy of `fd` (as fd 3): what a process that another
    /// thread is spawning holds between its fork and its exec.
    static func childHolding(_ fd: Int32, seconds: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, 3)
        let argv = ["/bin/sleep", seconds]
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ) == 0 else {
            throw SAEKitError(.ioFailure, path: "/bin/sleep", reason: "spawn failed")
        }
        return pid
    }

    @Test func aLockHeldBrieflyByAStartingChildIsWaitedFor() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        // Lock, let a child share the open file description for 50 ms, close ours: the lock is
        // the child's until it exits, like a released lock during a concurrent posix_spawn.
        func lockedByChild(for seconds: String) throws -> pid_t {
            let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
            let pid = try Self.childHolding(fd, seconds: seconds)
            close(fd)
            return pid
        }
        var status: Int32 = 0
        var pid = try lockedByChild(for: "0.05")
        let store = try LabelStore(path: path)  // before the retry: busy
        store.close()
        waitpid(pid, &status, 0)
        // A holder that stays (2 s, beyond the ~250 ms of retries) is a real one: busy.
        pid = try lockedByChild(for: "2")
        let error = try #require(throws: SAEKitError.self) { try LabelStore(path: path) }
        #expect(error.code == .busy)
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    @Test func secondOpenerIsRefusedUntilTheFirstCloses() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let first = try LabelStore(path: path)
        try first.setLabel(label("mine"), for: FeatureKey(fingerprint: "fp", feature: 0))
        let error = try #require(throws: SAEKitError.self) { try LabelStore(path: path) }
        #expect(error.code == .busy)
        #expect(
            error.description
                == "\(path): this labels file is already open in another saex process (pid \(getpid())); close the other saex (explorer or labels command) and try again"
        )
        #expect(!error.description.contains("\n"))
        // Readers take no lock.
        #expect(try LabelStore(path: path, readOnly: true).allLabels.count == 1)
        first.close()
        #expect(throws: SAEKitError(.ioFailure, path: path, reason: "the labels file was closed", remedy: "reopen it")) {
            try first.setLabel(label("late"), for: FeatureKey(fingerprint: "fp", feature: 1))
        }
        let second = try LabelStore(path: path)
        #expect(second.allLabels.count == 1)
    }

    @Test func readOnlyStoreRefusesChangesAndMissingFile() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        #expect(
            throws: SAEKitError(
                .notFound, path: dir + "/none.jsonl", reason: "no labels file", remedy: "check the path, or label a feature first")
        ) {
            try LabelStore(path: dir + "/none.jsonl", readOnly: true)
        }
        let path = dir + "/labels.jsonl"
        try LabelStore(path: path).close()
        let reader = try LabelStore(path: path, readOnly: true)
        let error = try #require(throws: SAEKitError.self) {
            try reader.setLabel(label("x"), for: FeatureKey(fingerprint: "fp", feature: 0))
        }
        #expect(error.code == .badInput)
    }

    @Test func automaticCompactionKeepsOneRecordPerLabel() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let store = try LabelStore(path: path, compactAfter: 10)
        for i in 0..<95 {
            try store.setLabel(label("v\(i)"), for: FeatureKey(fingerprint: "fp", feature: i % 3))
        }
        let lines = try readText(path).split(separator: "\n").count
        #expect(lines <= 1 + 3 + 11, "the journal must have been compacted, has \(lines) lines")
        store.close()
        let reopened = try LabelStore(path: path, readOnly: true)
        #expect(reopened.label(for: FeatureKey(fingerprint: "fp", feature: 2))?.concept == "v92")
        #expect(reopened.allLabels.count == 3)
    }

    @Test func staleLabelsAndRenamedWeightsAreReported() throws {
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        let store = try LabelStore(path: path)
        try store.recordDictionary(
            LabelDictionaryInfo(fingerprint: "fp-old", name: "standard", path: "/m/old.safetensors", architecture: "topk"))
        try store.recordDictionary(LabelDictionaryInfo(fingerprint: "fp-cos", name: "cosine"))
        try store.setLabel(label("old concept"), for: FeatureKey(fingerprint: "fp-old", feature: 4))
        try store.setLabel(label("old concept 2"), for: FeatureKey(fingerprint: "fp-old", feature: 5))
        try store.setLabel(label("cos concept"), for: FeatureKey(fingerprint: "fp-cos", feature: 4))
        let loaded = [
            DictionaryDescriptor(
                name: "standard", score: .innerProduct, architecture: "topk", dIn: 8, featureCount: 16, fingerprint: "fp-new",
                path: "/m/new.safetensors", hasNorms: true),
            DictionaryDescriptor(
                name: "cosine", score: .cosine, architecture: "cosine", dIn: 8, featureCount: 16, fingerprint: "fp-cos",
                path: "/m/cos.safetensors", hasNorms: true)
        ]
        let known = Set(loaded.map(\.fingerprint))
        #expect(store.isStale("fp-old", knownFingerprints: known))
        #expect(!store.isStale("fp-cos", knownFingerprints: known))
        // A label never moves to the dictionary that now has the name.
        #expect(store.label(for: FeatureKey(fingerprint: "fp-new", feature: 4)) == nil)
        #expect(
            store.staleDictionaries(knownFingerprints: known) == [
                StaleLabels(
                    info: LabelDictionaryInfo(fingerprint: "fp-old", name: "standard", path: "/m/old.safetensors", architecture: "topk"),
                    labelCount: 2)
            ])
        let clashes = store.nameClashes(loaded: loaded)
        #expect(
            clashes == [
                DictionaryNameClash(
                    name: "standard", loadedFingerprint: "fp-new", labelledFingerprint: "fp-old",
                    labelledPath: "/m/old.safetensors", labelCount: 2)
            ])
        #expect(clashes.first?.message.contains("\n") == false)
        // Recording the new weights keeps the old provenance under its own fingerprint.
        try store.recordDictionaries(loaded)
        #expect(store.dictionaries["fp-old"]?.path == "/m/old.safetensors")
        #expect(store.nameClashes(loaded: loaded).count == 1)
    }
}
