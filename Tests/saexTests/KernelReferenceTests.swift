import Foundation
import SAEKit
import Testing

/// The `saex` binary picks its own OpenBLAS kernels (BLASRuntime re-executes it with
/// OPENBLAS_CORETYPE on CPUs Debian's OpenBLAS does not recognise), so the unit tests, which run
/// inside the test process with the library's default choice, do not cover the kernels users get.
/// These run the binary on the whole demo (8,192 tokens: sgemm's large blocked path, not its
/// small-matrix path) and compare with the numpy float64 reference of fixtures/reference.
@Suite(.serialized) struct KernelReferenceTests {
    @Test(arguments: ["standard", "cosine_global", "cosine_perfeature"])
    func binaryEncodesTheDemoLikeNumpy(_ name: String) throws {
        let dir = NSTemporaryDirectory() + "saex-kernels-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/acts.safetensors"
        let r = try CLI.run(["encode", "fixtures/demo/\(name)", "fixtures/demo/activations.safetensors", "-o", out], timeout: 120)
        try #require(r.status == 0, "\(r.stderr)")
        let core = r.stderr.split(separator: "\n").last.flatMap { $0.split(separator: "; OpenBLAS ").last }
        // On a CPU the library does not recognise, the generic kernels would be a regression.
        #expect(core != nil && core != "Prescott kernels", "kernels: \(r.stderr)")

        let ref = try SafetensorsFile(path: CLI.root + "/fixtures/reference/\(name)_acts.safetensors")
        let refActs = try ref.require("feature_acts").floats()
        let rows = try ref.require("x").shape[0]
        let acts = try SafetensorsFile(path: out).require("feature_acts")
        #expect(acts.shape == [128 * 64, 2048])
        // The reference's rows are the demo's first real (non-padding) tokens in row-major order
        // (fixtures/README.md, "Reference values").
        let tokens = try SafetensorsFile(path: CLI.root + "/fixtures/demo/activations.safetensors").require("tokens").int64s()
        let realRows = tokens.indices.filter { tokens[$0] >= 0 }.prefix(rows)
        try #require(realRows.count == rows)
        let all = try acts.floats()
        let head = realRows.flatMap { all[($0 * 2048)..<(($0 + 1) * 2048)] }
        var worst: Float = 0
        var signFlips = 0
        for (a, b) in zip(head, refActs) {
            worst = max(worst, abs(a - b) / (1 + abs(b)))
            if (a > 0) != (b > 0) { signFlips += 1 }
        }
        // f16 weights, float64 numpy against float32 BLAS over d_in = 384: 1e-5 of the scale, as
        // in DemoCacheReferenceTests.encoderReproducesNumpy.
        #expect(worst < 1e-5, "\(name): feature_acts differ by \(worst) with \(core.map(String.init) ?? "?")")
        #expect(signFlips == 0)

        // FVU and mean L0 over the 5,027 real tokens, as numpy measured them at fixture time
        // (fixtures/reference/measurements.json). Counting the 3,165 all-zero padding rows would
        // give an FVU of about 0.17 instead of 0.11.
        let measurements = URL(fileURLWithPath: CLI.root + "/fixtures/reference/measurements.json")
        let measured = try JSONSerialization.jsonObject(with: Data(contentsOf: measurements)) as? [String: Any]
        let expected = try #require((measured?["dictionaries"] as? [String: Any])?[name] as? [String: Any])
        let refFVU = try #require(expected["fvu_heldout"] as? Double)
        let refL0 = try #require(expected["mean_l0"] as? Double)
        let fvu = try #require(Double(SafetensorsFile(path: out).metadata["fvu"] ?? ""))
        #expect(abs(fvu - refFVU) <= 1e-4 * refFVU, "\(name): FVU \(fvu), numpy \(refFVU)")
        #expect(r.stderr.contains("(3165 padding rows as zeros)"))
        #expect(try SafetensorsFile(path: out).metadata["padding_rows"] == "3165")
        let printed = r.stderr.components(separatedBy: "mean L0 ").last?.prefix { $0 != ";" } ?? ""
        let l0 = try #require(Double(String(printed)), "no mean L0 in \(r.stderr)")
        // Printed with two decimals; a float32 pre-activation at the threshold may flip a token.
        #expect(abs(l0 - refL0) <= 0.01, "\(name): mean L0 \(l0), numpy \(refL0)")
    }

    /// `saex cache build` with fixtures/README.md's command for the demo cache records each
    /// dictionary's FVU over the 5,027 real tokens from its sparse codes; `saex summary --format
    /// json` (the user's path) prints it beside the mean L0, as numpy measured them.
    @Test func binaryCacheBuildRecordsTheDemoFVULikeNumpy() throws {
        let dir = NSTemporaryDirectory() + "saex-demo-fvu-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = dir + "/demo.saexcache"
        let command = [
            "cache", "build", "--dict", "standard=fixtures/demo/standard", "--dict", "cosine=fixtures/demo/cosine_perfeature",
            "--activations", "fixtures/demo/activations.safetensors", "--vocab", "fixtures/demo/tokenizer.json", "-o", cache
        ]
        let build = try CLI.run(command, timeout: 300)
        try #require(build.status == 0, "\(build.stderr)")
        let r = try CLI.run(["summary", cache, "--format", "json"], timeout: 120)
        try #require(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summaries = try #require(json["dictionaries"] as? [[String: Any]])
        let measurements = URL(fileURLWithPath: CLI.root + "/fixtures/reference/measurements.json")
        let measured = try JSONSerialization.jsonObject(with: Data(contentsOf: measurements))
        let reference = try #require((measured as? [String: Any])?["dictionaries"] as? [String: Any])
        for (name, numpyName) in [("standard", "standard"), ("cosine", "cosine_perfeature")] {
            let s = try #require(summaries.first { $0["name"] as? String == name })
            let expected = try #require(reference[numpyName] as? [String: Any])
            let refFVU = try #require(expected["fvu_heldout"] as? Double), refL0 = try #require(expected["mean_l0"] as? Double)
            let fvu = try #require(s["fvu"] as? Double, "\(name): fvu is \(s["fvu"] ?? "absent")")
            #expect(abs(fvu - refFVU) <= 1e-4 * refFVU, "\(name): FVU \(fvu), numpy \(refFVU)")
            let l0 = try #require(s["mean_l0"] as? Double)
            #expect(abs(l0 - refL0) <= 0.01, "\(name): mean L0 \(l0), numpy \(refL0)")
            #expect(s["token_count"] as? Int == 5027)
        }
        // The text summary shows both, side by side.
        let text = try CLI.run(["summary", cache], timeout: 120)
        let lines = text.stdout.split(separator: "\n")
        let l0Line = try #require(lines.firstIndex { $0.hasPrefix("mean L0") })
        let fvuLine = try #require(lines.firstIndex { $0.hasPrefix("FVU") })
        #expect(fvuLine == l0Line + 1, "\(text.stdout)")
    }
}
