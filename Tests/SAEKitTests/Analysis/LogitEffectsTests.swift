import Foundation
import Testing
@testable import SAEKit

/// Logit effects: `LogitTable` against numpy (Fixtures/logits/make_logits.py, float64), the checks of
/// the unembedding file, and the tables through cache builds, --shard parts, merges and reopening.
struct LogitEffectsTests {
    static func fixture(_ name: String) -> String { Repo.path("Tests/SAEKitTests/Analysis/Fixtures/logits/" + name) }
    static let dictionaries = [("jumprelu", "fixtures/loaders/saelens_jumprelu"), ("cosine", "fixtures/loaders/cosine_topk_alpha_logit")]

    struct Expected: Decodable {
        var count: Int
        var positive_ids: [[Int]]
        var positive_values: [[Double]]
        var negative_ids: [[Int]]
        var negative_values: [[Double]]
    }

    static func expected() throws -> [String: [String: Expected]] {
        try JSONDecoder().decode([String: [String: Expected]].self, from: Data(contentsOf: URL(fileURLWithPath: fixture("expected.json"))))
    }

    /// saex's side of one feature against numpy's fifteen best: each value within 1e-5 of the largest
    /// |effect| of numpy's value for that id, in order, equal float64 values in ascending id order, and
    /// an id that differs from numpy's ten only at the cut (a float32 near-tie).
    static func check(
        ids: ArraySlice<Int32>, values: ArraySlice<Float>, want: [Int], wantValues: [Double], count k: Int, scale: Double,
        descending: Bool
    ) {
        let lookup = Dictionary(zip(want, wantValues), uniquingKeysWith: { a, _ in a })
        #expect(ids.count == k)
        var previous: (id: Int, value: Double)?
        for (id, v) in zip(ids, values) {
            guard let exact = lookup[Int(id)] else {
                Issue.record("id \(id) is not among numpy's \(want.count) best")
                return
            }
            #expect(abs(Double(v) - exact) <= 1e-5 * scale, "id \(id): \(v) vs \(exact)")
            if let p = previous {
                #expect(descending ? exact <= p.value + 1e-5 * scale : exact >= p.value - 1e-5 * scale)
                if exact == p.value { #expect(Int(id) > p.id, "a tie must list the lower id first") }
            }
            previous = (Int(id), exact)
        }
        let cut = wantValues[k - 1]
        for id in Set(ids.map(Int.init)).symmetricDifference(want.prefix(k)) {
            #expect(abs((lookup[id] ?? .infinity) - cut) <= 1e-5 * scale, "id \(id) differs from numpy away from the cut")
        }
    }

    @Test(arguments: ["layernorm", "gemma", "none"])
    func tableEqualsNumpy(_ name: String) throws {
        let all = try Self.expected()
        let u = try Unembedding(path: Self.fixture(name + ".unembed.safetensors"))
        #expect(u.finalNorm == ["layernorm": .layerNorm, "gemma": .rmsNorm, "none": .none][name])
        for (dname, path) in Self.dictionaries {
            let d = try DictionaryLoader.load(path: Repo.path(path))
            let e = try #require(all[name]?[dname])
            // Blocks of five features, so that several products and a short last block are checked.
            let t = LogitTable.compute(decoder: d.wDec.pointer, features: d.dSAE, dIn: d.dIn, unembedding: u, blockBytes: 5 * 4 * u.dVocab)
            #expect(t.count == e.count && t.featureCount == d.dSAE)
            let k = t.count
            for f in 0..<d.dSAE {
                let scale = max(abs(e.positive_values[f][0]), abs(e.negative_values[f][0]))
                Self.check(
                    ids: t.positiveIDs[(f * k)..<((f + 1) * k)], values: t.positiveValues[(f * k)..<((f + 1) * k)],
                    want: e.positive_ids[f], wantValues: e.positive_values[f], count: k, scale: scale, descending: true)
                Self.check(
                    ids: t.negativeIDs[(f * k)..<((f + 1) * k)], values: t.negativeValues[(f * k)..<((f + 1) * k)],
                    want: e.negative_ids[f], wantValues: e.negative_values[f], count: k, scale: scale, descending: false)
            }
            // One block or many: the same numbers.
            let whole = LogitTable.compute(decoder: d.wDec.pointer, features: d.dSAE, dIn: d.dIn, unembedding: u)
            #expect(whole == t)
        }
    }

    @Test func sevenTokenVocabularyKeepsEveryTokenAndBreaksTiesByID() throws {
        // Columns 5 and 6 of this W_U are equal: both lists hold all seven tokens, 5 before 6.
        let u = try Unembedding(path: Self.fixture("none.unembed.safetensors"))
        let d = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_jumprelu"))
        let t = LogitTable.compute(decoder: d.wDec.pointer, features: d.dSAE, dIn: d.dIn, unembedding: u)
        for f in 0..<d.dSAE {
            for ids in [t.positiveIDs[(f * 7)..<((f + 1) * 7)], t.negativeIDs[(f * 7)..<((f + 1) * 7)]] {
                #expect(Set(ids) == Set(0..<7))
                #expect(ids.firstIndex(of: 5)! < ids.firstIndex(of: 6)!)
            }
        }
    }

    // MARK: - The unembedding file

    static func write(
        _ dir: TempDir, _ name: String, dModel: Int = 16, vocab: Int = 20, norm: String? = "RMSNorm", offset: String? = nil,
        edit: (inout [Float], inout [Float]) -> Void = { _, _ in }, shape: [Int]? = nil, weightShape: [Int]? = nil,
        meta: [String: String] = [:]
    ) throws -> String {
        var w = (0..<(dModel * vocab)).map { Float(($0 * 37) % 11) - 5 }
        var g = (0..<dModel).map { Float($0 % 3) + 0.5 }
        edit(&w, &g)
        var s = SafetensorsWriter()
        s.add("W_U", shape: shape ?? [dModel, vocab], floats: w)
        if norm != nil || weightShape != nil {
            let shape = weightShape ?? [dModel]
            s.add("final_norm.weight", shape: shape, floats: Array(g.prefix(shape.reduce(1, *))))
        }
        if let norm { s.metadata["final_norm"] = norm }
        if let offset { s.metadata["final_norm_weight_offset"] = offset }
        for (k, v) in meta { s.metadata[k] = v }
        let p = dir.file(name)
        try s.write(to: p)
        return p
    }

    @Test func malformedUnembeddingIsOneLine() throws {
        let d = TempDir()
        defer { d.cleanup() }
        let r = "give the OUT.unembed.safetensors scripts/dump_activations.py wrote for the model (docs/BRIDGE.md)"
        let cases: [(String, String)] = [
            (try Self.write(d, "rank1.st", shape: [320]), "tensor \"W_U\": is F32 [320], expected F32 [d_model, d_vocab]; " + r),
            (try Self.write(d, "nan.st", edit: { w, _ in w[3 * 20 + 4] = .nan }), "tensor \"W_U\": holds NaN at [3, 4]; " + r),
            (
                try Self.write(d, "inf.st", edit: { _, g in g[2] = .infinity }),
                "tensor \"final_norm.weight\": holds an infinity at [2]; " + r
            ),
            (
                try Self.write(d, "meta.st", meta: ["d_model": "20"]),
                "__metadata__.d_model: says 20 but W_U is F32 [16, 20] (W_U must be [d_model, d_vocab], logits = h W_U); " + r
            ),
            (
                try Self.write(d, "norm.st", norm: "BatchNorm"),
                "__metadata__.final_norm: is \"BatchNorm\", expected LayerNorm, RMSNorm or none; " + r
            ),
            (
                try Self.write(d, "nonorm.st", norm: nil, weightShape: [16]),
                "__metadata__.final_norm: missing, but the file has final_norm.weight; " + r
            ),
            (
                try Self.write(d, "weight.st", weightShape: [8]),
                "tensor \"final_norm.weight\": is F32 [8], expected F32 [16] (d_model of W_U); " + r
            ),
            (
                try Self.write(d, "offset.st", offset: "one"),
                "__metadata__.final_norm_weight_offset: is \"one\", expected a number (1 for Gemma, else 0); " + r
            )
        ]
        for (path, message) in cases {
            do {
                _ = try Unembedding(path: path)
                Issue.record("\(path) opened without an error")
            } catch let e as SAEKitError {
                #expect(e.description == path + ": " + message)
                #expect(e.exitCode == 2)
            }
        }
        var s = SafetensorsWriter()
        s.add("lm_head", shape: [2, 2], floats: [1, 2, 3, 4])
        try s.write(to: d.file("nowu.st"))
        #expect(
            throws: SAEKitError(
                .badInput, path: d.file("nowu.st"), subject: "tensor \"W_U\"",
                reason: "missing (the file has: lm_head)", remedy: r)
        ) {
            try Unembedding(path: d.file("nowu.st"))
        }
    }

    // MARK: - Caches

    static func build(_ dir: TempDir, _ output: String, unembed: String?, shard: ShardSpec? = nil) throws {
        var o = CacheOptions()
        o.topK = 8
        let vocab = CacheTests.makeVocab(dir)
        let corpus = try ActivationCorpus(paths: [try CacheTests.makeInput(dir)])
        try CacheBuilder.build(
            dictionaries: try CacheTests.dictionaries(), corpus: corpus,
            shard: shard, vocabulary: try Vocabulary.load(path: vocab), vocabularyPath: vocab,
            unembedding: try unembed.map { try Unembedding(path: $0) }, options: o, output: dir.file(output))
    }

    @Test func cacheStoresTheTablesAndMergesKeepThem() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let unembed = Self.fixture("layernorm.unembed.safetensors")
        try Self.build(dir, "logits.saexcache", unembed: unembed)
        try Self.build(dir, "plain.saexcache", unembed: nil)
        let c = try ContextCache(path: dir.file("logits.saexcache"))
        let plain = try ContextCache(path: dir.file("plain.saexcache"))
        let u = try Unembedding(path: unembed)
        let m = try #require(c.manifest.unembed)
        #expect(m.finalNorm == "LayerNorm" && m.dVocab == 300 && m.dModel == 16 && m.count == 10 && m.weightOffset == 0)
        #expect(m.fingerprint == (try CacheBuilder.fileFingerprint(unembed)))
        #expect(c.manifest.fingerprint != plain.manifest.fingerprint && plain.manifest.unembed == nil)
        for (i, nd) in try CacheTests.dictionaries().enumerated() {
            let want = LogitTable.compute(decoder: nd.dictionary.wDec.pointer, features: nd.dictionary.dSAE, dIn: 16, unembedding: u)
            #expect(c.dictionaries[i].logits == want)
            #expect(plain.dictionaries[i].logits == nil)
            // Everything else is what a build without --unembed stores.
            #expect(Array(c.dictionaries[i].columns.rows) == Array(plain.dictionaries[i].columns.rows))
            let effects = try #require(c.contexts(dict: i, feature: 3).logits)
            #expect(effects.positive.map { $0.id! } == want.positiveIDs[30..<40].map(Int.init))
            #expect(effects.negative.map(\.value) == Array(want.negativeValues[30..<40]))
            // Ids past the 44-token vocabulary (W_U scores 300) show as <unk:id>.
            for e in effects.positive + effects.negative {
                #expect(e.token == (e.id! < 44 ? c.tokenText(Int32(e.id!)) : "<unk:\(e.id!)>"))
            }
            #expect(plain.contexts(dict: i, feature: 3).logits == nil)
        }
        // --shard parts merged: the single build's bytes, logit tables included.
        let parts = (0..<3).map { "part\($0).saexcache" }
        for (i, p) in parts.enumerated() { try Self.build(dir, p, unembed: unembed, shard: ShardSpec(index: i, count: 3)) }
        try CacheMerger.merge(inputs: parts.map(dir.file), output: dir.file("merged.saexcache"))
        #expect(try ShardAndSpillTests.bytes(dir.file("merged.saexcache")) == ShardAndSpillTests.bytes(dir.file("logits.saexcache")))
        // Parts with and without an unembedding do not merge.
        try Self.build(dir, "plain1.saexcache", unembed: nil, shard: ShardSpec(index: 1, count: 3))
        #expect(
            throws: SAEKitError(
                .badInput, path: dir.file("plain1.saexcache"),
                reason: "was built with no --unembed, \(dir.file("part0.saexcache")) with --unembed "
                    + RelativePath.of(unembed, fromFolderOf: dir.file("x")),
                remedy: "build every shard with the same --unembed (or none)")
        ) {
            try CacheMerger.merge(
                inputs: [dir.file("part0.saexcache"), dir.file("plain1.saexcache"), dir.file("part2.saexcache")],
                output: dir.file("bad.saexcache"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.saexcache")))
    }

    @Test func unembeddingThatDoesNotFitIsRefusedBeforeAnyWork() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let narrow = try Self.write(dir, "narrow.st", dModel: 8)
        let small = try Self.write(dir, "small.st", vocab: 40)
        #expect(
            throws: SAEKitError(
                .badInput, path: narrow, subject: "tensor \"W_U\"",
                reason: "has d_model = 8 but dictionary \"std\" (\(Repo.path("fixtures/loaders/saelens_jumprelu"))) "
                    + "has d_in = 16",
                remedy: "logit effects need a residual-stream dictionary of the model this unembedding belongs to")
        ) {
            try Self.build(dir, "a.saexcache", unembed: narrow)
        }
        #expect(
            throws: SAEKitError(
                .badInput, path: small, subject: "tensor \"W_U\"",
                reason: "scores 40 tokens but the vocabulary \(dir.file("vocab.json")) has 44",
                remedy: "give the unembedding of the model whose tokenizer is --vocab")
        ) {
            try Self.build(dir, "b.saexcache", unembed: small)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".saexcache") || $0.contains(".spill-") }
        #expect(left.isEmpty)
    }

    @Test func cachesWithoutLogitsStillOpen() throws {
        // The bundled demo was written before logit effects existed.
        let demo = try ContextCache(path: Repo.path("fixtures/demo/demo.saexcache"))
        #expect(demo.manifest.unembed == nil && demo.dictionaries.allSatisfy { $0.logits == nil })
        #expect(demo.contexts(dict: 0, feature: 1).logits == nil)
    }
}
