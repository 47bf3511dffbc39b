import Foundation
import Testing
@testable import SAEKit

/// One malformed input per error, each with the exact one-line message a user sees.
struct ImportErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// Writes the input into the folder and returns the path to open.
        var make: @Sendable (TempDir) throws -> String
        /// The expected message; "@" stands for the file the error names, "#" for the opened path.
        var message: String
        /// The file the message names, relative to the folder (nil: the opened path).
        var named: String?
        var testDescription: String { name }
    }

    static let featureRemedy = "check that this is a Neuronpedia feature JSON (/api/feature/{model}/{source}/{index})"
    static let exportRemedy = "check that this is a Neuronpedia bulk export (features/, activations/, explanations/ with batch-N.jsonl.gz)"

    static func feature(_ activations: String, index: String = "\"index\": \"3\", ") -> String {
        "{\(index)\"modelId\": \"m\", \"layer\": \"0-x\", \"activations\": [\(activations)]}"
    }

    /// Writes `text` at `relative` inside the folder, making the folders on the way, and returns its path.
    static func write(_ d: TempDir, _ relative: String, _ text: String) throws -> String {
        try write(d, relative, Array(text.utf8))
    }

    static func write(_ d: TempDir, _ relative: String, _ bytes: [UInt8]) throws -> String {
        let path = d.file(relative)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return d.write(relative, bytes)
    }

    static func split(
        _ d: TempDir, name: String = "0_3.safetensors", locations: [UInt16], activations: [Float], tokens: [Int64] = [1, 2, 3, 4],
        tokenShape: [Int] = [2, 2]
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: d.file("h"), withIntermediateDirectories: true)
        var w = SafetensorsWriter()
        w.add("locations", shape: [locations.count / 3, 3], uint16s: locations)
        w.add("activations", shape: [activations.count], floatsAsF16: activations)
        w.add("tokens", shape: tokenShape, int64s: tokens)
        try w.write(to: d.file("h/" + name))
        return d.file("h")
    }

    static let cases: [Case] = [
        Case(
            name: "truncated gzip",
            make: { d in
                let bytes = try Data(contentsOf: URL(fileURLWithPath: ImportFixture.export + "/activations/batch-0.jsonl.gz"))
                return try write(d, "s/activations/batch-0.jsonl.gz", [UInt8](bytes.prefix(bytes.count / 2)))
            }, message: "#: gzip data ends early (the file is truncated); download or copy the file again"),
        Case(
            name: "wrong JSON type", make: { d in d.write("f.json", feature("{\"tokens\": [\"a\"], \"values\": \"1\"}")) },
            message: "#: activations[0].values: expected an array of numbers, found a string; " + featureRemedy),
        Case(
            name: "missing key", make: { d in d.write("f.json", feature("", index: "")) },
            message: "#: index: is missing; " + featureRemedy),
        Case(
            name: "values and tokens differ",
            make: { d in d.write("f.json", feature("{\"tokens\": [\"a\", \"b\", \"c\"], \"values\": [1, 2]}")) },
            message: "#: activations[0].values: has 2 entries but tokens has 3; " + featureRemedy),
        Case(
            name: "peak index out of range",
            make: { d in
                d.write("f.json", feature("{\"tokens\": [\"a\"], \"values\": [1], \"maxValueTokenIndex\": 4}"))
            }, message: "#: activations[0].maxValueTokenIndex: 4 is outside the 1 tokens; " + featureRemedy),
        Case(
            name: "logit strings and values differ",
            make: { d in
                d.write("f.json", "{\"index\": 3, \"pos_str\": [\"a\", \"b\"], \"pos_values\": [1.0], \"activations\": []}")
            }, message: "#: pos_values: has 1 entries but pos_str has 2; " + featureRemedy),
        Case(
            name: "dashboard logits differ",
            make: { d in
                d.write(
                    "batch-0.json",
                    "{\"model_id\": \"m\", \"features\": [{\"feature_index\": 1, \"activations\": [], "
                        + "\"neg_str\": [\"a\"], \"neg_values\": [-1, -2]}]}")
            },
            message: "#: features[0].neg_values: has 2 entries but neg_str has 1; "
                + "check that this is an SAEDashboard Neuronpedia batch JSON"),
        Case(
            name: "export feature row logits differ",
            make: { d in
                _ = try write(
                    d, "s/features/batch-0.jsonl",
                    "{\"modelId\": \"m\", \"layer\": \"0-x\", \"index\": \"0\", \"pos_str\": [], \"pos_values\": [2]}\n")
                return d.file("s")
            }, message: "@: line 1.pos_values: has 1 entries but pos_str has 0; " + exportRemedy, named: "s/features/batch-0.jsonl"),
        Case(
            name: "NaN in JSON", make: { d in d.write("f.json", feature("{\"tokens\": [\"a\"], \"values\": [NaN]}")) },
            message:
                "#: is not valid JSON (it contains NaN or Infinity, which JSON does not allow); check that this is a Neuronpedia feature JSON or an SAEDashboard batch JSON"
        ),
        Case(
            name: "boolean index", make: { d in d.write("f.json", feature("", index: "\"index\": true, ")) },
            message: "#: index: expected a feature number, found a boolean; " + featureRemedy),
        Case(
            name: "empty JSON file", make: { d in d.write("f.json", "") },
            message: "#: is empty; check that this is a Neuronpedia feature JSON or an SAEDashboard batch JSON"),
        Case(
            name: "empty JSONL batch",
            make: { d in
                try write(d, "s/features/batch-0.jsonl", "")
            }, message: "#: is empty; " + exportRemedy),
        Case(
            name: "rows of another source",
            make: { d in
                _ = try write(
                    d, "s/features/batch-0.jsonl",
                    "{\"modelId\": \"m\", \"layer\": \"0-x\", \"index\": \"0\"}\n{\"modelId\": \"m\", \"layer\": \"1-x\", \"index\": \"1\"}\n"
                )
                return d.file("s")
            }, message: "@: line 2.layer: row belongs to m/1-x, but batch-0.jsonl belongs to m/0-x; " + exportRemedy,
            named: "s/features/batch-0.jsonl"),
        Case(
            name: "nothing recognisable",
            make: { d in
                _ = try write(d, "x/notes.txt", "hello")
                return d.file("x")
            },
            message:
                "#: has nothing saex can import; give Neuronpedia feature .json files, an export source folder (features/, activations/), SAEDashboard batch-N.json files or a delphi latents folder"
        ),
        Case(
            name: "delphi row out of range", make: { d in try split(d, locations: [5, 0, 0], activations: [1]) },
            message: "@: tensor \"locations\": row 0: sequence 5 is beyond the 2 token rows; keep the splits of one caching run together",
            named: "h/0_3.safetensors"),
        Case(
            name: "delphi latent beyond the split", make: { d in try split(d, locations: [0, 1, 4], activations: [1]) },
            message:
                "@: tensor \"locations\": row 0: latent offset 4 is beyond this split's 4 latents (0...3); check that the file name matches the split it holds",
            named: "h/0_3.safetensors"),
        Case(
            name: "delphi NaN activation", make: { d in try split(d, locations: [0, 0, 0, 1, 1, 1], activations: [1, .nan]) },
            message: "@: tensor \"activations\": entry 1 is NaN; re-run delphi's caching", named: "h/0_3.safetensors"),
        Case(
            name: "delphi length mismatch", make: { d in try split(d, locations: [0, 0, 0, 1, 1, 1], activations: [1]) },
            message:
                "@: tensor \"activations\": has 1 values but \"locations\" has 2 rows; check that this is a delphi latent cache split (<start>_<end>.safetensors)",
            named: "h/0_3.safetensors")
    ]

    @Test(arguments: cases)
    func malformedInput(_ c: Case) throws {
        let d = TempDir()
        defer { d.cleanup() }
        let path = try c.make(d)
        let expected = c.message.replacingOccurrences(of: "#", with: path).replacingOccurrences(of: "@", with: c.named.map(d.file) ?? path)
        do {
            let src = try ImportDetector.open(path: path)
            Issue.record("opened \(src.kind) without an error")
        } catch let e as SAEKitError {
            #expect(e.description == expected)
            #expect(!e.description.contains("\n"))
            #expect(e.exitCode == 2)
        }
    }

    @Test func delphiWithoutTokens() throws {
        let d = TempDir()
        defer { d.cleanup() }
        try FileManager.default.createDirectory(atPath: d.file("h"), withIntermediateDirectories: true)
        var w = SafetensorsWriter()
        w.add("locations", shape: [1, 3], uint32s: [0, 0, 0])
        w.add("activations", shape: [1], floats: [1])
        try w.write(to: d.file("h/0_9.safetensors"))
        #expect(
            throws: SAEKitError(
                .badInput, path: d.file("h"), subject: "tensor \"tokens\"",
                reason: "missing in every split (the cache was saved with save_tokens=False)",
                remedy: "re-run delphi's caching with save_tokens=True")
        ) {
            try ImportDetector.open(path: d.file("h"))
        }
    }
}
