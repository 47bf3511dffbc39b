import Foundation
import Testing
@testable import SAEKit

/// Every loader and both scores against activations computed independently in float64 numpy
/// (fixtures/generate/loaders/make_loader_fixtures.py) from the weights as stored.
struct LoaderReferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var folder: String
        var path: String
        var format: DictionaryFormat
        var architecture: String
        var dtype: String
        var testDescription: String { folder }
    }

    static let cases: [Case] = [
        Case(folder: "saelens_standard_f32", path: "saelens_standard_f32", format: .saeLensV6, architecture: "standard", dtype: "F32"),
        Case(folder: "saelens_standard_f16", path: "saelens_standard_f16", format: .saeLensV6, architecture: "standard", dtype: "F16"),
        Case(folder: "saelens_standard_bf16", path: "saelens_standard_bf16", format: .saeLensV6, architecture: "standard", dtype: "BF16"),
        Case(
            folder: "saelens_standard_no_bdec_input", path: "saelens_standard_no_bdec_input", format: .saeLensV6, architecture: "standard",
            dtype: "F32"),
        Case(folder: "saelens_topk", path: "saelens_topk", format: .saeLensV6, architecture: "topk", dtype: "F32"),
        Case(folder: "saelens_topk_rescale", path: "saelens_topk_rescale", format: .saeLensV6, architecture: "topk", dtype: "F32"),
        Case(folder: "saelens_jumprelu", path: "saelens_jumprelu", format: .saeLensV6, architecture: "jumprelu", dtype: "F32"),
        Case(folder: "saelens_gated", path: "saelens_gated", format: .saeLensV6, architecture: "gated", dtype: "F32"),
        Case(
            folder: "saelens_batchtopk_checkpoint", path: "saelens_batchtopk_checkpoint", format: .saeLensV6, architecture: "batchtopk",
            dtype: "F32"),
        Case(
            folder: "saelens_expected_average_checkpoint", path: "saelens_expected_average_checkpoint", format: .saeLensV6,
            architecture: "standard", dtype: "F32"),
        Case(folder: "saelens_v5_topk", path: "saelens_v5_topk", format: .saeLensV5, architecture: "topk", dtype: "F32"),
        Case(
            folder: "saelens_legacy_hook_point_relu", path: "saelens_legacy_hook_point_relu", format: .saeLensV5, architecture: "standard",
            dtype: "F32"),
        Case(folder: "sparsify_run/layers.3", path: "sparsify_run/layers.3", format: .sparsify, architecture: "topk", dtype: "F32"),
        Case(folder: "gemmascope_npz", path: "gemmascope_npz/params.npz", format: .gemmaScope, architecture: "jumprelu", dtype: "F32"),
        Case(
            folder: "gemmascope_npz_compressed", path: "gemmascope_npz_compressed", format: .gemmaScope, architecture: "jumprelu",
            dtype: "F32"),
        Case(folder: "cosine_relu_scalar_alpha", path: "cosine_relu_scalar_alpha", format: .cosine, architecture: "cosine", dtype: "F32"),
        Case(folder: "cosine_jumprelu_alpha", path: "cosine_jumprelu_alpha", format: .cosine, architecture: "cosine", dtype: "F32"),
        Case(folder: "cosine_topk_alpha_logit", path: "cosine_topk_alpha_logit", format: .cosine, architecture: "cosine", dtype: "F32"),
        Case(folder: "cosine_f16", path: "cosine_f16", format: .cosine, architecture: "cosine", dtype: "F16")
    ]

    @Test(arguments: cases)
    func matchesNumpyReference(_ c: Case) throws {
        let dir = Repo.path("fixtures/loaders/" + c.folder)
        let dict = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/" + c.path))
        #expect(dict.metadata.format == c.format)
        #expect(dict.metadata.architecture == c.architecture)
        #expect(dict.metadata.dtype == c.dtype)
        let ref = try SafetensorsFile(path: dir + "/reference.safetensors")
        let x = try ref.require("x").floats()
        let n = try ref.require("x").shape[0]
        #expect(dict.dIn == 16 && dict.dSAE == 48)

        let enc = FeatureEncoder(dict)
        var acts = [Float](repeating: 0, count: n * dict.dSAE)
        var pre = [Float](repeating: 0, count: n * dict.dSAE)
        x.withUnsafeBufferPointer { xs in
            acts.withUnsafeMutableBufferPointer { a in
                pre.withUnsafeMutableBufferPointer { p in enc.encode(xs.baseAddress!, rows: n, into: a.baseAddress!, pre: p.baseAddress!) }
            }
        }
        let refActs = try ref.require("feature_acts").floats()
        #expect(maxRelativeError(acts, refActs) < 1e-5, "feature_acts differ by \(maxRelativeError(acts, refActs))")
        // The active set must match exactly (no threshold lies within 5e-3 of a value in the fixtures).
        #expect(zip(acts, refActs).allSatisfy { ($0 > 0) == ($1 > 0) })
        // sparsify applies ReLU before its top-k; its linear output is stored as `pre_linear`.
        let refPre = try (ref.tensor("pre_linear") ?? ref.require("pre")).floats()
        #expect(maxRelativeError(pre, refPre) < 1e-5, "pre differs by \(maxRelativeError(pre, refPre))")

        if let r = ref.tensor("recon") {
            let refRecon = try r.floats()
            var u = [Float](repeating: 0, count: n * dict.dIn)
            var recon = [Float](repeating: 0, count: n * dict.dIn)
            let transform = x.withUnsafeBufferPointer { xs in
                u.withUnsafeMutableBufferPointer { enc.prepareInput(xs.baseAddress!, rows: n, into: $0.baseAddress!) }
            }
            acts.withUnsafeBufferPointer { a in
                recon.withUnsafeMutableBufferPointer { enc.decode(a.baseAddress!, rows: n, transform: transform, into: $0.baseAddress!) }
            }
            #expect(maxRelativeError(recon, refRecon) < 1e-5, "recon differs by \(maxRelativeError(recon, refRecon))")
        }
    }

    @Test func fingerprintIsStableAndSensitive() throws {
        let a = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_standard_f32"))
        let b = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_standard_f32"))
        let c = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_standard_f16"))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        #expect(a.fingerprint.count == 16)
    }

    @Test func cosineAlphaIsReadAsStored() throws {
        let g = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/cosine_relu_scalar_alpha"))
        #expect(g.score == .cosine(.global(0.3)))
        let logit = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/cosine_topk_alpha_logit"))
        guard case .cosine(.perFeature(let a)) = logit.score else { Issue.record("expected per-feature alpha"); return }
        let raw = try SafetensorsFile(path: Repo.path("fixtures/loaders/cosine_topk_alpha_logit/sae_weights.safetensors")).require(
            "alpha_logit"
        ).floats()
        // sigmoid computed here by hand from the stored logits.
        for (v, l) in zip(a, raw) { #expect(abs(v - 1 / (1 + exp(-l))) < 1e-6) }
        #expect(logit.rule == .topK(k: 5))
    }
}
