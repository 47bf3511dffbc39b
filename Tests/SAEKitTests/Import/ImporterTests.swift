import Foundation
import Testing
@testable import SAEKit

/// Importers against the fixtures of Fixtures/make_import_fixtures.py; expected numbers are the
/// ones written into the fixtures by hand, or computed there with numpy (delphi/expected.json).
enum ImportFixture {
    static func path(_ rel: String) -> String { Repo.path("Tests/SAEKitTests/Import/Fixtures/" + rel) }
    static let export = path("neuronpedia/export/gpt2-small/0-res-jb")
    static let delphi = path("delphi/latents/layers.0")
}

struct NeuronpediaFeatureTests {
    @Test func singleFeatureJSON() throws {
        let src = try ImportDetector.open(path: ImportFixture.path("neuronpedia/features/7.json"))
        #expect(src.kind == "neuronpedia-feature-json")
        let d = try #require(src.dictionaries.first)
        #expect(d.name == "gpt2-small/0-res-jb" && d.score == .unknown && !d.hasNorms && d.featureCount == 8 && d.fingerprint.count == 16)
        #expect(src.featureIndices == [7])
        let s = src.stats(dict: 0, feature: 7)
        #expect(s.density == 0.0125 && s.maxActivation == 4.5 && !s.dead)
        #expect(
            s.normPearson == nil && s.normSpearman == nil && s.normPearsonActive == nil && s.normSpearmanActive == nil
                && s.topNormMass == nil)
        #expect(s.alpha == nil && s.elasticity == nil && s.decoderNorm == nil)
        #expect(s.topTokens == [" cat", "A"])
        #expect(src.feature(7)?.description == "cats and dogs")

        let c = try src.contexts(dict: 0, feature: 7)
        #expect(c.top.count == 2)
        #expect(c.top[0].tokens == ["The", " cat", " sat"] && c.top[0].peakIndex == 1 && c.top[0].value == 4.5 && c.top[0].sequence == 1234)
        #expect(c.top[1].peakIndex == 0 && c.top[1].value == 2.0)
        #expect(c.intervals.count == 1)
        #expect(c.intervals[0].lower == 0 && c.intervals[0].upper == Float(0.9) && c.intervals[0].contains == 0.25)
        // No maxValueTokenIndex: the peak is the argmax.
        #expect(c.intervals[0].examples[0].peakIndex == 1)

        let sample = try src.sample(dict: 0, feature: 7)
        #expect(sample.norms == nil && sample.values.sorted() == [Float(0.9), 2.0, 4.5])
        #expect(try src.matchLists(dict: 0, feature: 7, other: 0) == FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: []))
        #expect(try src.neighbours(dict: 0, feature: 7, limit: 5).isEmpty)
        // A feature the file does not carry is unknown, not dead.
        #expect(src.stats(dict: 0, feature: 3).dead == false)
        #expect(try src.contexts(dict: 0, feature: 3) == .empty)
    }

    @Test func folderOfFeatures() throws {
        let src = try ImportDetector.open(path: ImportFixture.path("neuronpedia/features"))
        #expect(src.kind == "neuronpedia-feature-json-folder")
        #expect(src.featureIndices == [7, 8])
        #expect(src.stats(dict: 0, feature: 8).dead)
        #expect(src.stats(dict: 0, feature: 8).density == 0)
    }

    @Test func saeDashboardBatch() throws {
        let src = try ImportDetector.open(path: ImportFixture.path("saedashboard/batch-0.json"))
        #expect(src.kind == "saedashboard-batch-json")
        #expect(src.descriptor.name == "gpt2-small/3-res-jb")
        #expect(src.featureIndices == [0, 5])
        let s = src.stats(dict: 0, feature: 0)
        #expect(s.density == 0.002 && s.maxActivation == 3.0 && s.topTokens == ["Hello"])
        let c = try src.contexts(dict: 0, feature: 0)
        #expect(c.top.count == 1 && c.top[0].peakIndex == 1)
        #expect(c.intervals.map(\.lower) == [0, 1.5])
        #expect(c.intervals.map(\.contains) == [0.004, 0.001])
        #expect(c.intervals[0].examples[0].tokens == ["foo", "bar"])
        #expect(src.stats(dict: 0, feature: 5).dead)
    }
}

/// Logit tables and GPT-2 byte-level token strings in imports; the SAEDashboard batch and its
/// expected display strings come from Fixtures/make_import_fixtures.py (written by hand there and
/// checked against Python's UTF-8 decoder).
struct ImportedLogitsAndTokensTests {
    struct Expected: Decodable {
        var top: [[String]]
        var intervals: [[String]]
        var top_tokens: [String]
        var logits_positive: [String]
        var logits_negative: [String]
        var logits_positive_values: [Float]
        var logits_negative_values: [Float]
    }

    @Test func saeDashboardGPT2BatchIsDecoded() throws {
        let url = URL(fileURLWithPath: ImportFixture.path("saedashboard-gpt2/expected.json"))
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
        let src = try ImportDetector.open(path: ImportFixture.path("saedashboard-gpt2/batch-0.json"))
        #expect(src.kind == "saedashboard-batch-json" && src.descriptor.name == "gpt2-small/0-res-jb")
        #expect(src.byteLevelTokens)
        let c = try src.contexts(dict: 0, feature: 0)
        #expect(c.top.map(\.tokens) == e.top)
        #expect(c.intervals.flatMap { $0.examples.map(\.tokens) } == e.intervals)
        #expect(src.stats(dict: 0, feature: 0).topTokens == e.top_tokens)
        let l = try #require(c.logits)
        #expect(l.positive.map(\.token) == e.logits_positive && l.positive.map(\.value) == e.logits_positive_values)
        #expect(l.negative.map(\.token) == e.logits_negative && l.negative.map(\.value) == e.logits_negative_values)
        #expect(l.positive.allSatisfy { $0.id == nil })
        #expect(src.feature(0)?.logits == l)
        // SAEDashboard writes empty lists for a feature without logits.
        #expect(try src.contexts(dict: 0, feature: 3).logits == nil)
    }

    @Test func neuronpediaFeatureLogitsAreNotDecoded() throws {
        let src = try ImportDetector.open(path: ImportFixture.path("neuronpedia/features/7.json"))
        #expect(!src.byteLevelTokens)
        let l = try #require(try src.contexts(dict: 0, feature: 7).logits)
        #expect(l.positive.map(\.token) == [" cat", " dogs", "café"] && l.positive.map(\.value) == [0.9, 0.7, 0.5])
        #expect(l.negative.map(\.token) == [" the"] && l.negative.map(\.value) == [-0.2])
        let eight = try ImportDetector.open(path: ImportFixture.path("neuronpedia/features/8.json"))
        #expect(try eight.contexts(dict: 0, feature: 8).logits == nil)
    }

    @Test func exportFeatureRowLogitsAreSorted() throws {
        let src = try ImportDetector.open(path: ImportFixture.export)
        let l = try #require(try src.contexts(dict: 0, feature: 0).logits)
        #expect(l.positive.map(\.token) == ["y", "x"] && l.positive.map(\.value) == [2, 1] && l.negative.isEmpty)
        #expect(try src.contexts(dict: 0, feature: 10).logits == nil)
    }
}

struct NeuronpediaExportTests {
    @Test func sourceFolderJoinsByIndexAcrossBatches() throws {
        let src = try ImportDetector.open(path: ImportFixture.export)
        #expect(src.kind == "neuronpedia-bulk-export")
        #expect(src.featureIndices == [0, 1, 2, 10])
        #expect(src.descriptor.featureCount == 11)
        let s0 = src.stats(dict: 0, feature: 0)
        #expect(s0.density == 0.5 && s0.maxActivation == 3.0 && s0.topTokens == ["c", "d"])
        #expect(src.feature(0)?.explanations == ["letters"])
        #expect(src.stats(dict: 0, feature: 1).dead)
        let c0 = try src.contexts(dict: 0, feature: 0)
        #expect(c0.top.map(\.value) == [3.0, 2.0])
        #expect(c0.intervals.count == 1 && c0.intervals[0].contains == 0.5 && c0.intervals[0].examples[0].peakIndex == 1)
        // Feature 10's rows live in activations/batch-1, though its feature row is in features/batch-0.
        let c10 = try src.contexts(dict: 0, feature: 10)
        #expect(c10.top.count == 1 && c10.top[0].tokens[c10.top[0].peakIndex] == "o" && c10.top[0].value == 7.0)
        #expect(src.feature(10)?.description == "the letter o")
        // Back to batch 0 after batch 1 was cached.
        #expect(try src.contexts(dict: 0, feature: 2).top.first?.value == 1.0)
    }

    @Test func oneActivationsBatch() throws {
        let src = try ImportDetector.open(path: ImportFixture.export + "/activations/batch-1.jsonl.gz")
        #expect(src.kind == "neuronpedia-bulk-export-batch")
        #expect(src.featureIndices == [10])
        #expect(src.stats(dict: 0, feature: 10).density == 0.01)
    }

    @Test func gzipAndPlainReadTheSameLines() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        let gz = ImportFixture.export + "/features/batch-0.jsonl.gz"
        let r = try LineReader(path: gz)
        #expect(r.isGzip)
        var lines: [String] = []
        while let l = try r.nextLine() { lines.append(String(decoding: l, as: UTF8.self)) }
        #expect(lines.count == 4 && lines[2].contains("\"index\": \"10\""))
        // Two gzip members back to back read as one stream.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        let twice = tmp.write("twice.jsonl.gz", [UInt8](bytes + bytes))
        let r2 = try LineReader(path: twice)
        var n = 0
        while try r2.nextLine() != nil { n += 1 }
        #expect(n == 8)
    }

    /// A line of 2.5 chunks between two short ones, and a last line without a line break.
    @Test func lineLongerThanTwoChunksReadsBackExactly() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        let long = String(repeating: "0123456789abcdef", count: 5 * (1 << 18) / 32)
        let path = tmp.write("long.jsonl", Array("first\n\(long)\r\nlast".utf8))
        let r = try LineReader(path: path)
        var lines: [String] = []
        while let l = try r.nextLine() { lines.append(String(decoding: l, as: UTF8.self)) }
        #expect(lines.count == 3)
        #expect(lines.first == "first" && lines.last == "last")
        #expect(lines.count == 3 && lines[1].utf8.count == 5 * (1 << 18) / 2 && lines[1] == long)
        // A line break among the first bytes of the second read, while the first line's 6 bytes
        // are dropped from the buffer: the search must resume exactly where the last one stopped.
        let x = String(repeating: "x", count: (1 << 18) - 4)
        let shifted = tmp.write("shifted.jsonl", Array("first\n\(x)\ntail\n".utf8))
        let r2 = try LineReader(path: shifted)
        var lines2: [String] = []
        while let l = try r2.nextLine() { lines2.append(String(decoding: l, as: UTF8.self)) }
        #expect(lines2 == ["first", x, "tail"])
    }

    /// Lines that cross the reader's 256 KiB chunks, with "\r\n" endings split between two reads,
    /// read back exactly, plain and gzip'd (compressed by the system's gzip, not by saex).
    @Test func linesAcrossChunkBoundariesReadBackExactly() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        var expected: [String] = []
        var bytes: [UInt8] = []
        var length = 1
        while bytes.count < 900_000 {
            // Lengths 1, 8, 57, ... (mod 100,003): lines both far shorter and longer than a chunk.
            let line = String(repeating: Character(UnicodeScalar(UInt8(97 + expected.count % 26))), count: length)
            expected.append(line)
            bytes += Array(line.utf8) + (expected.count % 2 == 0 ? [13, 10] : [10])
            length = (length * 7 + 1) % 100_003
        }
        // A "\r" as the last byte of the first chunk and its "\n" as the first byte of the next.
        let boundary = 1 << 18
        let cut = bytes[..<(boundary - 1)].lastIndex(of: 10)! + 1
        let filler = String(repeating: "z", count: boundary - 1 - cut)
        let prefix = Array(filler.utf8) + [13, 10]
        bytes = Array(bytes[..<cut]) + prefix + Array(bytes[cut...])
        let linesBeforeCut = bytes[..<cut].filter { $0 == 10 }.count
        expected.insert(filler, at: linesBeforeCut)
        #expect(bytes[boundary - 1] == 13 && bytes[boundary] == 10)
        #expect(expected.contains { $0.utf8.count > 2 * boundary / 10 } && bytes.count > 3 * boundary)
        let plain = tmp.write("lines.jsonl", bytes)
        let gzipped = tmp.path + "/lines.jsonl.gz"
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(plain)' > '\(gzipped)'"]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        for path in [plain, gzipped] {
            let r = try LineReader(path: path)
            var lines: [String] = []
            while let l = try r.nextLine() { lines.append(String(decoding: l, as: UTF8.self)) }
            #expect(r.isGzip == path.hasSuffix(".gz"))
            #expect(lines.count == expected.count)
            let firstDifference = zip(lines, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil, "\(path): first differing line \(firstDifference ?? -1)")
        }
    }
}

struct DelphiTests {
    struct Expected: Decodable {
        var density: Double
        var mean: Double
        var max: Double
        var top: [[Double]]
        var top_token: [String]
        var contains: [String: Double]
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode(
            [String: Expected].self, from: Data(contentsOf: URL(fileURLWithPath: ImportFixture.path("delphi/expected.json"))))
    }

    @Test func latentCacheMatchesNumpy() throws {
        let vocab = try Vocabulary.load(path: ImportFixture.path("delphi/vocab.json"))
        let src = try DelphiImporter.open(path: ImportFixture.delphi, tokenText: { vocab.text($0) }, window: 2)
        #expect(src.kind == "delphi-latent-cache")
        #expect(src.descriptor.name == "layers.0" && src.descriptor.featureCount == 8)
        #expect(src.featureIndices == [0, 2, 5])
        let exp = try Self.expected()
        for (key, e) in exp {
            let f = try #require(Int(key))
            let s = src.stats(dict: 0, feature: f)
            #expect(abs(s.density - e.density) < 1e-12)
            #expect(abs(Double(s.meanActivation) - e.mean) < 1e-6)
            #expect(Double(s.maxActivation) == e.max)
            #expect(s.normPearson == nil && s.alpha == nil)
            let c = try src.contexts(dict: 0, feature: f)
            #expect(c.top.map { [Double($0.sequence), Double($0.position), Double($0.value)] } == e.top)
            #expect(c.top.map { $0.tokens[$0.peakIndex] } == e.top_token)
            let contains = Dictionary(
                uniqueKeysWithValues: c.intervals.map { (String(Int(($0.upper / Float(e.max) * 10).rounded()) - 1), $0.contains) })
            #expect(contains.keys.sorted() == e.contains.keys.sorted())
            for (b, v) in e.contains { #expect(abs((contains[b] ?? -1) - v) < 1e-12) }
        }
        // Latent 2's best context is (row 0, position 2), value 3, tied with (1, 4) and first by row.
        let c2 = try src.contexts(dict: 0, feature: 2)
        #expect(c2.top[0].start == 0 && c2.top[0].tokens == ["t100", "t101", "t102", "t103", "t104"])
        #expect(c2.top[0].activations == [0, 1, 3, 0, 0])
        #expect(c2.top[1].start == 2 && c2.top[1].tokens == ["t108", "t109", "t110", "t111"] && c2.top[1].peakIndex == 2)
        #expect(try src.sample(dict: 0, feature: 2).values.sorted() == [0.5, 1, 2, 3, 3])
    }

    @Test func detectorOpensLatentsRootAndSingleSplit() throws {
        let root = try ImportDetector.open(path: ImportFixture.path("delphi/latents"))
        #expect(root.kind == "delphi-latent-cache" && root.featureIndices == [0, 2, 5])
        #expect(root.stats(dict: 0, feature: 2).topTokens.first == "<102>")
        let one = try ImportDetector.open(path: ImportFixture.delphi + "/4_7.safetensors")
        #expect(one.featureIndices == [5])
    }
}
