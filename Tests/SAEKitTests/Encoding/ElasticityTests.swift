import Foundation
import Testing
@testable import SAEKit

/// Magnitude elasticity: planted answers, and agreement with a finite-difference derivative of
/// the encoder's own pre-activations on scaled inputs.
struct ElasticityTests {
    /// A dictionary with the given score and zero biases; W_enc columns are random.
    func planted(score: Score, bEnc: Float = 0, bDec: Float = 0) -> SAEDictionary {
        var rng = SplitMix(seed: 3)
        let dIn = 8, f = 6
        let w = (0..<(dIn * f)).map { _ in Float(rng.normal()) }
        return SAEDictionary(
            dIn: dIn, dSAE: f, wEnc: FloatStorage(w), encoderIsFeatureMajor: false, bEnc: [Float](repeating: bEnc, count: f),
            wDec: FloatStorage((0..<(dIn * f)).map { _ in Float(rng.normal()) }), bDec: [Float](repeating: bDec, count: dIn),
            applyBDecToInput: true, rule: .relu, score: score,
            rescaleActsByDecoderNorm: false, normalization: .none,
            metadata: DictionaryMetadata(format: .cosine, architecture: "test", dtype: "F32", path: "planted"), fingerprint: "0")
    }

    func elasticities(_ d: SAEDictionary, x: [Float]) -> [Float] {
        let enc = FeatureEncoder(d)
        let calc = ElasticityCalculator(enc)
        var u = [Float](repeating: 0, count: d.dIn)
        var pre = [Float](repeating: 0, count: d.dSAE)
        x.withUnsafeBufferPointer { xs in
            u.withUnsafeMutableBufferPointer { _ = enc.prepareInput(xs.baseAddress!, rows: 1, into: $0.baseAddress!) }
        }
        u.withUnsafeBufferPointer { us in
            pre.withUnsafeMutableBufferPointer { enc.preActivations(us.baseAddress!, rows: 1, into: $0.baseAddress!) }
        }
        let terms = u.withUnsafeBufferPointer { calc.rowTerms($0.baseAddress!) }
        return (0..<d.dSAE).map { calc.value(feature: $0, pre: pre[$0], row: terms) }
    }

    @Test func biasFreeCosineElasticityIsAlpha() {
        let alphas: [Float] = [0, 0.1, 0.3, 0.5, 0.8, 1]
        let d = planted(score: .cosine(.perFeature(alphas)))
        let e = elasticities(d, x: [1, -2, 0.5, 3, 0, 1, -1, 2])
        for (v, a) in zip(e, alphas) { #expect(abs(v - a) < 1e-5, "elasticity \(v) for alpha \(a)") }
    }

    @Test func biasFreeInnerProductElasticityIsOne() {
        let d = planted(score: .innerProduct)
        let e = elasticities(d, x: [1, -2, 0.5, 3, 0, 1, -1, 2])
        for v in e { #expect(abs(v - 1) < 1e-5) }
    }

    /// With biases, compare with (log pre(1+h) - log pre(1-h)) / (log(1+h) - log(1-h)).
    @Test(arguments: [
        "saelens_standard_f32", "saelens_topk_rescale", "saelens_gated", "cosine_jumprelu_alpha", "cosine_relu_scalar_alpha",
        "saelens_expected_average_checkpoint"
    ])
    func matchesFiniteDifferences(_ fixture: String) throws {
        let d = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/" + fixture))
        let ref = try SafetensorsFile(path: Repo.path("fixtures/loaders/\(fixture)/reference.safetensors"))
        let xs = try ref.require("x").floats()
        let enc = FeatureEncoder(d)
        let h: Float = 1e-3
        var checked = 0
        for r in 0..<12 {
            let x = Array(xs[(r * 16)..<(r * 16 + 16)])
            guard x.contains(where: { $0 != 0 }) else { continue }
            let e = elasticities(d, x: x)
            func pre(_ s: Float) -> [Float] {
                var out = [Float](repeating: 0, count: d.dSAE)
                var gate = [Float](repeating: 0, count: d.dSAE)
                var u = [Float](repeating: 0, count: 16)
                let sx = x.map { $0 * s }
                sx.withUnsafeBufferPointer { p in
                    u.withUnsafeMutableBufferPointer { _ = enc.prepareInput(p.baseAddress!, rows: 1, into: $0.baseAddress!) }
                }
                u.withUnsafeBufferPointer { us in
                    out.withUnsafeMutableBufferPointer { o in
                        gate.withUnsafeMutableBufferPointer {
                            enc.preActivations(us.baseAddress!, rows: 1, into: o.baseAddress!, gate: $0.baseAddress!)
                        }
                    }
                }
                return out
            }
            let up = pre(1 + h), down = pre(1 - h), mid = pre(1)
            for i in 0..<d.dSAE where mid[i] > 0.05 && up[i] > 0 && down[i] > 0 {
                let fd = (log(up[i]) - log(down[i])) / (log(1 + h) - log(1 - h))
                #expect(
                    abs(fd - e[i]) < 2e-2 * (1 + abs(fd)), "\(fixture) row \(r) feature \(i): analytic \(e[i]) vs finite difference \(fd)")
                checked += 1
            }
        }
        #expect(checked > 10)
    }
}
