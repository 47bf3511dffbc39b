import Foundation
import SAEKit
import Testing

/// The labels commands as a researcher uses them: the demo's labels found by every command,
/// conflicts printed and resolved, several raters merged, agreement reported, blind reports that
/// refuse to unblind an unfinished session.
struct RaterWorkflowTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The demo's dictionaries: name -> fingerprint.
    func fingerprints(_ cache: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try CacheFeatureSource(path: cache).dictionaries.map { ($0.name, $0.fingerprint) })
    }

    @Test func theDemosLabelsAreFoundInItsStateFolderAndAnEmptyExportIsValid() throws {
        let state = NSTemporaryDirectory() + "saex-state-" + UUID().uuidString
        defer { removeFolder(state) }
        let env = ["XDG_STATE_HOME": state]
        let demo = "fixtures/demo/demo.saexcache"
        let empty = try CLI.run(["labels", "export", demo], env: env)
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stderr == "saex: no labels yet at \(state)/saex/demo.labels (the demo's labels); the export holds none\n")
        let e = try json(empty.stdout)
        #expect((e["labels"] as? [Any])?.isEmpty == true && e["format"] as? String == "saex-labels-export")
        #expect((e["dictionaries"] as? [Any])?.count == 2)

        try FileManager.default.createDirectory(atPath: state + "/saex", withIntermediateDirectories: true)
        let std = try #require(try fingerprints(CLI.root + "/" + demo)["standard"])
        try LabelStore(path: state + "/saex/demo.labels", rater: "ann").setLabel(
            FeatureLabel(verdict: .normDetector, concept: "[CLS]"),
            for: FeatureKey(fingerprint: std, feature: 2))
        let one = try CLI.run(["labels", "export", demo, "--format", "csv"], env: env)
        #expect(one.status == 0 && one.stderr.isEmpty, "\(one.stderr)")
        #expect(one.stdout.contains("standard,\(std),2,norm_detector,[CLS],,,ann,"))
        let summary = try CLI.run(["summary", demo, "--format", "json"], env: env)
        let tallies = try #require(try json(summary.stdout)["dictionaries"] as? [[String: Any]])
        #expect(tallies.compactMap { ($0["labels"] as? [String: Any])?["labelled"] as? Int } == [1, 0])

        let missing = try CLI.run(["labels", "export", demo, "--labels", state + "/nope.labels"], env: env)
        #expect(missing.status == 2)
        #expect(missing.stderr == "saex: \(state)/nope.labels: no labels file here (--labels); check the path\n")
    }

    @Test func importPrintsEachConflictFieldByFieldAndPreferResolvesIt() throws {
        let (dir, cache) = try demoCopy("saex-raters-")
        defer { removeFolder(dir) }
        let std = try #require(try fingerprints(cache)["standard"])
        let key = FeatureKey(fingerprint: std, feature: 3)
        try LabelStore(path: cache + ".labels", rater: "ann").setLabel(FeatureLabel(verdict: .interpretable, concept: "commas"), for: key)
        let other = try LabelStore(path: dir + "/other.labels", rater: "ann")
        try other.recordDictionary(LabelDictionaryInfo(fingerprint: std, name: "standard"))
        try other.setLabel(FeatureLabel(verdict: .polysemantic, concept: "commas", notes: "also\nperiods"), for: key)
        try other.setLabel(FeatureLabel(verdict: .unsure), for: FeatureKey(fingerprint: std, feature: 4))
        let file = dir + "/other.json"
        try other.makeExport(dictionaries: [], cacheFingerprint: nil, stats: { _ in nil }).jsonData().write(to: URL(fileURLWithPath: file))

        let before = try Data(contentsOf: URL(fileURLWithPath: cache + ".labels"))
        let dry = try CLI.run(["labels", "import", cache, file, "--dry-run"])
        #expect(dry.status == 1)
        #expect(dry.stdout == "dry run: 1 added, 0 identical, 1 conflict kept unchanged\n")
        let lines = dry.stderr.split(separator: "\n").map(String.init)
        #expect(
            Array(lines.prefix(3)) == [
                "conflict: standard feature 3, rater \"ann\":",
                "  verdict: stored interpretable, incoming polysemantic",
                "  notes: stored \"\", incoming \"also\\nperiods\""
            ])
        #expect(lines.count == 4 && lines[3].contains("--prefer incoming") && lines[3].contains("--prefer stored"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cache + ".labels")) == before, "a dry run writes nothing")

        let kept = try CLI.run(["labels", "import", cache, file, "--prefer", "stored"])
        #expect(kept.status == 0)
        #expect(kept.stdout == "1 added, 0 identical, 1 conflict resolved by keeping the stored label\n")
        let taken = try CLI.run(["labels", "import", cache, file, "--prefer", "incoming"])
        #expect(taken.status == 0)
        #expect(try LabelStore(path: cache + ".labels", readOnly: true, rater: "ann").label(for: key)?.verdict == .polysemantic)
    }

    @Test func mergedRatersGiveAgreementInTheSummary() throws {
        let (dir, cache) = try demoCopy("saex-raters-")
        defer { removeFolder(dir) }
        let std = try #require(try fingerprints(cache)["standard"])
        // By hand: ann [I, I, N, N], bob [I, N, N, N]: p_o = 3/4, p_e = (2*1 + 2*3)/16 = 1/2, kappa = 1/2;
        // alpha = 1 - (n - 1) * D_o / D_e with n = 8, n_I = 3, n_N = 5, one mixed unit: 1 - 7 * 2 / 30.
        let codes: [(String, [Verdict])] = [
            ("ann", [.interpretable, .interpretable, .normDetector, .normDetector]),
            ("bob", [.interpretable, .normDetector, .normDetector, .normDetector])
        ]
        for (rater, verdicts) in codes {
            let s = try LabelStore(path: "\(dir)/\(rater).labels", rater: rater)
            for (f, v) in verdicts.enumerated() { try s.setLabel(FeatureLabel(verdict: v), for: FeatureKey(fingerprint: std, feature: f)) }
        }
        let merge = try CLI.run(["labels", "merge", dir + "/ann.labels", dir + "/bob.labels", "-o", dir + "/all.labels"])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stderr == "wrote \(dir)/all.labels: 8 labels of 4 features by 2 raters (ann, bob)\n")

        let r = try CLI.run(["summary", cache, "--labels", dir + "/all.labels", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let agreement = try #require(try json(r.stdout)["agreement"] as? [[String: Any]])
        let a = try #require(agreement.first { $0["dictionary"] as? String == "standard" })
        let verdict = try #require(a["verdict"] as? [String: Any])
        #expect(verdict["units"] as? Int == 4 && verdict["raters"] as? [String] == ["ann", "bob"])
        let alpha = try #require((verdict["krippendorff_alpha"] as? [String: Any])?["value"] as? Double)
        #expect(abs(alpha - (1 - 14.0 / 30.0)) < 1e-12)
        let kappa = try #require(((verdict["cohen_kappa"] as? [[String: Any]])?.first?["kappa"] as? [String: Any])?["value"] as? Double)
        #expect(abs(kappa - 0.5) < 1e-12)
        #expect((a["rating"] as? [String: Any])?["units"] as? Int == 0)
        let text = try CLI.run(["summary", cache, "--labels", dir + "/all.labels"])
        #expect(text.stdout.contains("inter-rater agreement, standard:"))
        #expect(text.stdout.contains("Cohen's kappa ann vs bob (4 features): 0.500 [95% CI"))

        // The same rater's two different labels of a feature: nothing written, exit 1.
        let again = try LabelStore(path: dir + "/ann2.labels", rater: "ann")
        try again.setLabel(FeatureLabel(verdict: .unsure), for: FeatureKey(fingerprint: std, feature: 0))
        let clash = try CLI.run(["labels", "merge", dir + "/ann.labels", dir + "/ann2.labels", "-o", dir + "/clash.labels"])
        #expect(clash.status == 1)
        // Files that never recorded the dictionary's name name it by fingerprint.
        #expect(
            clash.stderr.hasPrefix(
                "conflict: fingerprint \(std) feature 0, rater \"ann\":\n"
                    + "  verdict: stored interpretable, incoming unsure\n"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/clash.labels"))
    }

    @Test func anUnfinishedSessionIsNotReportedUnlessUnblindAndAgreementComesFromBlindLabels() throws {
        let (dir, cache) = try demoCopy("saex-raters-")
        defer { removeFolder(dir) }
        let s = try makeBlindSession(cache, perDictionary: 4, seed: 7, rater: "ann")
        try s.record(BlindAnswer(id: s.order[0], rating: .yes))
        s.close()
        let refused = try CLI.run(["blind", "report", cache])
        #expect(refused.status == 2 && refused.stdout.isEmpty)
        #expect(
            refused.stderr == "saex: \(cache).blind: the session is unfinished (1 of 8 answered) and its report would unblind you; "
                + "finish it with saex blind run \(cache), or add --unblind to see the report now\n")
        let legacy = try CLI.run(["label", "--report", cache])
        #expect(legacy.status == 2)
        #expect(legacy.stderr.hasPrefix("saex: note: saex label --report is now saex blind report; this spelling keeps working\n"))
        let unblinded = try CLI.run(["blind", "report", cache, "--unblind"])
        #expect(unblinded.status == 0 && unblinded.stdout.hasPrefix("Blind A/B report: 1 of 8 items answered\n"))

        // Complete it; ann's answers and bob's (the same sample, another session) become blind labels.
        let done = try BlindSession(directory: cache + ".blind")
        let ratings: [Rating] = [.yes, .no, .maybe, .yes, .no, .no, .yes, .maybe]
        for (i, id) in done.order.enumerated() { try done.record(BlindAnswer(id: id, rating: ratings[i])) }
        let store = try LabelStore(path: cache + ".labels")
        #expect(try store.storeBlindAnswers(done.answerLabels(rater: "ann")).stored == 8)
        var bob = done.answerLabels(rater: "bob")
        for i in bob.indices {
            bob[i].label.author = "bob"
            if i % 4 == 1 { bob[i].label.rating = .yes }
        }
        #expect(try store.storeBlindAnswers(bob).stored == 8)
        // A label made by hand, outside the session, does not count towards blind agreement.
        let outside = FeatureKey(fingerprint: done.dictionaries[0].fingerprint, feature: 63_999)
        try store.setRatedLabels([(outside, "ann", FeatureLabel(rating: .no))])
        store.close()
        done.close()

        let r = try CLI.run(["blind", "report", cache, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try json(r.stdout)
        #expect(obj["answered"] as? Int == 8)
        let agreement = try #require(obj["agreement"] as? [[String: Any]])
        #expect(agreement.count == 2)
        for a in agreement {
            let rating = try #require(a["rating"] as? [String: Any])
            #expect(rating["units"] as? Int == 4 && rating["raters"] as? [String] == ["ann", "bob"])
            #expect((rating["cohen_kappa"] as? [Any])?.count == 1)
        }
        let text = try CLI.run(["blind", "report", cache])
        #expect(text.stdout.contains("inter-rater agreement, ") && text.stdout.contains("Cohen's kappa ann vs bob (4 features)"))
    }

    @Test func blindRunNeedsATerminalAndCreatesNothingWithout() throws {
        let (dir, cache) = try demoCopy("saex-raters-")
        defer { removeFolder(dir) }
        let r = try CLI.run(["blind", "run", cache, "--sample", "5"])
        #expect(r.status == 2)
        #expect(
            r.stderr == "saex: blind labelling needs a terminal (stdin and stdout must be a TTY); "
                + "for the results use saex blind report \(cache)\n")
        #expect(!FileManager.default.fileExists(atPath: cache + ".blind"))
    }
}
