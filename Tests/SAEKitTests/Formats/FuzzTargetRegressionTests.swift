import Foundation
import Testing
@testable import SAEKit

private let fixtures = Repo.path("Tests/SAEKitTests/Formats/Fixtures/fuzz")

/// Inputs of the fuzz targets under Sources/Fuzz that crashed a reader or broke a checked property,
/// kept byte for byte in Fixtures/fuzz/TARGET/ and laid out into files the way the target does
/// (docs/RELIABILITY.md). Each test names what went wrong before the fix.
@Suite("Fuzz target regressions")
struct FuzzTargetRegressionTests {
    static let separator = Array("\0PART\0".utf8)

    /// The input's bytes after the mode byte, split at the targets' part separator.
    static func parts(_ bytes: [UInt8], maxParts: Int) -> [Data] {
        var out: [Data] = []
        var start = 0, i = 0
        let m = separator.count
        while i + m <= bytes.count, out.count < maxParts - 1 {
            if Array(bytes[i..<(i + m)]) == separator {
                out.append(Data(bytes[start..<i]))
                i += m
                start = i
            } else {
                i += 1
            }
        }
        out.append(Data(bytes[start...]))
        return out
    }

    static func input(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(target)/\(name)")))
    }

    static func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as SAEKitError { return e.description } catch { return "not a SAEKitError: \(error)" }
        return nil
    }

    // MARK: saex-fuzz-config (byte 0: 0 = sae_weights.safetensors, 1 = sae.safetensors)

    static func loadDictionary(_ name: String) throws -> (TempDir, String?) {
        let bytes = try input("config", name)
        let p = parts(Array(bytes.dropFirst()), maxParts: 3)
        let t = TempDir()
        writeFile(t.file("cfg.json"), p[0])
        writeFile(t.file(bytes[0] & 3 == 1 ? "sae.safetensors" : "sae_weights.safetensors"), p.count > 1 ? p[1] : Data())
        return (t, refusal { _ = try DictionaryLoader.load(path: t.path) })
    }

    /// A SAELens topk SAE with k <= 0 was loaded and its k reached the encoder's top-k selection.
    @Test(arguments: ["saelens-topk-k-negative", "saelens-topk-k-zero"])
    func saeLensTopKNeedsPositiveK(_ name: String) throws {
        let (t, e) = try Self.loadDictionary(name)
        defer { t.cleanup() }
        #expect(e == "\(t.path)/cfg.json: key \"k\": must be a positive integer; set the k the SAE was trained with")
    }

    /// expansion_factor x d_in overflowed (a trap) when an empty encoder.weight declared d_in 2^40.
    @Test func sparsifyExpansionFactorOverflowIsRefused() throws {
        let (t, e) = try Self.loadDictionary("sparsify-expansion-overflow")
        defer { t.cleanup() }
        #expect(
            e
                == "\(t.path)/cfg.json: key \"expansion_factor\": 8000000000000000 x d_in 1099511627776 is too large; the config does not belong to these weights"
        )
    }

    /// An encoder.weight of shape [0, n] gave a dictionary with no features.
    @Test func sparsifyWithoutFeaturesIsRefused() throws {
        let (t, e) = try Self.loadDictionary("sparsify-no-features")
        defer { t.cleanup() }
        #expect(
            e
                == "\(t.path)/sae.safetensors: tensor \"encoder.weight\": has shape [0, 1099511627776]: a dictionary needs at least one feature and one input dimension; use another checkpoint"
        )
    }

    // MARK: saex-fuzz-cache (the cache, then optionally its .analysis)

    static func openCache(_ name: String) throws -> (TempDir, String, String, ContextCache?) {
        let p = parts(try input("cache", name), maxParts: 2)
        let t = TempDir()
        let path = t.file("c.saexcache")
        writeFile(path, p[0])
        if p.count > 1 { writeFile(AnalysisStore.path(for: path), p[1]) }
        var cache: ContextCache?
        let e = refusal { cache = try ContextCache(path: path) }
        return (t, path, e ?? "", cache)
    }

    /// Numbers no build writes: sequences x sequence_length and d_sae + 1 overflowed (traps); a
    /// bins count of 2^40 made contexts allocate 16 TiB; a negative top_k passed.
    @Test(arguments: [
        (
            "rows-overflow",
            "__metadata__.saex_cache.sample: rows 15 != sequences x sequence_length; rebuild the cache with saex cache build"
        ),
        (
            "d-sae-int-max",
            "__metadata__.saex_cache: dictionaries.0.d_sae is 9223372036854775807, expected a feature count; rebuild the cache with saex cache build"
        ),
        (
            "bins-huge",
            "__metadata__.saex_cache: options.bins is 1099511627776, expected 0 to 1000; rebuild the cache with saex cache build"
        ),
        ("top-k-negative", "__metadata__.saex_cache: options.top_k is -1, expected 1 to 4096; rebuild the cache with saex cache build")
    ])
    func cacheManifestOutOfRangeIsRefused(_ name: String, _ message: String) throws {
        let (t, path, e, _) = try Self.openCache(name)
        defer { t.cleanup() }
        #expect(e == "\(path): \(message)")
    }

    /// Match and neighbour lists naming features that do not exist were accepted; the explorer
    /// would index past the other dictionary's features.
    @Test(arguments: [("analysis-neighbour-out-of-range", "n0"), ("analysis-match-out-of-range", "m0_1")])
    func analysisListsNameExistingFeatures(_ name: String, _ prefix: String) throws {
        let (t, path, e, cache) = try Self.openCache(name)
        defer { t.cleanup() }
        #expect(e.isEmpty)
        let analysisPath = AnalysisStore.path(for: path)
        let a = Self.refusal { _ = try CacheAnalysis.read(path: analysisPath, for: try #require(cache)) }
        #expect(
            a
                == "\(analysisPath): tensor \"\(prefix).by_cos.features\": entry 0 is feature 1000, outside the 8 features; delete it; saex recomputes it"
        )
    }

    /// `pairs: [[-1, 0]]` in the analysis metadata indexed the dictionaries at -1 (a crash); such a
    /// pair is now skipped like any other pair outside the cache.
    @Test func analysisPairOutsideTheCacheIsSkipped() throws {
        let (t, path, e, cache) = try Self.openCache("analysis-pair-negative")
        defer { t.cleanup() }
        #expect(e.isEmpty)
        let analysis = try CacheAnalysis.read(path: AnalysisStore.path(for: path), for: try #require(cache))
        #expect(analysis?.matches.keys.allSatisfy { $0.from >= 0 && $0.to >= 0 } == true)
    }

    /// crash-f9076636…: an analysis whose a0.density held 4e246 was accepted; densities are
    /// fractions the explorer sorts, filters and takes the logarithm of.
    @Test func analysisDensityOutsideUnitIntervalIsRefused() throws {
        let (t, path, e, cache) = try Self.openCache("crash-f90766364f2083ca2a1d35d0148c99154bee4632")
        defer { t.cleanup() }
        #expect(e.isEmpty)
        let analysisPath = AnalysisStore.path(for: path)
        let a = Self.refusal { _ = try CacheAnalysis.read(path: analysisPath, for: try #require(cache)) }
        #expect(
            a?.hasPrefix("\(analysisPath): tensor \"a0.density\": feature 0 has density 4.011624807221854e+246, outside [0, 1]") == true)
    }

    /// crash-2beb0a19…: a column whose maximum is subnormal (7.7e-41) with 92 bins: the bin width
    /// underflowed to 0, v / width was infinite and Int() trapped while deriving the examples.
    @Test func subnormalActivationsFindABin() throws {
        let (t, _, e, cache) = try Self.openCache("crash-2beb0a199cfa03b8a551ee193f16795224d22ee9")
        defer { t.cleanup() }
        #expect(e.isEmpty)
        let c = try #require(cache)
        for f in 0..<c.dictionaries[0].featureCount {
            let ex = c.examples(dict: 0, feature: f)
            if ex.maxValue > 0 { #expect(ex.intervals.count == 92) }
            #expect(ex.intervals.reduce(0) { $0 + $1.count } <= ex.activeCount)
            _ = c.contexts(dict: 0, feature: f)
        }
        let tiny = SparseColumns(
            rowCount: 3, columns: [[(0, Float.leastNonzeroMagnitude), (1, Float.leastNonzeroMagnitude * 7), (2, .infinity)]])
        var o = CacheOptions()
        o.bins = 10
        let ex = FeatureExamples.derive(feature: 0, columns: tiny, options: o)
        #expect(ex.intervals.map(\.count).reduce(0, +) == 3)
    }

    // MARK: saex-fuzz-labels (byte 0 even: a labels file; odd: an export)

    static func labelsInput(_ name: String) throws -> (mode: UInt8, body: Data) {
        let bytes = try input("labels", name)
        return (bytes[0], Data(bytes.dropFirst()))
    }

    /// The labels input `name` written to l.labels in a new temporary folder (removed by the caller).
    static func labelsFile(_ name: String) throws -> (TempDir, path: String, mode: UInt8, body: Data) {
        let (mode, body) = try labelsInput(name)
        let t = TempDir()
        let path = t.file("l.labels")
        writeFile(path, body)
        return (t, path, mode, body)
    }

    /// leak-a9d3c9cd…: the one-byte input 0x16 (a labels file of 0 bytes). Opening it leaked 4 KB
    /// per open inside Foundation's Data(contentsOf:); LabelStore no longer reads an empty file.
    /// (The leak itself shows only under LeakSanitizer; here: it opens with no labels, read-only and
    /// read-write, and read-write gives it its header.)
    @Test func emptyLabelsFileOpens() throws {
        let (t, path, mode, body) = try Self.labelsFile("leak-a9d3c9cd54b1a392b21ea14904d9a318f74636b7")
        defer { t.cleanup() }
        #expect(mode & 1 == 0 && body.isEmpty)
        #expect(try LabelStore(path: path, readOnly: true).allLabels.isEmpty)
        let rw = try LabelStore(path: path)
        #expect(rw.allLabels.isEmpty)
        rw.close()
        #expect(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
                == "{\"format\":\"saex-labels\",\"version\":1}\n")
        let dir = t.file("folder.labels")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        #expect(throws: SAEKitError.self) { try LabelStore(path: dir, readOnly: true) }
    }

    /// crash-c387a35b…: a damaged last record whose op is "set" followed by NUL. The warning quoted
    /// the op raw, so a labels file could put NUL, ESC or other control characters on the terminal;
    /// warnings are now rendered like errors.
    @Test func warningsEscapeControlCharacters() throws {
        let (t, path, _, _) = try Self.labelsFile("crash-c387a35beb1124a40d23927365e062ecf287113a")
        defer { t.cleanup() }
        let store = try LabelStore(path: path, readOnly: true)
        #expect(
            store.warnings == [
                "\(path): line 6: ignored a damaged last record (unknown op \"set\\u{0}\"), left by a crash while saving; that change was never confirmed"
            ])
    }

    /// A time whose offset moves it before year 0000 was accepted, then written back (by a
    /// compaction or an import) as "-001-12-31T...", which saex refused: the labels file no longer
    /// opened. Such times are now refused where they are read.
    @Test func timesOutsideFourDigitYearsAreRefused() throws {
        let (t, path, _, _) = try Self.labelsFile("journal-time-before-year-0")
        defer { t.cleanup() }
        let e = Self.refusal { _ = try LabelStore(path: path, readOnly: true) }
        #expect(
            e == "\(path): line 2: \"created\" is not an ISO-8601 time; the file is damaged: fix or delete that line (keep a copy first)")
        for name in ["export-time-before-year-0", "export-time-after-year-9999"] {
            let (_, body) = try Self.labelsInput(name)
            let x = Self.refusal { _ = try LabelExport.decode(body, path: "e.json") }
            #expect(x == "e.json: labels.0: created/updated is not an ISO-8601 time; write times like 2024-05-01T12:34:56.789Z")
        }
        #expect(LabelTime.parse("0000-01-01T00:00:00.000Z").map(LabelTime.format) == "0000-01-01T00:00:00.000Z")
        #expect(LabelTime.parse("9999-12-31T23:59:59.999Z").map(LabelTime.format) == "9999-12-31T23:59:59.999Z")
    }

    // MARK: saex-fuzz-neuronpedia (byte 0 = 1: a folder of feature files 7.json, 8.json)

    /// An activation row with `"dataIndex": "-134"` was accepted and reached the explorer as a
    /// context of sequence -134 (the harness's "no negative sequence" check; fuzzer, 247,022 runs).
    @Test func neuronpediaNegativeDataIndexIsRefused() throws {
        let bytes = try Self.input("neuronpedia", "crash-8ee8af03")
        #expect(bytes[0] & 3 == 1)
        let p = Self.parts(Array(bytes.dropFirst()), maxParts: 3)
        let t = TempDir()
        defer { t.cleanup() }
        for (i, part) in p.prefix(2).enumerated() { writeFile(t.file("\(7 + i).json"), part) }
        let e = Self.refusal { _ = try ImportDetector.open(path: t.path) }
        #expect(
            e
                == "\(t.file("7.json")): activations[1].dataIndex: -134 is negative; check that this is a Neuronpedia feature JSON (/api/feature/{model}/{source}/{index})"
        )
    }

    // MARK: saex-fuzz-delphi (byte 0 = 1: the split is named 1_9223372036854775807)

    /// A split named `<start>_9223372036854775807` overflowed the split's width (a trap).
    @Test func delphiSplitEndingAtIntMaxIsRefused() throws {
        let p = Self.parts(Array(try Self.input("delphi", "split-end-int-max").dropFirst()), maxParts: 2)
        let t = TempDir()
        defer { t.cleanup() }
        let path = t.file("1_9223372036854775807.safetensors")
        writeFile(path, p[0])
        let e = Self.refusal { _ = try ImportDetector.open(path: t.path) }
        #expect(
            e
                == "\(path): the name's range is not <start>_<end> with start <= end < 9223372036854775807; check that this is a delphi latent cache split (<start>_<end>.safetensors)"
        )
    }
}
