import Foundation
import Testing
@testable import SAEKit

@Suite struct BlindSessionTests {
    /// Two dictionaries of 200 features with log-uniform densities and some dead features.
    func dictionaries() -> [BlindDictionary] {
        var rng = SplitMix64(seed: 77)
        func densities() -> [Double] {
            (0..<200).map { i in i % 10 == 0 ? 0 : pow(10, -5 + 4.5 * rng.nextUnit()) }
        }
        return [
            BlindDictionary(name: "standard", fingerprint: "fp-std", featureCount: 200, density: densities()),
            BlindDictionary(name: "cosine", fingerprint: "fp-cos", featureCount: 200, density: densities())
        ]
    }

    @Test func sampleIsDeterministicStratifiedAndBalanced() throws {
        let dicts = dictionaries()
        let items = try BlindSample.draw(dicts, perDictionary: 23, seed: 5)
        #expect(items == (try BlindSample.draw(dicts, perDictionary: 23, seed: 5)))
        #expect(items != (try BlindSample.draw(dicts, perDictionary: 23, seed: 6)))
        #expect(items.count == 46)
        #expect(Set(items.map(\.id)).count == 46)
        #expect(items.allSatisfy { $0.id.count == 11 && $0.id.hasPrefix("i") })
        for d in 0..<2 {
            let mine = items.filter { $0.dictionary == d }
            #expect(mine.count == 23)
            #expect(Set(mine.map(\.feature)).count == 23)
            #expect(mine.allSatisfy { dicts[d].density[$0.feature] > 0 }, "dead features must never be sampled")
            // 23 over 5 strata: quotas 5,5,5,4,4 in some order, the same for both dictionaries.
            let perStratum = (0..<5).map { s in mine.filter { $0.stratum == s }.count }
            #expect(perStratum.sorted() == [4, 4, 5, 5, 5])
        }
        let quotas = (0..<2).map { d in (0..<5).map { s in items.filter { $0.dictionary == d && $0.stratum == s }.count } }
        #expect(quotas[0] == quotas[1])
        // Blind order mixes the dictionaries.
        #expect(items.prefix(23).contains { $0.dictionary == 0 } && items.prefix(23).contains { $0.dictionary == 1 })
    }

    @Test func strataAreDensityQuantiles() throws {
        let dicts = dictionaries()
        let items = try BlindSample.draw(dicts, perDictionary: 40, seed: 11, strata: 4)
        // Every feature of a lower stratum is at most as dense as every feature of a higher one.
        for s in 0..<3 {
            let here = items.filter { $0.stratum == s }.map { dicts[$0.dictionary].density[$0.feature] }
            let above = items.filter { $0.stratum == s + 1 }.map { dicts[$0.dictionary].density[$0.feature] }
            #expect((here.max() ?? 0) <= (above.min() ?? 1))
        }
    }

    @Test func tooFewAliveFeaturesIsAClearError() {
        let dicts = dictionaries()
        #expect(
            throws: SAEKitError(
                .badInput, path: nil, subject: "standard", reason: "only 180 alive features, cannot sample 181",
                remedy: "choose a sample size of at most 180 per dictionary")
        ) {
            try BlindSample.draw(dicts, perDictionary: 181, seed: 1)
        }
    }

    @Test func sessionResumesAtTheFirstUnansweredItemAndKeepsIdentityOutOfTheAnswers() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let dicts = dictionaries()
        var firstIds: [String] = []
        do {
            let session = try BlindSession.create(directory: dir, dictionaries: dicts, perDictionary: 6, seed: 42)
            #expect(session.progress == (0, 12))
            #expect(throws: SAEKitError.self) { try BlindSession(directory: dir) }  // locked while open
            for _ in 0..<5 {
                let item = try #require(session.nextItem)
                firstIds.append(item.id)
                try session.record(BlindAnswer(id: item.id, rating: .yes, verdict: .interpretable, concept: "concept ✓\nline 2"))
            }
            #expect(session.progress == (5, 12))
            #expect(session.nextItem?.position == 5)
            session.close()
        }
        let reopened = try BlindSession(directory: dir)
        #expect(reopened.progress == (5, 12))
        #expect(reopened.nextItem?.position == 5)
        #expect(Array(reopened.order.prefix(5)) == firstIds)
        #expect(reopened.answer(for: firstIds[0])?.concept == "concept ✓\nline 2")
        #expect(reopened.dictionaries.map(\.fingerprint) == ["fp-std", "fp-cos"])
        let target = try #require(reopened.target(of: firstIds[0]))
        #expect(dicts[target.dictionary].density[target.feature] > 0)

        let answers = try readText(dir + "/" + BlindSession.answersFileName)
        for secret in ["fp-std", "fp-cos", "standard", "cosine", "\"dictionary\"", "\"feature\""] {
            #expect(!answers.contains(secret), "the answers file must not reveal \(secret)")
        }
        let key = try readText(dir + "/" + BlindSession.keyFileName)
        #expect(key.contains("fp-std") && key.contains("\"seed\" : 42"))

        // Same seed, same sample on a second folder.
        let dir2 = try makeTemporaryFolder()
        defer { removeFolder(dir2) }
        let twin = try BlindSession.create(directory: dir2, dictionaries: dicts, perDictionary: 6, seed: 42)
        #expect(twin.order == reopened.order)
        #expect(
            throws: SAEKitError(
                .badInput, path: dir2, reason: "already holds a blind session", remedy: "resume it, or choose another folder for a new one")
        ) {
            twin.close()
            _ = try BlindSession.create(directory: dir2, dictionaries: dicts, perDictionary: 6, seed: 42)
        }
    }

    @Test func reportCountsAnswersPerDictionary() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let session = try BlindSession.create(directory: dir, dictionaries: dictionaries(), perDictionary: 5, seed: 3)
        // Dictionary 0 gets yes, dictionary 1 gets no, except one norm detector each.
        var seen = [0, 0]
        while let item = session.nextItem {
            let t = try #require(session.target(of: item.id))
            let first = seen[t.dictionary] == 0
            seen[t.dictionary] += 1
            try session.record(BlindAnswer(id: item.id, rating: t.dictionary == 0 ? .yes : .no, verdict: first ? .normDetector : nil))
        }
        let r = session.report(bootstrapResamples: 1000)
        #expect(r.answered == 10 && r.total == 10)
        #expect(r.dictionaries.map(\.yes) == [5, 0])
        #expect(r.dictionaries.map(\.normDetectors) == [1, 1])
        #expect(r.difference == 1.0)
        // Fisher on [[5, 0], [0, 5]]: scipy.stats.fisher_exact([[5, 0], [0, 5]]).pvalue == 0.007936507936507938
        #expect(abs((r.fisherP ?? 0) - 0.007936507936507938) < 1e-12)
        #expect(r.bootstrapSeed == 3)
    }

    @Test func newerSessionFilesAreRefused() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        try BlindSession.create(directory: dir, dictionaries: dictionaries(), perDictionary: 2, seed: 1).close()
        let keyPath = dir + "/" + BlindSession.keyFileName
        try write(try readText(keyPath).replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 3"), to: keyPath)
        #expect(throws: SAEKitError(.unsupported, path: keyPath, reason: "written by a newer saex (version 3); upgrade saex")) {
            try BlindSession(directory: dir)
        }
    }
}
