import Foundation
import Testing
@testable import SAEKit

/// Blind answers joined to their features and stored as labels; who the rater is.
@Suite struct BlindLabelsTests {
    @Test func answersBecomeBlindLabelsWithoutReplacingLabelsMadeByHand() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let offered = ["fp-a", "fp-b"].map { fp in
            BlindDictionary(name: fp, fingerprint: fp, featureCount: 6, density: [0.1, 0.2, 0.01, 0.02, 0.3, 0.05])
        }
        let session = try BlindSession.create(directory: dir, dictionaries: offered, perDictionary: 3, seed: 3, rater: "ann")
        for (i, id) in session.order.enumerated() {
            try session.record(
                BlindAnswer(
                    id: id, rating: i % 2 == 0 ? .yes : .no, verdict: i == 0 ? .polysemantic : nil, concept: "c\(i)",
                    answered: Date(timeIntervalSince1970: 1_700_000_000 + Double(i))))
        }
        let answers = session.answerLabels(rater: "ann")
        #expect(answers.count == 6 && Set(answers.map(\.key)) == Set(session.features))
        let first = try #require(answers.first)
        let target = try #require(session.target(of: session.order[0]))
        #expect(first.key == FeatureKey(fingerprint: offered[target.dictionary].fingerprint, feature: target.feature))
        #expect(first.label.rating == .yes && first.label.verdict == .polysemantic && first.label.concept == "c0")
        #expect(first.label.provenance == .blind && first.rater == "ann")
        #expect(LabelTime.format(first.label.updated) == "2023-11-14T22:13:20.000Z")
        session.close()
        #expect(try BlindSession(directory: dir).rater == "ann", "the rater is kept with the session")

        let store = try LabelStore(path: dir + "/labels")
        let handMade = FeatureLabel(verdict: .interpretable, concept: "mine", author: "ann")
        try store.setRatedLabels([
            (answers[1].key, "ann", handMade),
            (answers[2].key, "bob", FeatureLabel(concept: "bob's", author: "bob"))
        ])
        let report = try store.storeBlindAnswers(answers)
        #expect(report.stored == 5 && report.unchanged == 0)
        #expect(report.clashes.map(\.key) == [answers[1].key] && report.clashes.first?.stored == store.labels(by: "ann")[answers[1].key])
        #expect(store.labels(by: "ann")[answers[1].key]?.concept == "mine", "a label made by hand is never replaced")
        #expect(store.labels(by: "bob")[answers[2].key]?.concept == "bob's", "other raters are never touched")
        #expect(report.summary == "5 blind answers stored as labels, 0 already there, 1 kept as labelled by hand (shown above)")
        // Stored again: unchanged; a changed answer replaces the earlier blind label.
        #expect(try store.storeBlindAnswers(answers).unchanged == 5)
        var changed = answers
        changed[0].label.rating = .maybe
        #expect(try store.storeBlindAnswers(changed).stored == 1)
        #expect(store.labels(by: "ann")[answers[0].key]?.rating == .maybe)
        // They count as blind in a tally.
        #expect(LabelTally(store.labels(by: "ann").values).blind == 5)
    }

    @Test func theRaterComesFromTheFlagThenSAEXAuthorThenUSERThenThePasswordDatabase() throws {
        #expect(LabelAuthor.resolve(explicit: "flag", environment: ["SAEX_AUTHOR": "env", "USER": "u"]) == "flag")
        #expect(LabelAuthor.resolve(explicit: "", environment: ["SAEX_AUTHOR": "env", "USER": "u"]) == "env")
        #expect(LabelAuthor.resolve(explicit: nil, environment: ["USER": "u", "LOGNAME": "l"]) == "u")
        #expect(LabelAuthor.resolve(explicit: nil, environment: ["USER": "", "LOGNAME": "l"]) == "l")
        // No variables at all: the login name, as id(1) reads it from the same database.
        let id = Process()
        id.executableURL = URL(fileURLWithPath: "/usr/bin/id")
        id.arguments = ["-un"]
        let out = Pipe()
        id.standardOutput = out
        try id.run()
        id.waitUntilExit()
        let name = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!name.isEmpty)
        #expect(LabelAuthor.resolve(explicit: nil, environment: [:]) == name)
    }
}
