import Foundation
import Testing
@testable import SAEKit

@Suite struct LabelExportTests {
    let standard = DictionaryDescriptor(
        name: "standard", score: .innerProduct, architecture: "jumprelu", dIn: 8, featureCount: 64,
        fingerprint: "fp-std", path: "/models/std.safetensors", hasNorms: true)

    func makeStore(_ path: String) throws -> LabelStore {
        let store = try LabelStore(path: path)
        try store.recordDictionaries([standard])
        try store.recordDictionary(
            LabelDictionaryInfo(fingerprint: "fp-gone", name: "retired", path: "/models/old.safetensors", architecture: "topk"))
        for (i, text) in awkwardTexts.enumerated() {
            try store.setLabel(
                label("concept " + text, notes: text, verdict: Verdict.allCases[i % 5], rating: Rating.allCases[i % 3], author: "ann"),
                for: FeatureKey(fingerprint: "fp-std", feature: i * 3))
        }
        try store.setLabel(label("stale one", verdict: .normDetector, rating: nil), for: FeatureKey(fingerprint: "fp-gone", feature: 2))
        return store
    }

    func stats(_ key: FeatureKey) -> ExportedStats? {
        guard key.fingerprint == "fp-std" else { return nil }
        return ExportedStats(
            FeatureStats(feature: key.feature, alpha: 1, elasticity: 0.1, normPearson: -0.25, normSpearman: nil, density: 0.0125))
    }

    @Test func jsonExportRoundTripsAndCarriesProvenance() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let store = try makeStore(dir + "/labels.jsonl")
        let export = store.makeExport(
            dictionaries: [standard], cacheFingerprint: "cache-123", stats: stats,
            exportedAt: Date(timeIntervalSince1970: 1_700_000_000))
        let data = try export.jsonData()
        let decoded = try LabelExport.decode(data, path: "x.json")
        #expect(decoded == export)
        #expect(decoded.labels.count == awkwardTexts.count + 1)
        for (i, text) in awkwardTexts.enumerated() {
            let entry = try #require(decoded.labels.first { $0.feature == i * 3 })
            #expect(entry.notes == text && entry.concept == "concept " + text)
            #expect(entry.label == store.label(for: entry.key))
        }
        #expect(decoded.saexVersion == SAEKitVersion.string && decoded.cacheFingerprint == "cache-123")
        #expect(decoded.exported == "2023-11-14T22:13:20.000Z")
        #expect(
            decoded.dictionaries == [
                ExportedDictionary(name: "retired", path: "/models/old.safetensors", architecture: "topk", fingerprint: "fp-gone"),
                ExportedDictionary(name: "standard", path: "/models/std.safetensors", architecture: "jumprelu", fingerprint: "fp-std")
            ])
        let stale = try #require(decoded.labels.first { $0.fingerprint == "fp-gone" })
        #expect(stale.dictionary == "retired" && stale.stats == nil && stale.rating == nil && stale.verdict == .normDetector)

        // The documented key names, and floats widened through their decimal text (0.1, not 0.10000000149...).
        let json = String(decoding: data, as: UTF8.self)
        for key in [
            "\"format\" : \"saex-labels-export\"", "\"version\" : 1", "\"saex_version\"", "\"cache_fingerprint\" : \"cache-123\"",
            "\"norm_pearson\" : -0.25", "\"norm_spearman\" : null", "\"elasticity\" : 0.1,", "\"density\" : 0.0125",
            "\"created\" : \"2023-11-14T22:13:20.123Z\"", "\"updated\" : \"2023-11-14T22:14:20.623Z\"", "\"stats\" : null"
        ] {
            #expect(json.contains(key), "missing \(key)")
        }
        let only = store.makeExport(dictionaries: [standard], cacheFingerprint: nil, stats: stats, fingerprints: ["fp-gone"])
        #expect(only.labels.map(\.fingerprint) == ["fp-gone"] && only.dictionaries.map(\.fingerprint) == ["fp-gone"])
    }

    @Test func exportWithMissingOptionalKeysTakesDefaults() throws {
        let minimal = """
            {"format": "saex-labels-export", "version": 1,
             "labels": [{"fingerprint": "fp", "feature": 4, "concept": "x", "created": "2024-01-01T00:00:00Z"}]}
            """
        let e = try LabelExport.decode(Data(minimal.utf8), path: "min.json")
        #expect(e.dictionaries.isEmpty && e.cacheFingerprint == nil && e.saexVersion == "")
        let entry = try #require(e.labels.first)
        #expect(entry.notes == "" && entry.author == "" && entry.verdict == nil && entry.stats == nil && entry.dictionary == nil)
        #expect(entry.updated == "2024-01-01T00:00:00Z")
    }

    @Test(arguments: [
        (
            "{\"format\":\"saex-labels-export\",\"version\":3,\"labels\":[]}",
            SAEKitError(.unsupported, path: "in.json", reason: "written by a newer saex (version 3); upgrade saex")
        ),
        (
            "{\"format\":\"something-else\",\"version\":1}",
            SAEKitError(
                .badInput, path: "in.json", reason: "not a saex labels export (format \"something-else\")",
                remedy: "give a file written by saex labels export")
        ),
        (
            "[1, 2]",
            SAEKitError(
                .badInput, path: "in.json", reason: "expected a JSON object, found an array",
                remedy: "give a file written by saex labels export")
        ),
        (
            String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
            SAEKitError(
                .badInput, path: "in.json",
                reason: "is not valid JSON (nested too deeply: more than 512 arrays or objects inside each other)",
                remedy: "give a file written by saex labels export")
        ),
        (
            "{\"labels\":[{\"feature\":NaN}]}",
            SAEKitError(
                .badInput, path: "in.json", reason: "is not valid JSON (it contains NaN or Infinity, which JSON does not allow)",
                remedy: "give a file written by saex labels export")
        ),
        (
            "{\"version\":1,\"labels\":[{\"fingerprint\":\"fp\",\"feature\":1},{\"fingerprint\":\"fp\",\"feature\":1.5}]}",
            SAEKitError(
                .badInput, path: "in.json", subject: "labels.1.feature", reason: "is not a whole number (1.5)",
                remedy: "fix the file or export it again")
        ),
        (
            "{\"version\":1,\"labels\":[{\"fingerprint\":\"fp\",\"feature\":1,\"created\":\"yesterday\"}]}",
            SAEKitError(
                .badInput, path: "in.json", subject: "labels.0", reason: "created/updated is not an ISO-8601 time",
                remedy: "write times like 2024-05-01T12:34:56.789Z")
        )
    ])
    func badExportsGiveOneLineErrors(text: String, expected: SAEKitError) {
        #expect(throws: expected) { try LabelExport.decode(Data(text.utf8), path: "in.json") }
    }

    @Test func importAddsNewReportsConflictsAndIgnoresIdentical() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let source = try makeStore(dir + "/a.jsonl")
        let export = source.makeExport(dictionaries: [standard], cacheFingerprint: nil, stats: stats)

        let target = try LabelStore(path: dir + "/b.jsonl")
        let mine = label("my own idea", author: "ann")
        try target.setLabel(mine, for: FeatureKey(fingerprint: "fp-std", feature: 3))  // conflicts with ann's feature 3 in the export
        try target.setLabel(label("unrelated"), for: FeatureKey(fingerprint: "fp-std", feature: 1000))
        try target.recordDictionary(LabelDictionaryInfo(fingerprint: "fp-std", name: "my-name-for-it"))

        let dry = try target.merge(export, dryRun: true)
        #expect(target.allLabels.count == 2, "a dry run must not write")

        let report = try target.merge(export)
        #expect(report == dry)
        #expect(report.added.count == export.labels.count - 1)
        #expect(report.identical == 0)
        #expect(report.conflicts.count == 1)
        let conflict = try #require(report.conflicts.first)
        #expect(conflict.key == FeatureKey(fingerprint: "fp-std", feature: 3))
        #expect(conflict.stored == mine && conflict.incoming.concept == "concept " + awkwardTexts[1])
        #expect(target.label(for: conflict.key) == mine, "a conflict must never overwrite")
        #expect(
            target.label(for: FeatureKey(fingerprint: "fp-gone", feature: 2))
                == source.label(for: FeatureKey(fingerprint: "fp-gone", feature: 2)),
            "imported labels keep their times")
        // Provenance fills only gaps: the local name stays, the unknown fingerprint is learnt.
        #expect(target.dictionaries["fp-std"]?.name == "my-name-for-it")
        #expect(target.dictionaries["fp-std"]?.path == "/models/std.safetensors")
        #expect(target.dictionaries["fp-gone"]?.name == "retired")
        #expect(report.summary == "\(export.labels.count - 1) added, 0 identical, 1 conflict kept unchanged")

        let again = try target.merge(export)
        #expect(again.added.isEmpty && again.identical == export.labels.count - 1 && again.conflicts.count == 1)

        target.close()
        let reopened = try LabelStore(path: dir + "/b.jsonl", readOnly: true)
        #expect(reopened.allLabels.count == export.labels.count + 1)
    }

    @Test func csvFollowsRFC4180() throws {
        let l = FeatureLabel(
            verdict: .polysemantic, concept: "a, \"b\"", notes: "line1\nline2", rating: .maybe, author: "x",
            created: Date(timeIntervalSince1970: 0), updated: Date(timeIntervalSince1970: 1.5))
        let export = LabelExport(
            exported: "2024-01-01T00:00:00.000Z", cacheFingerprint: nil, dictionaries: [],
            labels: [
                ExportedLabel(
                    dictionary: "std", key: FeatureKey(fingerprint: "fp", feature: 7), label: l,
                    stats: ExportedStats(alpha: 1, elasticity: nil, normPearson: 0.5, normSpearman: -0.25, density: 0.001)),
                ExportedLabel(
                    dictionary: nil, key: FeatureKey(fingerprint: "fp2", feature: 0),
                    label: FeatureLabel(concept: "plain", created: Date(timeIntervalSince1970: 0), updated: Date(timeIntervalSince1970: 0)),
                    stats: nil)
            ])
        // Written by hand from RFC 4180: CRLF records, quotes doubled, fields with , or " quoted; control
        // characters (the LF in the notes) written as \u{A}, so a field never breaks its line.
        let expected =
            "dictionary,fingerprint,feature,verdict,concept,notes,rating,author,created,updated,provenance,"
            + "alpha,elasticity,norm_pearson,norm_spearman,density\r\n"
            + "std,fp,7,polysemantic,\"a, \"\"b\"\"\",line1\\u{A}line2,maybe,x,1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.500Z,manual,"
            + "1.0,,0.5,-0.25,0.001\r\n"
            + ",fp2,0,,plain,,,,1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.000Z,manual,,,,,\r\n"
        #expect(export.csv() == expected)
        #expect(CSV.field("cr\rhere") == "cr\\u{D}here")
        #expect(CSV.field("\u{1B}]0;title\u{07}, \u{9B}31m \u{202E}x") == "\"\\u{1B}]0;title\\u{7}, \\u{9B}31m \\u{202E}x\"")
        #expect(CSV.field("🧪 no quoting") == "🧪 no quoting")
    }

    @Test func neuronpediaRowsUseTheirTargetAndSkipTheRest() throws {
        let dir = try makeTemporaryFolder()
        defer { removeFolder(dir) }
        let store = try makeStore(dir + "/labels.jsonl")
        try store.setLabel(label(""), for: FeatureKey(fingerprint: "fp-std", feature: 999))  // no concept: skipped
        let export = store.makeExport(dictionaries: [standard], cacheFingerprint: nil, stats: stats)
        let result = export.neuronpediaExplanations(targets: ["fp-std": NeuronpediaTarget(modelId: "gpt2-small", source: "6-res-jb")])
        #expect(result.rows.count == awkwardTexts.count)
        #expect(result.skipped == 2)  // the stale label and the one without a concept
        #expect(
            result.rows.first == NeuronpediaExplanation(modelId: "gpt2-small", layer: "6-res-jb", index: "0", description: "concept plain"))
        let json = String(decoding: try result.jsonData(), as: UTF8.self)
        #expect(
            json.hasPrefix(
                "[\n  {\n    \"description\" : \"concept plain\",\n    \"index\" : \"0\",\n    \"layer\" : \"6-res-jb\",\n    \"modelId\" : \"gpt2-small\"\n  },"
            ))
    }
}
