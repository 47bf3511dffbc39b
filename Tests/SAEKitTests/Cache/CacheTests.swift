import Foundation
import Testing
@testable import SAEKit

/// The cache against a brute-force dense computation of the same examples, shard merging, and
/// the errors for damaged caches.
struct CacheTests {
    /// A small activation file: 30 sequences x 10 positions x d_in 16, some padding, a high-norm first token.
    static func makeInput(_ dir: TempDir, name: String = "acts.safetensors", sequences: Range<Int> = 0..<30) throws -> String {
        var rng = SplitMix(seed: 7)
        var acts: [Float] = []
        var toks: [Int32] = []
        for s in 0..<30 {
            for p in 0..<10 {
                let scale: Float = p == 0 ? 6 : 1.5
                let row = (0..<16).map { _ in Float(rng.normal()) * scale }
                let tok: Int32 = p == 0 ? 1 : (s % 4 == 0 && p >= 8 ? -1 : Int32(3 + rng.below(40)))
                if sequences.contains(s) {
                    acts += row
                    toks.append(tok)
                }
            }
        }
        var w = SafetensorsWriter()
        w.add("activations", shape: [sequences.count, 10, 16], floats: acts)
        w.add("tokens", shape: [sequences.count, 10], int32s: toks)
        let p = dir.file(name)
        try w.write(to: p)
        return p
    }

    static func makeVocab(_ dir: TempDir) -> String {
        let words = ["[PAD]", "[CLS]", "[SEP]"] + (3..<43).map { "w\($0)" } + ["##ing"]
        let json = "[" + words.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return dir.write("vocab.json", json)
    }

    static func dictionaries() throws -> [NamedDictionary] {
        [
            NamedDictionary(name: "std", dictionary: try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_jumprelu"))),
            NamedDictionary(name: "cos", dictionary: try DictionaryLoader.load(path: Repo.path("fixtures/loaders/cosine_topk_alpha_logit")))
        ]
    }

    /// What the builds here share: the vocabulary (written into the test's folder) and the dictionaries.
    struct Inputs {
        let vocabPath: String
        let vocabulary: Vocabulary
        let dictionaries: [NamedDictionary]

        init(_ dir: TempDir) throws {
            vocabPath = CacheTests.makeVocab(dir)
            vocabulary = try Vocabulary.load(path: vocabPath)
            dictionaries = try CacheTests.dictionaries()
        }

        /// Builds the cache of the activation file `input` at `output`.
        func build(_ input: String, options: CacheOptions = CacheOptions(), output: String) throws {
            try CacheBuilder.build(
                dictionaries: dictionaries, input: try ActivationFile(path: input), vocabulary: vocabulary, vocabularyPath: vocabPath,
                options: options, output: output)
        }
    }

    @Test func topContextsMatchBruteForce() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let inputPath = try Self.makeInput(dir)
        let input = try ActivationFile(path: inputPath)
        var options = CacheOptions()
        options.topK = 8
        let inputs = try Inputs(dir)
        let dicts = inputs.dictionaries
        try inputs.build(inputPath, options: options, output: dir.file("c.saexcache"))
        let cache = try ContextCache(path: dir.file("c.saexcache"))
        #expect(cache.manifest.sample.rows == 300)
        let tokens = try input.tokenIDs()!

        for (di, nd) in dicts.enumerated() {
            // Dense brute force over every row.
            var x = [Float](repeating: 0, count: 300 * 16)
            try x.withUnsafeMutableBufferPointer { try input.copyRows(0..<300, into: $0.baseAddress!) }
            let acts = FeatureEncoder(nd.dictionary).encode(x, rows: 300)
            for f in 0..<nd.dictionary.dSAE {
                var active: [(row: Int, v: Float)] = []
                for r in 0..<300 where tokens[r] >= 0 && acts[r * 48 + f] != 0 { active.append((r, acts[r * 48 + f])) }
                active.sort { $0.v > $1.v || ($0.v == $1.v && $0.row < $1.row) }
                let ctx = cache.contexts(dict: di, feature: f)
                #expect(ctx.top.count == min(8, active.count))
                for (j, t) in ctx.top.enumerated() {
                    #expect(t.sequence * 10 + t.position == active[j].row)
                    #expect(t.value == active[j].v)
                    #expect(t.activations[t.peakIndex] == active[j].v)
                }
                #expect(cache.dictionaries[di].columns.range(f).count == active.count)
                // Interval counts add up to the active count; every sampled row is active and in its bin.
                let total = ctx.intervals.reduce(0.0) { $0 + $1.contains }
                if !active.isEmpty { #expect(abs(total - 1) < 1e-9) }
                // Bins run from the smallest positive activation to the max, equal width, the first
                // closed; samples are shown highest first; counts match a dense recount.
                if let lo = active.map(\.v).min(), let hi = active.map(\.v).max(), !ctx.intervals.isEmpty {
                    let n = ctx.intervals.count
                    #expect(ctx.intervals.first?.lower == lo && ctx.intervals.last?.upper == hi)
                    let w = Double(hi - lo) / Double(n)
                    var want = [Int](repeating: 0, count: n)
                    for a in active {
                        let q = w > 0 ? (Double(a.v - lo) / w).rounded(.up) : Double(n)
                        want[min(n - 1, max(0, Int(q) - 1))] += 1
                    }
                    for (g, count) in zip(ctx.intervals, want) {
                        // A value on a bin edge may land on either side after float rounding.
                        #expect(abs(g.contains * Double(active.count) - Double(count)) <= 1.0001, "feature \(f)")
                        for e in g.examples { #expect(e.value >= g.lower * (1 - 1e-6) && e.value <= g.upper * (1 + 1e-6)) }
                        #expect(g.examples.map(\.value) == g.examples.map(\.value).sorted(by: >))
                    }
                }
                for e in ctx.random { #expect(e.value > 0) }
            }
        }
        // Norms are ||x|| of the raw rows; padding rows have none.
        let r = 13
        let expectedNorm = (0..<16).map { Double(try! input.activations.floats()[r * 16 + $0]) }.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(Double(cache.norms[r]) - expectedNorm) < 1e-4)
        #expect(cache.tokenText(1) == "[CLS]")
    }

    @Test func mergedShardsEqualOneBuild() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let inputs = try Inputs(dir)
        try inputs.build(try Self.makeInput(dir), output: dir.file("all"))
        try inputs.build(try Self.makeInput(dir, name: "a", sequences: 0..<11), output: dir.file("a"))
        try inputs.build(try Self.makeInput(dir, name: "b", sequences: 11..<30), output: dir.file("b"))
        try CacheMerger.merge(inputs: [dir.file("a"), dir.file("b")], output: dir.file("m"))
        let one = try SafetensorsFile(path: dir.file("all"))
        let merged = try SafetensorsFile(path: dir.file("m"))
        #expect(one.names == merged.names)
        for name in one.names {
            let a = one.tensor(name)!, b = merged.tensor(name)!
            #expect(a.shape == b.shape, "\(name)")
            // Sums of separate caches are added as rounded Doubles (docs/FORMATS.md).
            if name.hasSuffix("elasticity_sum") || name == "sample.input_sums" || name.hasSuffix(".residual_sum") {
                let x = try a.floats(), y = try b.floats()
                #expect(maxRelativeError(x, y) < 1e-6, "\(name)")
            } else {
                #expect(Array(a.rawBytes) == Array(b.rawBytes), "\(name) differs")
            }
        }
        #expect(try ContextCache(path: dir.file("m")).manifest.sample.shards == 2)
        let fvuOne = try ContextCache(path: dir.file("all")).dictionaries.map(\.fvu)
        let fvuMerged = try ContextCache(path: dir.file("m")).dictionaries.map(\.fvu)
        for (x, y) in zip(fvuOne, fvuMerged) { #expect(x != nil && abs(x! - y!) <= 1e-9 * x!) }
    }

    @Test func tokenOutsideVocabularyIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let small = dir.write("small.json", "[\"a\", \"b\"]")
        let input = try ActivationFile(path: try Self.makeInput(dir))
        let e = try #require(throws: SAEKitError.self) {
            try CacheBuilder.build(
                dictionaries: try Self.dictionaries(), input: input, vocabulary: try Vocabulary.load(path: small), vocabularyPath: small,
                output: dir.file("c"))
        }
        #expect(e.description.contains("tokens[0, 1]: token id"))
        #expect(
            e.description.contains(
                "is outside the vocabulary of \(small) (2 tokens); give the tokenizer of the model that produced the activations"))
    }

    @Test func dInMismatchIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var w = SafetensorsWriter()
        w.add("activations", shape: [2, 3, 8], floats: [Float](repeating: 1, count: 48))
        w.add("tokens", shape: [2, 3], int32s: [1, 2, 3, 1, 2, 3])
        try w.write(to: dir.file("a.safetensors"))
        let inputs = try Inputs(dir)
        let e = try #require(throws: SAEKitError.self) { try inputs.build(dir.file("a.safetensors"), output: dir.file("c")) }
        #expect(e.description.hasPrefix("\(dir.file("a.safetensors")): tensor \"activations\": has d_in = 8 but dictionary \"std\""))
    }

    func openError(_ path: String) -> String {
        do { _ = try ContextCache(path: path); return "opened" } catch { return "\(error)" }
    }

    @Test func damagedCachesGiveOneLineErrors() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Inputs(dir).build(try Self.makeInput(dir), output: dir.file("c"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("c")))
        // Truncated.
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: dir.file("t")))
        #expect(openError(dir.file("t")).hasPrefix("\(dir.file("t")): tensor data ends at byte"))
        #expect(openError(dir.file("t")).hasSuffix("rebuild it with saex cache build"))
        // A safetensors file that is not a cache.
        #expect(
            openError(Repo.path("fixtures/loaders/saelens_standard_f32/sae_weights.safetensors")).contains(
                "is a safetensors file but not a saex cache"))
        // Empty file and folder.
        let empty = dir.write("empty", [])
        #expect(openError(empty).contains("not a safetensors file: 0 bytes"))
        #expect(openError(dir.path) == "\(dir.path): is a folder, expected a file; give the path of the file inside it")
        // A newer cache version.
        var newer = bytes
        let needle = Data("\\\"version\\\":1".utf8)
        let at = try #require(newer.range(of: needle))
        newer.replaceSubrange(at, with: Data("\\\"version\\\":9".utf8))
        try newer.write(to: URL(fileURLWithPath: dir.file("v")))
        #expect(
            openError(dir.file("v")) == "\(dir.file("v")): was written by a newer saex (cache version 9; this saex reads 1); upgrade saex")
        // Corrupt row index inside the sparse matrix.
        let f = try SafetensorsFile(path: dir.file("c"))
        let rowsT = f.tensor("d0.rows")!
        var corrupt = bytes
        let off = rowsT.absoluteOffset
        corrupt.replaceSubrange(off..<(off + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
        try corrupt.write(to: URL(fileURLWithPath: dir.file("r")))
        #expect(
            openError(dir.file("r"))
                == "\(dir.file("r")): tensor \"d0.rows\": entry 0 points past the 300-row sample; rebuild the cache with saex cache build")
    }
}

/// A seeded generator for test data (SplitMix64 + Box-Muller).
struct SplitMix {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func uniform() -> Double { generator.nextUnit() }
    mutating func below(_ n: Int) -> Int { generator.next(below: n) }
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
