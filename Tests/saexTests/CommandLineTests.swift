import Foundation
import SAEKit
import Testing

/// The built binary: documented outputs, one-line errors and exit codes.
struct CommandLineTests {
    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        for sub in [
            ["--help"], ["inspect", "--help"], ["encode", "--help"], ["cache", "build", "--help"], ["contexts", "--help"],
            ["cache", "merge", "--help"]
        ] {
            let h = try CLI.run(sub)
            #expect(h.status == 0, "\(sub)")
            #expect(h.stdout.contains("USAGE"), "\(sub)")
        }
    }

    @Test func inspectJSONIsAContract() throws {
        let r = try CLI.run(["inspect", "fixtures/loaders/cosine_jumprelu_alpha", "--format", "json"])
        #expect(r.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["kind", "architecture", "score", "d_in", "d_sae", "dtype", "activation", "fingerprint", "alpha"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        #expect(obj["score"] as? String == "cosine")
        #expect(obj["d_sae"] as? Int == 48)
        let alpha = try #require(obj["alpha"] as? [String: Any])
        #expect(alpha["mode"] as? String == "per_feature")
        #expect(alpha["count_above_0_5"] != nil)
    }

    @Test(
        arguments: [
            (["inspect", "does/not/exist"], 2, "saex: does/not/exist: no such file or folder; give a dictionary folder or a params.npz"),
            (
                ["inspect", "README.md"], 2,
                "saex: README.md: is not a dictionary; give a SAELens, cosine or sparsify folder (cfg.json + weights) or a Gemma Scope params.npz"
            ),
            (["inspect"], 2, "saex: Missing expected argument '<dict>'; see 'saex inspect --help'"),
            (["nonsense"], 2, "saex: nonsense: no such file or folder; give a cache from saex cache build"),
            (
                ["explore"], 2,
                "saex: the explorer needs a terminal (stdin and stdout must be a TTY); for text output use saex analyze CACHE or saex contexts CACHE"
            ),
            (
                ["inspect", "--format", "yaml", "fixtures/demo/standard"], 2,
                "saex: The value 'yaml' is invalid for '--format <format>'. Please provide one of 'text' and 'json'; see 'saex inspect --help'"
            ),
            (
                [
                    "cache", "build", "--dict", "s=fixtures/demo/standard", "--activations", "fixtures/demo/activations.safetensors",
                    "--vocab",
                    "fixtures/demo/tokenizer.json", "-o", "/nonexistent/x", "--shard", "4/4"
                ], 2,
                "saex: --shard 4/4: the part number must be 0 to 3 (counted from 0); use --array=0-3 with --shard $SLURM_ARRAY_TASK_ID/4"
            ),
            (
                [
                    "cache", "build", "--dict", "s=fixtures/demo/standard", "--activations", "fixtures/demo/activations.safetensors",
                    "--vocab",
                    "fixtures/demo/tokenizer.json", "-o", "/nonexistent/x", "--memory-limit", "lots"
                ], 2,
                "saex: --memory-limit lots: expected a size such as 512M, 2G or a number of bytes"
            ),
            (
                ["cache", "build", "--dict", "s=fixtures/demo/standard", "--vocab", "fixtures/demo/tokenizer.json", "-o", "/nonexistent/x"],
                2,
                "saex: give either --activations FILE... or --feature-acts FILE... (one or more, or a quoted glob); see 'saex cache build --help'"
            ),
            (
                [
                    "cache", "build", "--dict", "s=fixtures/demo/standard", "--feature-acts", "fixtures/demo/activations.safetensors",
                    "--vocab",
                    "fixtures/demo/tokenizer.json", "-o", "/nonexistent/x"
                ], 2,
                "saex: fixtures/demo/activations.safetensors: __metadata__.saex_features: missing: not a sparse feature activation file; give the OUT.features.safetensors files that scripts/dump_activations.py --encode writes"
            ),
            (
                ["contexts", "fixtures/loaders/saelens_standard_f32/sae_weights.safetensors", "--dict", "a", "--feature", "0"], 2,
                "saex: fixtures/loaders/saelens_standard_f32/sae_weights.safetensors: is a safetensors file but not a saex cache; build one with saex cache build, or open a dictionary with saex inspect"
            )
        ] as [([String], Int32, String)])
    func errorsAreOneLine(_ args: [String], _ status: Int32, _ firstLine: String) throws {
        let r = try CLI.expectError(args, status: status, firstLine: firstLine)
        #expect(!r.stderr.contains("Stack") && !r.stderr.contains("Fatal error"))
    }

    @Test func encodeWritesFeatureActsAndFVU() throws {
        let dir = NSTemporaryDirectory() + "saex-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.safetensors"
        let r = try CLI.run([
            "encode", "fixtures/loaders/saelens_topk", "fixtures/loaders/saelens_topk/reference.safetensors", "--tensor", "x", "-o", out
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("feature_acts [12, 48]"))
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(n)))) as? [String: Any])
        let fa = try #require(header["feature_acts"] as? [String: Any])
        #expect(fa["shape"] as? [Int] == [12, 48])
        #expect(fa["dtype"] as? String == "F32")
        let meta = try #require(header["__metadata__"] as? [String: String])
        #expect(Double(meta["fvu"] ?? "") != nil)
    }

    /// A new temporary folder holding acts.safetensors (3 sequences of 5 tokens, d_in 16, the
    /// dimension of fixtures/loaders) and a 4-token vocab.json.
    static func tinyCorpus(_ prefix: String) throws -> String {
        let dir = NSTemporaryDirectory() + prefix + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let nSeq = 3, seqLen = 5, dIn = 16
        var w = SafetensorsWriter()
        w.add("tokens", shape: [nSeq, seqLen], int32s: (0..<(nSeq * seqLen)).map { Int32($0 % 4) })
        w.add("activations", shape: [nSeq, seqLen, dIn], floats: (0..<(nSeq * seqLen * dIn)).map { Float(($0 * 7919) % 23) - 11 })
        try w.write(to: dir + "/acts.safetensors")
        try JSONSerialization.data(withJSONObject: ["a", "b", "c", "d"]).write(to: URL(fileURLWithPath: dir + "/vocab.json"))
        return dir
    }

    /// Rebuilding a cache in place recomputes its analysis: the stored analysis is keyed by the
    /// cache's inputs, so a key match does not mean it was computed from this file.
    @Test func rebuildingACacheRecomputesItsAnalysis() throws {
        let dir = try Self.tinyCorpus("saex-rebuild-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = dir + "/c.saexcache"
        let build = [
            "cache", "build", "--dict", "jr=fixtures/loaders/saelens_jumprelu", "--activations", dir + "/acts.safetensors",
            "--vocab", dir + "/vocab.json", "-o", cache
        ]
        func analysisInode() throws -> UInt64 {
            try #require((FileManager.default.attributesOfItem(atPath: cache + ".analysis")[.systemFileNumber] as? NSNumber)?.uint64Value)
        }
        let first = try CLI.run(build)
        try #require(first.status == 0, "\(first.stderr)")
        let before = try analysisInode()
        // Opening it again reuses the stored analysis...
        #expect(try CLI.run(["analyze", cache, "--top", "1"]).status == 0)
        #expect(try analysisInode() == before)
        // ...but building it again replaces it (written to a new file and renamed into place).
        let second = try CLI.run(build)
        try #require(second.status == 0, "\(second.stderr)")
        #expect(try analysisInode() != before)
    }

    /// The estimate is printed before an analysis starts; an approximate analysis is kept by
    /// `saex analyze` and replaced by an exact one with `--exact`.
    @Test func analyzeExactRecomputesAnApproximateAnalysis() throws {
        let dir = try Self.tinyCorpus("saex-exact-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = dir + "/c.saexcache"
        let build = try CLI.run([
            "cache", "build", "--dict", "jr=fixtures/loaders/saelens_jumprelu", "--dict", "b=fixtures/loaders/saelens_jumprelu",
            "--activations", dir + "/acts.safetensors", "--vocab", dir + "/vocab.json", "-o", cache
        ])
        try #require(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("analysis of 2 x ") && build.stderr.contains("exact decoder matching about"), "\(build.stderr)")
        // An approximate analysis in its place, as saex writes for wide dictionaries.
        let opened = try ContextCache(path: cache)
        let plan = AnalysisPlan(cache: opened, options: AnalysisOptions(matching: .approximate), sgemmGFLOPs: 100)
        try CacheAnalysis.compute(opened, plan: plan).write(to: AnalysisStore.path(for: cache))
        let kept = try CLI.run(["summary", cache, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(kept.stdout.utf8)) as? [String: Any])
        #expect((json["matching"] as? [String: Any])?["method"] as? String == "approximate")
        #expect(!kept.stderr.contains("analysis of"))
        let exact = try CLI.run(["analyze", cache, "--exact", "--top", "1"])
        #expect(exact.status == 0 && exact.stderr.contains("exact decoder matching about"), "\(exact.stderr)")
        #expect(try CacheAnalysis.read(path: AnalysisStore.path(for: cache), for: opened)?.matching == .exact)
        let text = try CLI.run(["summary", cache])
        #expect(text.stdout.contains("decoder matching: exact"))
    }
}
