import Foundation
import Testing
@testable import SAEKit

/// The FVU a cache records: from each token's nonzeros, over the real tokens, for every kind of
/// dictionary; against the definition computed here in extended precision from the dense decode.
struct ReconstructionTests {
    /// Dictionaries of every rule, score and input transform (layer norm, constant scale, decoder-norm rescaling).
    static func dictionaries() throws -> [NamedDictionary] {
        var named = try [
            "saelens_jumprelu", "saelens_gated", "saelens_topk_rescale", "saelens_expected_average_checkpoint",
            "saelens_standard_no_bdec_input", "cosine_topk_alpha_logit", "cosine_relu_scalar_alpha",
            "saelens_batchtopk_checkpoint"
        ]
        .map { NamedDictionary(name: $0, dictionary: try DictionaryLoader.load(path: Repo.path("fixtures/loaders/\($0)"))) }
        for (name, norm) in [("layer_norm", InputNormalization.layerNorm), ("norm_rescale", .constantNormRescale)] {
            var d = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_standard_f32"))
            d.normalization = norm
            d.fingerprint = name
            named.append(NamedDictionary(name: name, dictionary: d))
        }
        return named
    }

    /// sum ||x - x_hat||^2 / sum ||x - mean||^2 over the real rows, x_hat from the dense decode.
    static func expectedFVU(_ d: SAEDictionary, x: [Float], real: [Int]) -> Double {
        let dIn = d.dIn, n = x.count / dIn
        let enc = FeatureEncoder(d)
        let acts = enc.encode(x, rows: n)
        var xHat = [Float](repeating: 0, count: x.count), u = [Float](repeating: 0, count: x.count)
        let transform = x.withUnsafeBufferPointer { xp in
            u.withUnsafeMutableBufferPointer { enc.prepareInput(xp.baseAddress!, rows: n, into: $0.baseAddress!) }
        }
        acts.withUnsafeBufferPointer { a in
            xHat.withUnsafeMutableBufferPointer { enc.decode(a.baseAddress!, rows: n, transform: transform, into: $0.baseAddress!) }
        }
        var residual: Float80 = 0, total: Float80 = 0
        for j in 0..<dIn {
            let mean = real.reduce(Float80(0)) { $0 + Float80(x[$1 * dIn + j]) } / Float80(real.count)
            for r in real {
                let e = Float80(x[r * dIn + j]) - Float80(xHat[r * dIn + j]), c = Float80(x[r * dIn + j]) - mean
                residual += e * e
                total += c * c
            }
        }
        return Double(residual / total)
    }

    @Test func cacheRecordsTheFVUOfEveryDictionaryOverRealTokens() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let input = try ActivationFile(path: try CacheTests.makeInput(dir))
        let dicts = try Self.dictionaries()
        try CacheBuilder.build(
            dictionaries: dicts, input: input, vocabulary: try Vocabulary.load(path: vocab), vocabularyPath: vocab,
            output: dir.file("c.saexcache"))
        let cache = try ContextCache(path: dir.file("c.saexcache"))
        var x = [Float](repeating: 0, count: input.rows * input.dIn)
        try x.withUnsafeMutableBufferPointer { try input.copyRows(0..<input.rows, into: $0.baseAddress!) }
        let tokens = try #require(try input.tokenIDs())
        let real = tokens.indices.filter { tokens[$0] >= 0 }
        #expect(real.count < input.rows, "the input should hold padding")
        for (di, nd) in dicts.enumerated() {
            let want = Self.expectedFVU(nd.dictionary, x: x, real: real)
            let got = try #require(cache.dictionaries[di].fvu, "\(nd.name): no FVU")
            #expect(abs(got - want) <= 1e-5 * want, "\(nd.name): cache \(got), definition \(want)")
            #expect(cache.descriptors[di].fvu == got)
        }
        // The summary reads it through the table, beside the mean L0.
        let source = try CacheFeatureSource(path: dir.file("c.saexcache"))
        let summary = DictionarySummary(table: source.table(dict: 0))
        #expect(summary.fvu == cache.dictionaries[0].fvu && summary.meanL0 != nil)
        // saex encode's accumulator gives the same value from the same definition.
        let fvu = FVUAccumulator(dIn: input.dIn)
        let d = dicts[0].dictionary, enc = FeatureEncoder(d)
        let acts = enc.encode(x, rows: input.rows)
        var xHat = [Float](repeating: 0, count: x.count)
        acts.withUnsafeBufferPointer { a in
            xHat.withUnsafeMutableBufferPointer { enc.decode(a.baseAddress!, rows: input.rows, transform: nil, into: $0.baseAddress!) }
        }
        for r in real {
            x.withUnsafeBufferPointer { xp in
                xHat.withUnsafeBufferPointer { fvu.add(x: xp.baseAddress! + r * 16, xHat: $0.baseAddress! + r * 16, rows: 1) }
            }
        }
        let encoded = try #require(fvu.value)
        #expect(abs(encoded - cache.dictionaries[0].fvu!) <= 1e-6 * encoded)
    }

    /// `full` rewritten: tensors `keep` passes, bytes from `bytes` where it gives some, metadata through `metadata`.
    static func rewrite(
        _ full: SafetensorsFile, to path: String, keep: (String) -> Bool = { _ in true },
        bytes: (String) -> [UInt8]? = { _ in nil }, metadata: (String) -> String = { $0 }
    ) throws {
        var w = SafetensorsWriter()
        for name in full.names where keep(name) {
            let t = try #require(full.tensor(name))
            w.add(name, dtype: t.dtype, shape: t.shape, bytes: Data(bytes(name) ?? Array(t.rawBytes)))
        }
        for (k, v) in full.metadata { w.metadata[k] = metadata(v) }
        try w.write(to: path)
    }

    @Test func aCacheWithoutTheSumsHasNoFVUAndBadSumsAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let input = try ActivationFile(path: try CacheTests.makeInput(dir))
        try CacheBuilder.build(
            dictionaries: try CacheTests.dictionaries(), input: input, vocabulary: try Vocabulary.load(path: vocab),
            vocabularyPath: vocab, output: dir.file("c.saexcache"))
        // The cache as an older saex wrote it: the same tensors less the FVU's sums.
        let full = try SafetensorsFile(path: dir.file("c.saexcache"))
        try Self.rewrite(full, to: dir.file("old.saexcache"), keep: { $0 != "sample.input_sums" && !$0.hasSuffix(".residual_sum") })
        let old = try ContextCache(path: dir.file("old.saexcache"))
        #expect(old.inputSums == nil && old.dictionaries.allSatisfy { $0.fvu == nil && $0.residualSum == nil })
        #expect(DictionarySummary(table: try CacheFeatureSource(path: dir.file("old.saexcache")).table(dict: 0)).fvu == nil)
        // A negative sum of squares is refused in one line naming the tensor.
        let minusOne = withUnsafeBytes(of: (-1.0).bitPattern.littleEndian) { Array($0) }
        try Self.rewrite(full, to: dir.file("bad.saexcache"), bytes: { $0 == "d1.residual_sum" ? minusOne : nil })
        do {
            _ = try ContextCache(path: dir.file("bad.saexcache"))
            Issue.record("expected a refusal")
        } catch let e as SAEKitError {
            #expect(
                e.description == dir.file("bad.saexcache") + ": tensor \"d1.residual_sum\": entry 0 is -1.0, a sum of squares below 0; "
                    + "rebuild the cache with saex cache build", "\(e)")
        }
        // So is a shape that does not fit the manifest's d_in, even an absurd one.
        for dIn in ["4", "-3", "9223372036854775807"] {
            let manifest = { (m: String) in m.replacingOccurrences(of: "\"d_in\":16", with: "\"d_in\":\(dIn)") }
            try Self.rewrite(full, to: dir.file("shape.saexcache"), metadata: manifest)
            do {
                _ = try ContextCache(path: dir.file("shape.saexcache"))
                Issue.record("expected a refusal for d_in \(dIn)")
            } catch let e as SAEKitError {
                #expect(
                    e.description.hasPrefix(dir.file("shape.saexcache") + ": tensor \"sample.input_sums\": is F64 [2, 16], expected "),
                    "\(e)")
                #expect(!e.description.contains("\n"))
            }
        }
    }
}
