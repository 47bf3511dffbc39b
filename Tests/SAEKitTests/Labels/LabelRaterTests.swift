import Foundation
import Testing
@testable import SAEKit

/// Several raters in one labels file: per-rater views, the file version that keeps older readers
/// exact, provenance, and imports and merges that keep every rater's label.
@Suite struct LabelRaterTests {
    let f1 = FeatureKey(fingerprint: "fp-std", feature: 1)
    let f2 = FeatureKey(fingerprint: "fp-std", feature: 2)

    func header(_ path: String) throws -> String {
        String(try readText(path).split(separator: "\n").first ?? "")
    }

    @Test func ratersKeepTheirOwnLabelsAndTheFileBecomesVersionTwoOnlyWhenItMustBe() throws {
        let (dir, path) = try makeLabelsFolder("labels")
        defer { removeFolder(dir) }
        do {
            let ann = try LabelStore(path: path, rater: "ann")
            try ann.setLabel(label("cls norm", author: "whoever"), for: f1)
            #expect(ann.label(for: f1)?.author == "ann", "a rater's store labels as that rater")
            ann.close()
        }
        let bob = try LabelStore(path: path, rater: "bob")
        try bob.setLabel(label("other feature"), for: f2)
        #expect(
            try header(path) == #"{"format":"saex-labels","version":1}"#,
            "no feature has two raters yet: an older saex reads it exactly")
        #expect(bob.label(for: f1) == nil, "ann's label is not bob's")
        try bob.setLabel(label("period", verdict: .polysemantic), for: f1)
        #expect(try header(path) == #"{"format":"saex-labels","version":2}"#)
        #expect(bob.raters == ["ann", "bob"])
        #expect(bob.labels(by: "ann")[f1]?.concept == "cls norm")
        #expect(bob.allLabels.keys.sorted() == [f1, f2])
        try bob.setLabel(nil, for: f1)
        bob.close()

        let reread = try LabelStore(path: path, readOnly: true)
        #expect(reread.everyLabel.count == 2)
        #expect(reread.labels(by: "ann")[f1]?.concept == "cls norm")
        #expect(reread.labels(by: "bob")[f1] == nil, "a version-2 clear removes only its author's label")
        #expect(reread.labels(by: "bob")[f2]?.concept == "other feature")
        // Compaction writes the lowest version that holds the labels: one rater per feature again.
        let rw = try LabelStore(path: path)
        try rw.compact()
        #expect(try header(path) == #"{"format":"saex-labels","version":1}"#)
    }

    @Test func aVersionOneFileKeepsOneLabelPerFeatureAsOlderSaexWroteIt() throws {
        let (dir, path) = try makeLabelsFolder("labels")
        defer { removeFolder(dir) }
        // An older saex: bob's set replaced ann's label, and a clear removed the feature's label.
        try write(
            """
            {"format":"saex-labels","version":1}
            {"op":"set","fingerprint":"fp-std","feature":1,"author":"ann","concept":"a"}
            {"op":"set","fingerprint":"fp-std","feature":1,"author":"bob","concept":"b"}
            {"op":"set","fingerprint":"fp-std","feature":2,"author":"ann","concept":"c"}
            {"op":"clear","fingerprint":"fp-std","feature":2}

            """, to: path)
        let store = try LabelStore(path: path, readOnly: true)
        #expect(store.everyLabel.all.map { [$0.rater, $0.label.concept] } == [["bob", "b"]])
    }

    @Test func withoutARaterTheStoreKeepsOneLabelPerFeature() throws {
        let (dir, path) = try makeLabelsFolder("labels")
        defer { removeFolder(dir) }
        try LabelStore(path: path, rater: "ann").setLabel(label("a"), for: f1)
        try LabelStore(path: path, rater: "bob").setLabel(label("b", at: 1_800_000_000), for: f1)
        let any = try LabelStore(path: path)
        #expect(any.label(for: f1)?.concept == "b", "the newest label")
        try any.setLabel(label("c", author: "cy"), for: f1)
        #expect(any.everyLabel.all.map(\.rater) == ["cy"])
        any.close()
        #expect(try LabelStore(path: path, readOnly: true).everyLabel.all.map(\.label.concept) == ["c"])
    }

    @Test func provenanceRoundTripsThroughTheFileAndTheExport() throws {
        let (dir, path) = try makeLabelsFolder("labels")
        defer { removeFolder(dir) }
        var blind = label("from a blind answer")
        blind.provenance = .blind
        try LabelStore(path: path, rater: "ann").setLabel(blind, for: f1)
        #expect(try readText(path).contains(#""provenance":"blind""#))
        let store = try LabelStore(path: path, readOnly: true, rater: "ann")
        #expect(store.label(for: f1)?.provenance == .blind)
        let export = store.makeExport(dictionaries: [], cacheFingerprint: nil, stats: { _ in nil })
        #expect(export.labels.first?.provenance == .blind)
        #expect(try LabelExport.decode(export.jsonData(), path: "x").labels.first?.label.provenance == .blind)
        try write(
            "{\"format\":\"saex-labels\",\"version\":2}\n"
                + "{\"op\":\"set\",\"fingerprint\":\"f\",\"feature\":0,\"provenance\":\"dream\"}\n"
                + "{\"op\":\"set\",\"fingerprint\":\"f\",\"feature\":1}\n", to: path)
        #expect(
            throws: SAEKitError(
                .badInput, path: path, subject: "line 2", reason: "unknown \"provenance\" \"dream\"",
                remedy: "the file is damaged: fix or delete that line (keep a copy first)")
        ) {
            try LabelStore(path: path, readOnly: true)
        }
    }

    @Test func importKeepsEveryRaterAndResolvesConflictsOnlyWhenAsked() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let mine = try LabelStore(path: dir + "/mine", rater: "ann")
        try mine.setLabel(label("cls", verdict: .normDetector), for: f1)
        try mine.setLabel(label("same"), for: f2)
        let theirs = try LabelStore(path: dir + "/theirs", rater: "ann")
        try theirs.setLabel(label("CLS token", notes: "line\none", verdict: .interpretable), for: f1)
        try theirs.setLabel(label("same"), for: f2)
        let bob = try LabelStore(path: dir + "/bob", rater: "bob")
        try bob.setLabel(label("bob's"), for: f1)
        let fromBob = bob.makeExport(dictionaries: [], cacheFingerprint: nil, stats: { _ in nil })
        let fromAnn = theirs.makeExport(dictionaries: [], cacheFingerprint: nil, stats: { _ in nil })

        let added = try mine.merge(fromBob)
        #expect(added.added == [f1] && added.conflicts.isEmpty, "another rater's label of a feature is no conflict")
        #expect(mine.labels(by: "bob")[f1]?.concept == "bob's" && mine.label(for: f1)?.concept == "cls")

        let kept = try mine.merge(fromAnn)
        #expect(kept.summary == "0 added, 1 identical, 1 conflict kept unchanged")
        let conflict = try #require(kept.conflicts.first)
        #expect(
            conflict.lines == [
                "conflict: fingerprint fp-std feature 1, rater \"ann\":",
                "  verdict: stored norm_detector, incoming interpretable",
                "  concept: stored \"cls\", incoming \"CLS token\"",
                "  notes: stored \"\", incoming \"line\\none\""
            ])
        #expect(mine.label(for: f1)?.concept == "cls")
        let stored = try mine.merge(fromAnn, prefer: .stored)
        #expect(stored.summary == "0 added, 1 identical, 1 conflict resolved by keeping the stored label")
        #expect(mine.label(for: f1)?.concept == "cls")
        let dry = try mine.merge(fromAnn, dryRun: true, prefer: .incoming)
        #expect(dry.summary == "0 added, 1 identical, 1 conflict resolved by taking the incoming label")
        #expect(mine.label(for: f1)?.concept == "cls", "a dry run writes nothing")
        _ = try mine.merge(fromAnn, prefer: .incoming)
        #expect(mine.label(for: f1)?.concept == "CLS token")
        #expect(mine.labels(by: "bob")[f1]?.concept == "bob's")
    }

    @Test func mergingFilesKeepsEveryRaterAndReportsTheSameRatersDisagreements() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        for (name, rater, concept) in [("a", "ann", "x"), ("b", "bob", "y"), ("c", "ann", "z")] {
            let s = try LabelStore(path: dir + "/" + name, rater: rater)
            try s.recordDictionary(LabelDictionaryInfo(fingerprint: "fp-std", name: name == "a" ? nil : "standard-" + name))
            try s.setLabel(label(concept), for: f1)
            try s.setLabel(label("shared"), for: f2)
        }
        let two = try LabelFiles.merge([dir + "/a", dir + "/b"], prefer: nil)
        #expect(two.report.conflicts.isEmpty && two.report.added.count == 4)
        #expect(two.labels.raters == ["ann", "bob"] && two.labels.isMultiRater)
        #expect(two.dictionaries["fp-std"]?.name == "standard-b")
        try LabelFiles.write(two, to: dir + "/all")
        #expect(try header(dir + "/all") == #"{"format":"saex-labels","version":2}"#)
        let all = try LabelStore(path: dir + "/all", readOnly: true)
        #expect(all.everyLabel == two.labels)
        #expect(all.makeExport(dictionaries: [], cacheFingerprint: nil, stats: { _ in nil }).version == 2)

        let three = try LabelFiles.merge([dir + "/a", dir + "/b", dir + "/c"], prefer: nil)
        #expect(three.report.conflicts.map(\.incoming.concept) == ["z"] && three.labels.labels(by: "ann")[f1]?.concept == "x")
        let later = try LabelFiles.merge([dir + "/a", dir + "/b", dir + "/c"], prefer: .incoming)
        #expect(later.labels.labels(by: "ann")[f1]?.concept == "z")

        // The output's lock is honoured: an open writer makes the merge fail instead of losing its changes.
        let open = try LabelStore(path: dir + "/all")
        #expect(throws: SAEKitError.self) { try LabelFiles.write(two, to: dir + "/all") }
        open.close()
    }
}
