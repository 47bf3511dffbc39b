import Foundation
import Testing
@testable import SAEKit

/// `--feature-acts`: files written here from saex's own encoder (the layout the activation dump
/// writes) build the cache that encoding builds, and a corrupted value is refused by the check.
struct FeatureActsTests {
    /// Writes OUT.features.safetensors for the rows of `acts` with saex's encoder. `check` picks the
    /// check rows among the real tokens; `corrupt` changes one stored value (dictionary, row, entry).
    static func writeFeatureActs(
        _ acts: String, to out: String, dictionaries: [NamedDictionary], check: (Int) -> Bool,
        fingerprint: (NamedDictionary) -> String = { $0.dictionary.fingerprint },
        corrupt: (dict: Int, row: Int, scale: Float)? = nil
    ) throws {
        let input = try ActivationFile(path: acts)
        let n = input.rows, dIn = input.dIn
        var x = [Float](repeating: 0, count: n * dIn)
        try x.withUnsafeMutableBufferPointer { try input.copyRows(0..<n, into: $0.baseAddress!) }
        let tokens = try input.tokenIDs()!.map { Int32($0) }
        var w = SafetensorsWriter()
        w.add("tokens", shape: [input.sequences, input.sequenceLength], int32s: tokens)
        var norms = [Float](repeating: 0, count: n)
        for r in 0..<n where tokens[r] >= 0 { norms[r] = x.withUnsafeBufferPointer { BLAS.norm(dIn, $0.baseAddress! + r * dIn) } }
        w.add("norms", shape: [n], floats: norms)
        let checkRows = (0..<n).filter { tokens[$0] >= 0 && check($0) }
        w.add("check.rows", shape: [checkRows.count], int64s: checkRows.map(Int64.init))
        w.add("check.activations", shape: [checkRows.count, dIn], floats: checkRows.flatMap { x[($0 * dIn)..<(($0 + 1) * dIn)] })
        var entries: [[String: Any]] = []
        for (di, nd) in dictionaries.enumerated() {
            let d = nd.dictionary, f = d.dSAE
            let enc = FeatureEncoder(d), calc = ElasticityCalculator(enc)
            var u = [Float](repeating: 0, count: n * dIn), pre = [Float](repeating: 0, count: n * f),
                a = [Float](repeating: 0, count: n * f)
            x.withUnsafeBufferPointer { xp in
                u.withUnsafeMutableBufferPointer { up in
                    pre.withUnsafeMutableBufferPointer { pp in
                        a.withUnsafeMutableBufferPointer { ap in
                            enc.prepareInput(xp.baseAddress!, rows: n, into: up.baseAddress!)
                            enc.preActivations(UnsafePointer(up.baseAddress!), rows: n, into: pp.baseAddress!)
                            enc.activate(UnsafePointer(pp.baseAddress!), rows: n, into: ap.baseAddress!)
                        }
                    }
                }
            }
            var rowPtr: [Int64] = [0], feats: [Int32] = [], vals: [Float] = [], pres: [Float] = []
            var uNorm = [Float](repeating: 0, count: n), uDot = [Float](repeating: 0, count: n), bdec = [Float](repeating: 0, count: n)
            for r in 0..<n {
                if tokens[r] >= 0 {
                    let t = u.withUnsafeBufferPointer { calc.rowTerms($0.baseAddress! + r * dIn) }
                    uNorm[r] = t.norm
                    uDot[r] = t.dotBDec
                    var s: Double = 0
                    for j in 0..<dIn { let v = Double(x[r * dIn + j] - d.bDec[j]); s += v * v }
                    bdec[r] = Float(s.squareRoot())
                    for i in 0..<f where a[r * f + i] != 0 {
                        feats.append(Int32(i))
                        var v = a[r * f + i]
                        if let c = corrupt, c.dict == di, c.row == r, rowPtr.last! == Int64(feats.count - 1) { v *= c.scale }
                        vals.append(v)
                        pres.append(pre[r * f + i])
                    }
                }
                rowPtr.append(Int64(feats.count))
            }
            let p = nd.name + "."
            w.add(p + "row_ptr", shape: [n + 1], int64s: rowPtr)
            w.add(p + "features", shape: [feats.count], int32s: feats)
            w.add(p + "values", shape: [vals.count], floats: vals)
            w.add(p + "pre", shape: [pres.count], floats: pres)
            w.add(p + "u_norm", shape: [n], floats: uNorm)
            w.add(p + "u_dot_bdec", shape: [n], floats: uDot)
            w.add(p + "bdec_norms", shape: [n], floats: bdec)
            entries.append([
                "name": nd.name, "fingerprint": fingerprint(nd), "path": d.metadata.path, "architecture": d.metadata.architecture,
                "d_sae": f
            ])
        }
        let meta: [String: Any] = [
            "version": 1, "rows": n, "sequences": input.sequences, "sequence_length": input.sequenceLength, "d_in": dIn,
            "dictionaries": entries, "check": ["seed": 0, "fraction": 0.1, "rows": checkRows.count],
            "producer": "saex test", "device": "cpu", "dtype": "f32"
        ]
        w.metadata["saex_features"] = String(decoding: try JSONSerialization.data(withJSONObject: meta), as: UTF8.self)
        try w.write(to: out)
    }

    /// Every tensor of the sparse build `b` byte for byte as in the encoded build `a`, which also
    /// holds the FVU's sums (the feature files do not carry every token's x); the manifests equal
    /// but for the input files' path and fingerprint.
    static func expectSameCache(_ a: String, _ b: String) throws {
        let x = try SafetensorsFile(path: a), y = try SafetensorsFile(path: b)
        let reconstruction = Set(x.names.filter { $0 == "sample.input_sums" || $0.hasSuffix(".residual_sum") })
        #expect(reconstruction.count == 1 + (try ContextCache(path: a).dictionaries.count))
        #expect(x.names.filter { !reconstruction.contains($0) }.sorted() == y.names.sorted())
        for name in y.names { #expect(Array(x.tensor(name)!.rawBytes) == Array(y.tensor(name)!.rawBytes), "\(name) differs") }
        #expect(try ContextCache(path: b).dictionaries.allSatisfy { $0.fvu == nil })
        var m1 = try ContextCache(path: a).manifest, m2 = try ContextCache(path: b).manifest
        #expect(m1.sample.activationsPath != m2.sample.activationsPath)
        m1.sample.activationsPath = ""; m1.sample.activationsFingerprint = ""
        m2.sample.activationsPath = ""; m2.sample.activationsFingerprint = ""
        #expect(m1 == m2)
    }

    @Test func featureActsBuildTheEncodedCache() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let inputs = try CacheTests.Inputs(dir)
        let (dicts, vocab, vocabPath) = (inputs.dictionaries, inputs.vocabulary, inputs.vocabPath)
        let a = try CacheTests.makeInput(dir, name: "acts-0.safetensors", sequences: 0..<11)
        let b = try CacheTests.makeInput(dir, name: "acts-1.safetensors", sequences: 11..<30)
        try CacheBuilder.build(
            dictionaries: dicts, corpus: try ActivationCorpus(paths: [a, b]), vocabulary: vocab, vocabularyPath: vocabPath,
            output: dir.file("encoded.saexcache"))
        for (acts, name) in [(a, "acts-0.features.safetensors"), (b, "acts-1.features.safetensors")] {
            try Self.writeFeatureActs(acts, to: dir.file(name), dictionaries: dicts, check: { $0 % 7 == 0 })
        }
        let paths = try ActivationCorpus.expand([dir.file("acts-*.features.safetensors")], skipFeatureFiles: false)
        #expect(paths.count == 2)
        let files = try paths.map { try FeatureActsFile(path: $0) }
        try CacheBuilder.build(
            dictionaries: dicts, featureFiles: files, vocabulary: vocab, vocabularyPath: vocabPath, output: dir.file("sparse.saexcache"))
        try Self.expectSameCache(dir.file("encoded.saexcache"), dir.file("sparse.saexcache"))
        // Parts of the feature files merge into the same cache too.
        let names = (0..<3).map { dir.file("p\($0).saexcache") }
        for (i, n) in names.enumerated() {
            try CacheBuilder.build(
                dictionaries: dicts, featureFiles: files, shard: ShardSpec(index: i, count: 3), vocabulary: vocab,
                vocabularyPath: vocabPath, output: n)
        }
        try CacheMerger.merge(inputs: names, output: dir.file("merged.saexcache"))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.saexcache")))
                == Data(contentsOf: URL(fileURLWithPath: dir.file("sparse.saexcache"))))
    }

    @Test func aCorruptedValueIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocabPath = CacheTests.makeVocab(dir)
        let dicts = try CacheTests.dictionaries()
        let acts = try CacheTests.makeInput(dir)
        // Row 21 (sequence 2, position 1) is a check row; its first "cos" entry is scaled by 1.01.
        try Self.writeFeatureActs(
            acts, to: dir.file("bad.features.safetensors"), dictionaries: dicts, check: { $0 % 7 == 0 },
            corrupt: (dict: 1, row: 21, scale: 1.01))
        let file = try FeatureActsFile(path: dir.file("bad.features.safetensors"))
        do {
            try CacheBuilder.build(
                dictionaries: dicts, featureFiles: [file], vocabulary: try Vocabulary.load(path: vocabPath), vocabularyPath: vocabPath,
                output: dir.file("c.saexcache"))
            Issue.record("expected a refusal")
        } catch let e as SAEKitError {
            let line = e.description
            #expect(line.hasPrefix(dir.file("bad.features.safetensors") + ": dictionary \"cos\" feature "), "\(line)")
            #expect(line.contains("at token (sequence 2, position 1): the file has "), "\(line)")
            #expect(
                line.contains("times the tolerance (rtol 0.001, docs/FORMATS.md); these activations were not encoded as saex encodes them"),
                "\(line)")
            #expect(!line.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("c.saexcache")))
        // The same change off the check sample passes the check (the sample is what is checked).
        try Self.writeFeatureActs(
            acts, to: dir.file("ok.features.safetensors"), dictionaries: dicts, check: { $0 % 7 == 0 },
            corrupt: (dict: 1, row: 22, scale: 1.01))
        #expect(try FeatureActsCheck.run(try FeatureActsFile(path: dir.file("ok.features.safetensors")), dictionaries: dicts).ratio <= 1)
    }

    @Test func otherWeightsAndThinSamplesAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let dicts = try CacheTests.dictionaries()
        let acts = try CacheTests.makeInput(dir)
        try Self.writeFeatureActs(
            acts, to: dir.file("fp.features.safetensors"), dictionaries: dicts, check: { $0 % 7 == 0 },
            fingerprint: { $0.name == "std" ? "0123456789abcdef" : $0.dictionary.fingerprint })
        do {
            _ = try FeatureActsFile(path: dir.file("fp.features.safetensors")).part(for: dicts[0])
            Issue.record("expected a refusal")
        } catch let e as SAEKitError {
            #expect(e.description.contains("dictionary \"std\": was encoded with weights of fingerprint 0123456789abcdef"), "\(e)")
        }
        try Self.writeFeatureActs(acts, to: dir.file("thin.features.safetensors"), dictionaries: dicts, check: { $0 == 5 })
        do {
            _ = try FeatureActsFile(path: dir.file("thin.features.safetensors"))
            Issue.record("expected a refusal")
        } catch let e as SAEKitError {
            #expect(e.description.contains("tensor \"check.rows\": holds 1 rows, fewer than 1% of the"), "\(e)")
        }
    }
}
