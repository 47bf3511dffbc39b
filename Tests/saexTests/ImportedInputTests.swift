import Foundation
import SAEKit
import Testing

/// The text commands read what the explorer imports: an SAEDashboard batch of a GPT-2 SAE (byte-level
/// token strings, logit tables; Tests/SAEKitTests/Import/Fixtures/make_import_fixtures.py) through
/// saex contexts, analyze, summary and labels export, without --dict.
struct ImportedInputTests {
    static let batch = "Tests/SAEKitTests/Import/Fixtures/saedashboard-gpt2/batch-0.json"

    struct Expected: Decodable {
        var top: [[String]]
        var top_tokens: [String]
        var logits_positive: [String]
        var logits_negative: [String]
        var logits_positive_values: [Float]
    }

    static func expected() throws -> Expected {
        let url = URL(fileURLWithPath: CLI.root + "/Tests/SAEKitTests/Import/Fixtures/saedashboard-gpt2/expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    @Test func contextsJSONGivesDecodedTokensAndLogits() throws {
        let e = try Self.expected()
        let r = try CLI.run(["contexts", Self.batch, "--feature", "0", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["dictionary"] as? String == "gpt2-small/0-res-jb")
        let contexts = try #require(obj["contexts"] as? [[String: Any]])
        #expect(contexts.map { $0["tokens"] as? [String] ?? [] } == e.top)
        let pos = try #require(obj["logits_positive"] as? [[String: Any]])
        let neg = try #require(obj["logits_negative"] as? [[String: Any]])
        #expect(pos.map { $0["token"] as? String ?? "" } == e.logits_positive)
        #expect(pos.map { ($0["value"] as? NSNumber)?.floatValue ?? .nan } == e.logits_positive_values)
        #expect(neg.map { $0["token"] as? String ?? "" } == e.logits_negative)
        #expect(pos.allSatisfy { $0["id"] == nil })
        // A cache built without --unembed has none: null, not an empty list.
        let demo = try CLI.run(["contexts", "fixtures/demo/demo.saexcache", "--dict", "standard", "--feature", "1", "--format", "json"])
        let d = try #require(try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [String: Any])
        #expect(d["logits_positive"] is NSNull && d["logits_negative"] is NSNull)
    }

    @Test func contextsTextShowsTheLogitTable() throws {
        let r = try CLI.run(["contexts", Self.batch, "--feature", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "gpt2-small/0-res-jb feature 0 (saedashboard-batch-json): density 0.02%, max 6.25")
        #expect(lines.contains { $0.contains("[[’]]↪s") })
        let table = try #require(lines.firstIndex(of: "logit effects (most positive | most negative):"))
        #expect(lines[table + 1].contains("3.753  ·Brig") && lines[table + 1].contains("-0.707  sequence"))
        #expect(lines.count == table + 6)
    }

    @Test func analyzeSummaryAndLabelsExportReadTheImport() throws {
        let e = try Self.expected()
        let a = try CLI.run(["analyze", Self.batch, "--format", "json"])
        #expect(a.status == 0, "\(a.stderr)")
        let analysis = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any]
        let features = try #require(analysis?["features"] as? [[String: Any]])
        let f0 = try #require(features.first { $0["feature"] as? Int == 0 })
        #expect(f0["top_tokens"] as? [String] == e.top_tokens)
        #expect(f0["density"] as? Double == 0.0002)
        let s = try CLI.run(["summary", Self.batch, "--format", "json"])
        #expect(s.status == 0, "\(s.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
        #expect((summary["dictionaries"] as? [[String: Any]])?.first?["name"] as? String == "gpt2-small/0-res-jb")

        // Labels live beside the import, as the explorer keeps them.
        let dir = NSTemporaryDirectory() + "saex-import-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let copy = dir + "/batch-0.json"
        try FileManager.default.copyItem(atPath: CLI.root + "/" + Self.batch, toPath: copy)
        let source = try ImportDetector.open(path: copy)
        let store = try LabelStore(path: copy + ".labels")
        try store.recordDictionaries(source.dictionaries)
        try store.setLabel(
            FeatureLabel(verdict: .interpretable, concept: "apostrophes", author: "t"),
            for: FeatureKey(fingerprint: source.descriptor.fingerprint, feature: 0))
        store.close()
        let x = try CLI.run(["labels", "export", copy])
        #expect(x.status == 0, "\(x.stderr)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(x.stdout.utf8)) as? [String: Any])
        let labels = try #require(export["labels"] as? [[String: Any]])
        #expect(labels.count == 1 && labels.first?["concept"] as? String == "apostrophes")
        #expect((labels.first?["stats"] as? [String: Any])?["density"] as? Double == 0.0002)
    }

    @Test func dictIsNeededOnlyWhenThereAreSeveral() throws {
        let one = try CLI.run(["contexts", "Tests/saexTests/Malformed/files/good.saexcache", "--feature", "1"])
        #expect(one.status == 0 && one.stdout.hasPrefix("jr feature 1: "), "\(one.stderr)")
        let named = try CLI.run(["contexts", Self.batch, "--dict", "gpt2-small/0-res-jb", "--feature", "0"])
        #expect(named.status == 0)
        let wrong = try CLI.run(["contexts", Self.batch, "--dict", "std", "--feature", "0"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr == "saex: \(Self.batch): --dict std: no dictionary of that name (it has: gpt2-small/0-res-jb)\n")
    }
}
