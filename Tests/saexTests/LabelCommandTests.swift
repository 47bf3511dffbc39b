import Foundation
import SAEKit
import Testing

/// `saex label` (the former spelling of `saex blind`): the blind report without a terminal, and
/// --blind refusing to run without one.
struct LabelCommandTests {
    @Test func reportPrintsTheStatisticsOfABlindSession() throws {
        let (dir, cache) = try demoCopy("saex-label-")
        defer { removeFolder(dir) }
        let dicts = Array(try CacheFeatureSource(path: cache).dictionaries.prefix(2))
        let session = try makeBlindSession(cache, perDictionary: 4, seed: 11)
        // Every item of A is "yes" (one a norm detector), every item of B "no".
        var normMarked = false
        for id in session.order {
            let target = try #require(session.target(of: id))
            let verdict: Verdict? = target.dictionary == 0 && !normMarked ? .normDetector : nil
            if verdict != nil { normMarked = true }
            try session.record(BlindAnswer(id: id, rating: target.dictionary == 0 ? .yes : .no, verdict: verdict, concept: "東京"))
        }
        session.close()

        let r = try CLI.run(["label", "--report", cache, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["answered"] as? Int == 8)
        #expect(obj["total"] as? Int == 8)
        #expect(obj["bootstrap_seed"] as? Int == 11)
        let arms = try #require(obj["dictionaries"] as? [[String: Any]])
        #expect(arms.count == 2)
        #expect(arms.map { $0["name"] as? String } == dicts.map(\.name))
        #expect(arms.map { $0["fingerprint"] as? String } == dicts.map(\.fingerprint))
        #expect(arms.map { $0["yes"] as? Int } == [4, 0])
        #expect(arms.map { $0["no"] as? Int } == [0, 4])
        #expect(arms.map { $0["interpretable_fraction"] as? Double } == [1, 0])
        #expect(arms.map { $0["norm_detectors"] as? Int } == [1, 0])
        #expect(obj["difference"] as? Double == 1)
        // Fisher, [[4, 0], [0, 4]]: of the C(8,4) = 70 tables with these margins, the observed one
        // and its mirror each have probability 1/70, every other is more probable: p = 2/70.
        let p = try #require(obj["fisher_p"] as? Double)
        #expect(abs(p - 2.0 / 70.0) < 1e-12)

        let text = try CLI.run(["label", "--report", cache])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("Blind A/B report: 8 of 8 items answered\n"))
        #expect(text.stdout.contains(dicts[0].name) && text.stdout.contains(dicts[1].name))
    }

    @Test func blindNeedsATerminalAndCreatesNothingWithout() throws {
        let (dir, cache) = try demoCopy("saex-label-")
        defer { removeFolder(dir) }
        let r = try CLI.run(["label", "--blind", cache, "--sample", "5"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "saex: note: saex label --blind is now saex blind run; this spelling keeps working",
                "saex: blind labelling needs a terminal (stdin and stdout must be a TTY); "
                    + "for the results use saex blind report \(cache)"
            ])
        #expect(!FileManager.default.fileExists(atPath: cache + ".blind"))
    }

    @Test(
        arguments: [
            (
                ["blind", "report", "fixtures/demo/demo.saexcache", "--session", "/nonexistent/s"], 2,
                "saex: /nonexistent/s: no blind session here; start one with saex blind run fixtures/demo/demo.saexcache"
            ),
            (
                ["label", "fixtures/demo/demo.saexcache"], 2,
                "saex: give exactly one of --blind or --report (now saex blind run|report); see 'saex label --help'"
            ),
            (
                ["label", "--report", "fixtures/demo/demo.saexcache", "--sample", "3"], 2,
                "saex: --sample, --seed and --dicts apply to --blind only; see 'saex label --help'"
            )
        ] as [([String], Int32, String)])
    func badUseIsOneLine(_ args: [String], _ status: Int32, _ firstLine: String) throws {
        try CLI.expectError(args, status: status, firstLine: firstLine)
    }
}

/// A JSON export carries what the screen showed (docs/LABELS.md), with every key the schema lists.
struct LabelExportStatsTests {
    @Test func exportCarriesTheScreensStatisticsAndBestMatches() throws {
        let demo = try DemoWithLabels("saex-export-")
        defer { demo.remove() }
        let (cache, labels, source) = (demo.cache, demo.labels, demo.source)
        let cosine = try #require(source.dictionaries.first { $0.name == "cosine" })
        try LabelStore(path: labels).setLabel(
            FeatureLabel(verdict: .normDetector, concept: "[CLS]"),
            for: FeatureKey(fingerprint: cosine.fingerprint, feature: 1107))
        let r = try CLI.run(["labels", "export", cache, "--labels", labels, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let label = try #require((export["labels"] as? [[String: Any]])?.first)
        let stats = try #require(label["stats"] as? [String: Any])

        // Every key is documented in the schema, and the schema lists no key the export lacks.
        let schemaData = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/docs/labels.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let item = ((schema["properties"] as? [String: Any])?["labels"] as? [String: Any])?["items"] as? [String: Any]
        let statsSchema = ((item?["properties"] as? [String: Any])?["stats"] as? [String: Any])?["oneOf"] as? [[String: Any]]
        let statsProperties = try #require(statsSchema?.last?["properties"] as? [String: Any])
        #expect(Set(stats.keys) == Set(statsProperties.keys))
        let matchProperties = ((statsProperties["matches"] as? [String: Any])?["items"] as? [String: Any])?["properties"] as? [String: Any]
        let matches = try #require(stats["matches"] as? [[String: Any]])
        #expect(matches.count == 2)
        for m in matches { #expect(Set(m.keys) == Set((matchProperties ?? [:]).keys)) }

        // The values are the ones saex analyze prints for the feature (one source).
        let a = try CLI.run(["analyze", cache, "--dict", "cosine", "--format", "json"])
        let features = try #require(
            (try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])?["features"] as? [[String: Any]])
        let row = features[1107]
        for key in ["norm_spearman_active", "norm_pearson_active", "norm_auc", "top_norm_mass", "norm_detector_hint", "alpha"] {
            #expect(
                "\(stats[key] ?? "nil")" == "\(row[key] ?? "nil")"
                    || abs(((stats[key] as? Double) ?? 0) - ((row[key] as? Double) ?? 1)) < 1e-6,
                "\(key): export \(stats[key] ?? "nil"), analyze \(row[key] ?? "nil")")
        }
        let byDecoder = try #require(matches.first { $0["by"] as? String == "decoder" })
        let byActivation = try #require(matches.first { $0["by"] as? String == "activation" })
        #expect(byDecoder["feature"] as? Int == (row["match_decoder"] as? [String: Any])?["feature"] as? Int)
        #expect(byActivation["feature"] as? Int == (row["match_activation"] as? [String: Any])?["feature"] as? Int)
        #expect(byDecoder["dictionary"] as? String == "standard")
    }
}
