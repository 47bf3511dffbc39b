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

        /// The fixture folder `folder`, loaded from `path` inside it (the folder itself unless given).
        init(_ folder: String, path: String? = nil, _ format: DictionaryFormat, _ architecture: String, _ dtype: String = "F32") {
            self.folder = folder
            self.path = path.map { folder + "/" + $0 } ?? folder
            self.format = format
            self.architecture = architecture
            self.dtype = dtype
        }
    }

    static let cases: [Case] = [
        Case("saelens_standard_f32", .saeLensV6, "standard"),
        Case("saelens_standard_f16", .saeLensV6, "standard", "F16"),
        Case("saelens_standard_bf16", .saeLensV6, "standard", "BF16"),
        Case("saelens_standard_no_bdec_input", .saeLensV6, "standard"),
        Case("saelens_topk", .saeLensV6, "topk"),
        Case("saelens_topk_rescale", .saeLensV6, "topk"),
        Case("saelens_jumprelu", .saeLensV6, "jumprelu"),
        Case("saelens_gated", .saeLensV6, "gated"),
        Case("saelens_batchtopk_checkpoint", .saeLensV6, "batchtopk"),
        Case("saelens_expected_average_checkpoint", .saeLensV6, "standard"),
        Case("saelens_v5_topk", .saeLensV5, "topk"),
        Case("saelens_legacy_hook_point_relu", .saeLensV5, "standard"),
        Case("sparsify_run/layers.3", .sparsify, "topk"),
        Case("gemmascope_npz", path: "params.npz", .gemmaScope, "jumprelu"),
        Case("gemmascope_npz_compressed", .gemmaScope, "jumprelu"),
        Case("cosine_relu_scalar_alpha", .cosine, "cosine"),
        Case("cosine_jumprelu_alpha", .cosine, "cosine"),
        Case("cosine_topk_alpha_logit", .cosine, "cosine"),
        Case("cosine_f16", .cosine, "cosine", "F16")
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
