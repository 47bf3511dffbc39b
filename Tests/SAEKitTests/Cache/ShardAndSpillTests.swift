import Foundation
import Testing
@testable import SAEKit

/// --shard parts merged against a single build (byte for byte), spilled builds against in-memory
/// ones, activation lists and globs, and the exact elasticity sums.
struct ShardAndSpillTests {
    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static func build(_ corpus: ActivationCorpus, shard: ShardSpec? = nil, limit: Int? = nil, vocab: String, output: String) throws {
        var o = CacheOptions()
        o.topK = 8
        if let limit { o.memoryLimit = limit }
        try CacheBuilder.build(
            dictionaries: try CacheTests.dictionaries(), corpus: corpus, shard: shard, vocabulary: try Vocabulary.load(path: vocab),
            vocabularyPath: vocab, options: o, output: output)
    }

    @Test(arguments: [1, 2, 4, 7, 30])
    func mergedPartsEqualSingleBuild(parts: Int) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let corpus = try ActivationCorpus(paths: [try CacheTests.makeInput(dir)])
        try Self.build(corpus, vocab: vocab, output: dir.file("single.saexcache"))
        var names: [String] = []
        for i in 0..<parts {
            names.append(dir.file("part\(i).saexcache"))
            try Self.build(corpus, shard: ShardSpec(index: i, count: parts), vocab: vocab, output: names[i])
        }
        let part0 = try ContextCache(path: names[0])
        #expect(part0.manifest.sample.shard?.count == parts)
        #expect(part0.file.tensor("d0.elasticity_exact") != nil)
        #expect(part0.file.tensor("sample.input_sums_exact") != nil && part0.file.tensor("d1.residual_exact") != nil)
        try CacheMerger.merge(inputs: names, output: dir.file("merged.saexcache"))
        #expect(try Self.bytes(dir.file("merged.saexcache")) == Self.bytes(dir.file("single.saexcache")))
        // The FVU of the merged parts is the single build's, bit for bit, and known.
        let single = try ContextCache(path: dir.file("single.saexcache")), merged = try ContextCache(path: dir.file("merged.saexcache"))
        for di in 0..<2 {
            let fvu = try #require(single.dictionaries[di].fvu)
            #expect(merged.dictionaries[di].fvu?.bitPattern == fvu.bitPattern)
            #expect(merged.dictionaries[di].residualSum?.bitPattern == single.dictionaries[di].residualSum?.bitPattern)
        }
        #expect(merged.file.tensor("sample.input_sums_exact") == nil)
    }

    @Test func partsOfAFileListEqualABuildOfTheList() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let a = try CacheTests.makeInput(dir, name: "acts-0.safetensors", sequences: 0..<11)
        let b = try CacheTests.makeInput(dir, name: "acts-1.safetensors", sequences: 11..<30)
        let files = try ActivationCorpus.expand([dir.file("acts-*.safetensors")])
        #expect(files == [a, b])
        let corpus = try ActivationCorpus(paths: files)
        #expect(corpus.sequences == 30 && corpus.rows == 300)
        try Self.build(corpus, vocab: vocab, output: dir.file("list.saexcache"))
        let names = (0..<3).map { dir.file("p\($0).saexcache") }
        for (i, n) in names.enumerated() { try Self.build(corpus, shard: ShardSpec(index: i, count: 3), vocab: vocab, output: n) }
        try CacheMerger.merge(inputs: names, output: dir.file("merged.saexcache"))
        #expect(try Self.bytes(dir.file("merged.saexcache")) == Self.bytes(dir.file("list.saexcache")))
        // The list holds the same rows as the one file they were cut from: same columns and norms.
        try Self.build(try ActivationCorpus(paths: [try CacheTests.makeInput(dir)]), vocab: vocab, output: dir.file("one.saexcache"))
        let one = try ContextCache(path: dir.file("one.saexcache")), list = try ContextCache(path: dir.file("list.saexcache"))
        #expect(Array(one.dictionaries[1].columns.rows) == Array(list.dictionaries[1].columns.rows))
        #expect(Array(one.dictionaries[1].elasticitySum) == Array(list.dictionaries[1].elasticitySum))
        #expect(list.manifest.sample.shards == 2)
        #expect(list.manifest.sample.activationsPath == "acts-0.safetensors + acts-1.safetensors")
    }

    @Test func spilledBuildEqualsInMemoryBuild() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let corpus = try ActivationCorpus(paths: [try CacheTests.makeInput(dir)])
        try Self.build(corpus, vocab: vocab, output: dir.file("memory.saexcache"))
        for limit in [64 << 10, 120 << 10] {
            var o = CacheOptions()
            o.memoryLimit = limit
            let plan = BuildMemoryPlan(options: o, featureCounts: [48, 48], dIn: 16, gated: false)
            let nnz = try ContextCache(path: dir.file("memory.saexcache")).dictionaries[0].columns.nonzeroCount
            #expect(plan.runCapacity * 4 < nnz, "limit \(limit) should spill several runs")
            try Self.build(corpus, limit: limit, vocab: vocab, output: dir.file("spilled.saexcache"))
            #expect(try Self.bytes(dir.file("spilled.saexcache")) == Self.bytes(dir.file("memory.saexcache")), "limit \(limit)")
        }
        // The spill folder is gone; only the caches remain.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".spill-") }
        #expect(left.isEmpty)
    }

    @Test func aFailedBuildLeavesNoSpillFolder() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let corpus = try ActivationCorpus(paths: [try CacheTests.makeInput(dir)])
        // The output name is taken by a folder: the build spills, then fails when it moves the file into place.
        try FileManager.default.createDirectory(atPath: dir.file("out.saexcache"), withIntermediateDirectories: false)
        #expect(throws: SAEKitError.self) { try Self.build(corpus, limit: 64 << 10, vocab: vocab, output: dir.file("out.saexcache")) }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func columnSpillerRunsConcatenate() throws {
        // Rows arrive in order; any run capacity gives the same columns as a dense transpose.
        var rng = SplitMix(seed: 3)
        let f = 7, n = 60
        var dense = [Float](repeating: 0, count: n * f)
        for k in 0..<dense.count where rng.below(3) == 0 { dense[k] = Float(k) + 0.5 }
        for capacity in [1, 5, 1000] {
            let folder = SpillFolder(output: NSTemporaryDirectory() + "spill-test-\(UUID().uuidString)")
            defer { folder.remove() }
            let s = ColumnSpiller(featureCount: f, capacity: capacity, folder: folder, name: "c")
            for r in 0..<n { try dense.withUnsafeBufferPointer { try s.appendRow($0.baseAddress! + r * f) { _, _ in } } }
            try s.finish()
            #expect(s.spilled == (capacity < 100))
            var expectedRows: [UInt32] = []
            for i in 0..<f { for r in 0..<n where dense[r * f + i] != 0 { expectedRows.append(UInt32(r)) } }
            let tmp = NSTemporaryDirectory() + "cols-\(UUID().uuidString).safetensors"
            defer { unlink(tmp) }
            let w = try SafetensorsStreamWriter(path: tmp, tensors: [.init("rows", .u32, [s.nonzeroCount])])
            try s.write(values: false, to: w, readerBytes: 64)
            try w.finish()
            let got = try SafetensorsFile(path: tmp).tensor("rows")!.int64s().map { UInt32($0) }
            #expect(got == expectedRows, "capacity \(capacity)")
        }
    }

    @Test func exactSumsAreOrderFreeAndRoundOnce() throws {
        var rng = SplitMix(seed: 11)
        // Exponents within 2^-8 ... 2^8: a Float80 (64-bit mantissa) holds these sums exactly.
        let values = (0..<5000).map { _ in Float(rng.normal()) * Float(1 << rng.below(16)) / 256 }
        var exact: Float80 = 0
        for v in values { exact += Float80(v) }
        let whole = ExactSums(count: 1)
        for v in values { whole.add(v, to: 0) }
        #expect(whole.value(0) == Double(exact))
        // Any split, added exactly, gives the same bits; stored and read back too.
        let a = ExactSums(count: 1), b = ExactSums(count: 1)
        for (k, v) in values.reversed().enumerated() { (k % 3 == 0 ? a : b).add(v, to: 0) }
        let restored = try #require(ExactSums(count: 1, storage: a.normalisedStorage()))
        restored.add(b)
        #expect(restored.value(0) == whole.value(0))
        // Tiny and huge magnitudes at once, where a Double sum loses the small terms: 2^100 + 3 * 2^-140 - 2^100.
        let wide = ExactSums(count: 1)
        for v: Float in [0x1p100, 0x1p-140, 0x1p-140, 0x1p-140, -0x1p100] { wide.add(v, to: 0) }
        #expect(wide.value(0) == 3 * 0x1p-140)
        let special = ExactSums(count: 3)
        special.add(Float.infinity, to: 0); special.add(Float(1), to: 0)
        special.add(Float.infinity, to: 1); special.add(-Float.infinity, to: 1)
        special.add(Float.nan, to: 2)
        #expect(special.value(0) == .infinity && special.value(1).isNaN && special.value(2).isNaN)
    }

    /// The squares layout (the FVU's sums): Floats and Doubles on a 2^-298 grid, exact in any order.
    @Test func exactSquareSumsAreOrderFreeAndRoundOnce() throws {
        var rng = SplitMix(seed: 12)
        let floats = (0..<3000).map { _ in Float(rng.normal()) * Float(1 << rng.below(12)) / 64 }
        // Squares of Floats are exact in Double; a Float80 holds their sum exactly at these exponents.
        var exact: Float80 = 0
        for v in floats { exact += Float80(v) * Float80(v) }
        let whole = ExactSums(count: 2, layout: .squares)
        for v in floats {
            whole.add(Double(v) * Double(v), to: 0)
            whole.add(v, to: 1)
        }
        #expect(whole.value(0) == Double(exact))
        let parts = [ExactSums(count: 2, layout: .squares), ExactSums(count: 2, layout: .squares)]
        for (k, v) in floats.reversed().enumerated() {
            parts[k % 2].add(Double(v) * Double(v), to: 0)
            parts[k % 2].add(v, to: 1)
        }
        let restored = try #require(ExactSums(count: 2, layout: .squares, storage: parts[0].normalisedStorage()))
        restored.add(parts[1])
        #expect(restored.values() == whole.values())
        // The extremes of the grid: the smallest Float squared, and a huge square, with cancellation.
        let wide = ExactSums(count: 1, layout: .squares)
        for v: Double in [0x1p250, 0x1p-298, 0x1p-298, -0x1p250] { wide.add(v, to: 0) }
        #expect(wide.value(0) == 0x1p-297)
        let special = ExactSums(count: 1, layout: .squares)
        special.add(Double.infinity, to: 0); special.add(Double.nan, to: 0)
        #expect(special.value(0).isNaN)
    }

    @Test func badPartsAreRefused() throws {
        for (text, message) in [
            ("4/4", "--shard 4/4: the part number must be 0 to 3 (counted from 0); use --array=0-3 with --shard $SLURM_ARRAY_TASK_ID/4"),
            ("1/0", "--shard 1/0: the number of parts must be 1 or more"),
            ("-1/2", "--shard -1/2: the part number must be 0 to 1 (counted from 0); use --array=0-1 with --shard $SLURM_ARRAY_TASK_ID/2"),
            (
                "a/b",
                "--shard a/b: expected I/N, e.g. 0/4; give the part number counted from 0 and the number of parts, as --shard $SLURM_ARRAY_TASK_ID/N"
            )
        ] {
            #expect(throws: SAEKitError.self) { try ShardSpec(parsing: text) }
            do { _ = try ShardSpec(parsing: text) } catch let e as SAEKitError { #expect(e.description == message) }
        }
        let dir = TempDir()
        defer { dir.cleanup() }
        let vocab = CacheTests.makeVocab(dir)
        let corpus = try ActivationCorpus(paths: [try CacheTests.makeInput(dir)])
        do {
            try Self.build(corpus, shard: ShardSpec(index: 0, count: 31), vocab: vocab, output: dir.file("x"))
            Issue.record("expected an error")
        } catch let e as SAEKitError {
            #expect(
                e.description
                    == "--shard 0/31: the activations hold 30 sequences, too few for 31 parts of whole sequences; use at most 30 parts")
        }
        // A merge needs every part, in order.
        let names = (0..<3).map { dir.file("p\($0).saexcache") }
        for (i, n) in names.enumerated() { try Self.build(corpus, shard: ShardSpec(index: i, count: 3), vocab: vocab, output: n) }
        for inputs in [[names[0], names[2]], [names[1], names[0], names[2]], [names[0], names[1]]] {
            #expect(throws: SAEKitError.self) { try CacheMerger.merge(inputs: inputs, output: dir.file("m")) }
        }
        do {
            try CacheMerger.merge(inputs: [names[0], names[2]], output: dir.file("m"))
        } catch let e as SAEKitError {
            #expect(e.description.hasSuffix("give all 3 parts of one build in order (0 to 2)"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("m")))
    }

    @Test func globsMatchingNothingAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        _ = dir.write("acts-b.safetensors", "x")
        _ = dir.write("acts-a.safetensors", "x")
        _ = dir.write("acts-a.features.safetensors", "x")
        #expect(
            try ActivationCorpus.expand([dir.file("acts-*.safetensors")]) == [
                dir.file("acts-a.safetensors"), dir.file("acts-b.safetensors")
            ])
        do {
            _ = try ActivationCorpus.expand([dir.file("none-*.safetensors")])
            Issue.record("expected an error")
        } catch let e as SAEKitError {
            #expect(e.description == "\(dir.file("none-*.safetensors")): the pattern matches no file; check the folder and the pattern")
        }
    }
}
