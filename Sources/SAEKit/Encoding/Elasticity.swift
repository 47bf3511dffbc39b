/// Empirical magnitude elasticity of a feature's pre-activation: d log(pre_i(s x)) / d log s at s = 1.
///
/// Computed exactly from quantities the encoder already has (docs/ANALYSIS.md derives it). With
/// v = d x~/ds (x~ = the normalised input: v = x~ when normalisation is linear in x, v = 0 for
/// constant_norm_rescale and layer_norm, which remove the scale) and u = x~ - b_dec:
/// - inner product (and gated, on the magnitude path): d pre / ds = w . v, so e = (w . v) / pre
///   (decoder-norm rescaling cancels);
/// - cosine: pre = g ||u||^(a-1) / ||w|| + b with g = w . u, so
///   d pre / ds = ||u||^(a-1) / ||w|| * [ w . v + g (a - 1) (u . v) / ||u||^2 ] and e = that / pre.
/// For a bias-free cosine feature (b = 0, no b_dec) e = alpha; for a bias-free inner product e = 1.
public struct ElasticityCalculator: Sendable {
    let encoder: FeatureEncoder
    /// w_i . b_dec per feature (0 when b_dec is not subtracted).
    let wDotBDec: [Float]
    /// Whether the normalisation keeps x~ proportional to x.
    let scaleSensitive: Bool

    public init(_ encoder: FeatureEncoder) {
        self.encoder = encoder
        let d = encoder.dictionary
        var wb = [Float](repeating: 0, count: d.dSAE)
        if d.applyBDecToInput {
            var scale: [Float]?
            if case .gated(let path) = d.rule { scale = path.rMag.map { Float(Foundation.exp(Double($0))) } }
            // W_enc^T b_dec, summed over inputs in order. A [d_in x d_sae] encoder is swept row by
            // row: walking its columns touches a new cache line per value (minutes at a million features).
            var acc = [Double](repeating: 0, count: d.dSAE)
            if d.encoderIsFeatureMajor {
                for i in 0..<d.dSAE { for j in 0..<d.dIn { acc[i] += Double(d.wEnc.pointer[i * d.dIn + j]) * Double(d.bDec[j]) } }
            } else {
                acc.withUnsafeMutableBufferPointer { out in
                    for j in 0..<d.dIn {
                        let row = d.wEnc.pointer + j * d.dSAE, b = Double(d.bDec[j])
                        for i in 0..<d.dSAE { out[i] += Double(row[i]) * b }
                    }
                }
            }
            for i in 0..<d.dSAE { wb[i] = Float(acc[i]) * (scale?[i] ?? 1) }
        }
        wDotBDec = wb
        switch d.normalization {
        case .none, .constantScale: scaleSensitive = true
        case .constantNormRescale, .layerNorm: scaleSensitive = false
        }
    }

    /// Per-row quantities: ||u|| and u . b_dec of a prepared row.
    public func rowTerms(_ u: UnsafePointer<Float>) -> (norm: Float, dotBDec: Float) {
        let d = encoder.dictionary
        let n = BLAS.norm(d.dIn, u)
        var dot: Float = 0
        if d.applyBDecToInput { d.bDec.withUnsafeBufferPointer { dot = BLAS.dot(d.dIn, u, $0.baseAddress!) } }
        return (n, dot)
    }

    /// Elasticity of feature `i` on a row with terms `row`, given its pre-activation `pre` (as the
    /// encoder produced it, before the activation rule). Returns 0 where pre = 0 or the input is 0.
    public func value(feature i: Int, pre: Float, row: (norm: Float, dotBDec: Float)) -> Float {
        guard scaleSensitive, pre != 0 else { return 0 }
        let d = encoder.dictionary
        let wb = wDotBDec[i]
        switch d.score {
        case .innerProduct:
            // Undo decoder-norm rescaling to recover g + b; for gated, b = b_mag.
            let nrm: Float = d.rescaleActsByDecoderNorm ? encoder.decoderNorms[i] : 1
            guard nrm > 0 else { return 0 }
            let raw = pre / nrm
            let b = d.bEnc[i]  // b_mag for gated: the bias of the path that gives the value
            let g = raw - b
            return (g + wb) / raw
        case .cosine(let alpha):
            let un = row.norm
            let wn = encoder.encoderNorms[i]
            guard un > 0, wn > 0 else { return 0 }
            let a = alpha.value(i)
            let b = d.bEnc[i]
            let f = Float(Foundation.pow(Double(un), Double(a) - 1)) / wn  // ||u||^(a-1) / ||w||
            let g = (pre - b) / f
            let uv = un * un + row.dotBDec
            let dpre = f * ((g + wb) + g * (a - 1) * uv / (un * un))
            return dpre / pre
        }
    }
}

import Foundation
