import Foundation
import Testing
@testable import SAEKit

/// The build sweeps a [d_in x d_sae] encoder by rows (in feature blocks) for the encoder-decoder
/// cosines and W_enc^T b_dec. Both are checked against their definition, summed feature by
/// feature through `encoderWeight(input:feature:)` in double precision, for both encoder layouts
/// and a width that is not a multiple of the sweep's block.
struct EncoderSweepTests {
    static func dictionary(featureMajor: Bool, dIn: Int = 7, dSAE: Int = 300) -> SAEDictionary {
        var rng = AnalysisFixtures.Random(state: featureMajor ? 11 : 12)
        let wEnc = (0..<(dIn * dSAE)).map { _ in rng.normal() }
        let wDec = (0..<(dIn * dSAE)).map { _ in rng.normal() }
        let bDec = (0..<dIn).map { _ in rng.normal() }
        return SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: FloatStorage(wEnc), encoderIsFeatureMajor: featureMajor,
            bEnc: [Float](repeating: 0, count: dSAE), wDec: FloatStorage(wDec), bDec: bDec, applyBDecToInput: true,
            rule: .relu, score: .innerProduct, rescaleActsByDecoderNorm: false, normalization: .none,
            metadata: DictionaryMetadata(format: .cosine, architecture: "test", dtype: "F32", path: "sweep"), fingerprint: "sweep")
    }

    @Test(arguments: [false, true])
    func encoderDecoderCosinesFollowTheDefinition(featureMajor: Bool) {
        let d = Self.dictionary(featureMajor: featureMajor)
        let enc = FeatureEncoder(d)
        let got = CacheBuilder.encoderDecoderCosines(d, encoderNorms: enc.encoderNorms, decoderNorms: enc.decoderNorms)
        #expect(got.count == d.dSAE)
        for i in 0..<d.dSAE {
            var dot = 0.0, ee = 0.0, dd = 0.0
            for j in 0..<d.dIn {
                let e = Double(d.encoderWeight(input: j, feature: i)), w = Double(d.wDec.pointer[i * d.dIn + j])
                dot += e * w
                ee += e * e
                dd += w * w
            }
            let want = dot / (ee * dd).squareRoot()
            #expect(abs(Double(got[i]) - want) < 1e-5, "feature \(i): \(got[i]) vs \(want)")
        }
    }

    @Test(arguments: [false, true])
    func encoderTimesBDecFollowsTheDefinition(featureMajor: Bool) {
        let d = Self.dictionary(featureMajor: featureMajor)
        let calc = ElasticityCalculator(FeatureEncoder(d))
        #expect(calc.wDotBDec.count == d.dSAE)
        for i in 0..<d.dSAE {
            var want = 0.0
            for j in 0..<d.dIn { want += Double(d.encoderWeight(input: j, feature: i)) * Double(d.bDec[j]) }
            #expect(abs(Double(calc.wDotBDec[i]) - want) < 1e-5 * (1 + abs(want)), "feature \(i): \(calc.wDotBDec[i]) vs \(want)")
        }
    }
}
