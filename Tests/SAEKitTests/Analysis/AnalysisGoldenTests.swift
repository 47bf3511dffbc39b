import Foundation
import Testing
@testable import SAEKit

/// The analysis against values computed independently with numpy/scipy on dense arrays
/// (Fixtures/make_golden.py, fixed seed). NaN in the file means "nil".
struct AnalysisGoldenTests {
    let file: SafetensorsFile

    init() throws {
        file = try SafetensorsFile(path: Repo.path("Tests/SAEKitTests/Analysis/Fixtures/golden.safetensors"))
    }

    func floats(_ name: String) throws -> [Float] { try file.require(name).floats() }
    func ints(_ name: String) throws -> [Int] { try file.require(name).int64s().map { Int($0) } }
    func shape(_ name: String) throws -> [Int] { try file.require(name).shape }

    func columns(_ suffix: String, rows n: Int) throws -> SparseColumns {
        let ptr = try file.require("colptr_" + suffix).int64s()
        let rows = try ints("rows_" + suffix).map { UInt32($0) }
        return SparseColumns(rowCount: n, featureCount: ptr.count - 1, colPtr: ptr, rows: rows, values: try floats("values_" + suffix))
    }

    func dictionaryA() throws -> SAEDictionary {
        let s = try shape("wdec_a")
        return AnalysisFixtures.dictionary(wDec: try floats("wdec_a"), wEnc: try floats("wenc_a"), dIn: s[1], dSAE: s[0])
    }

    func dictionaryB() throws -> SAEDictionary {
        let s = try shape("wdec_b")
        return AnalysisFixtures.dictionary(
            wDec: try floats("wdec_b"), wEnc: [Float](repeating: 1, count: s[0] * s[1]), dIn: s[1], dSAE: s[0])
    }

    /// Compares an optional statistic with a NaN-means-nil expectation.
    func expectClose(_ got: Float?, _ want: Float, _ what: String, tolerance: Float = 1e-4) {
        if want.isNaN {
            #expect(got == nil, "\(what): expected nil, got \(String(describing: got))")
        } else if let got {
            #expect(abs(got - want) <= tolerance, "\(what): \(got) vs \(want)")
        } else {
            #expect(Bool(false), "\(what): expected \(want), got nil")
        }
    }

    @Test func normContextTopTokens() throws {
        let ctx = NormContext(norms: try floats("norms"))
        #expect(ctx.topTokens == (try ints("top_tokens")))
    }

    @Test func perFeatureStatisticsMatchScipy() throws {
        let norms = try floats("norms")
        let cols = try columns("a", rows: norms.count)
        let ctx = NormContext(norms: norms)
        let want = try floats("stats_a")
        let width = try shape("stats_a")[1]
        for threads in [1, 2] {
            let stats = FeatureStatsBuilder.build(columns: cols, norms: ctx, threads: threads)
            for (f, s) in stats.enumerated() {
                let w = Array(want[(f * width)..<((f + 1) * width)])
                expectClose(s.normPearson, w[0], "feature \(f) pearson all")
                expectClose(s.normSpearman, w[1], "feature \(f) spearman all")
                expectClose(s.normPearsonActive, w[2], "feature \(f) pearson active")
                expectClose(s.normSpearmanActive, w[3], "feature \(f) spearman active")
                expectClose(s.topNormMass, w[4], "feature \(f) top-1% mass")
                expectClose(s.normAUC, w[5], "feature \(f) auc")
                #expect(abs(s.density - Double(w[6])) < 1e-6, "feature \(f) density")
                #expect(abs(s.maxActivation - w[7]) <= 1e-4 * max(1, abs(w[7])), "feature \(f) max")
                #expect(abs(s.meanActivation - w[8]) <= 1e-4, "feature \(f) mean")
                #expect(s.dead == (w[6] == 0), "feature \(f) dead")
                #expect(s.normDetectorHint == (w[9] == 1), "feature \(f) hint")
            }
        }
    }

    @Test func weightStatisticsMatchNumpy() throws {
        let w = WeightStatistics(dictionary: try dictionaryA())
        let want = try floats("weights_a")
        for f in 0..<w.decoderNorms.count {
            #expect(abs(w.decoderNorms[f] - want[f * 3]) < 1e-4)
            #expect(abs(w.encoderNorms[f] - want[f * 3 + 1]) < 1e-4)
            expectClose(w.encoderDecoderCosines[f], want[f * 3 + 2], "feature \(f) enc-dec cosine")
        }
        #expect(abs((w.encoderDecoderCosines[11] ?? 0) - 1) < 1e-5, "planted parallel encoder column")
        #expect(w.encoderDecoderCosines[9] == nil, "zero decoder row")
    }

    @Test(arguments: [1, 3, 24])
    func crossMatchesMatchNumpy(blockRows: Int) throws {
        let norms = try floats("norms")
        let a = try dictionaryA(), b = try dictionaryB()
        let m = try FeatureMatching.crossMatches(
            a: a, b: b, activationsA: try columns("a", rows: norms.count),
            activationsB: try columns("b", rows: norms.count), limit: 5, blockRows: blockRows)
        let ci = try ints("cos_ab_idx"), cv = try floats("cos_ab_val"), mu = try ints("mutual_ab")
        let bi = try ints("cos_ba_idx"), bv = try floats("cos_ba_val")
        let ri = try ints("corr_ab_idx"), rv = try floats("corr_ab_val"), rc = try floats("corr_of_cos_ab")
        for f in 0..<a.dSAE {
            let got = m.aToB[f].byDecoderCosine
            #expect(got.map(\.feature) == Array(ci[(f * 5)..<(f * 5 + 5)]), "A feature \(f) cosine order")
            for q in 0..<5 {
                #expect(abs(got[q].decoderCosine - cv[f * 5 + q]) < 1e-4)
                #expect(got[q].mutual == (mu[f * 5 + q] == 1), "A feature \(f) match \(q) mutual")
                expectClose(got[q].activationCorrelation, rc[f * 5 + q], "A feature \(f) correlation of cosine match \(q)")
            }
            let corr = m.aToB[f].byActivationCorrelation
            let wantIdx = Array(ri[(f * 5)..<(f * 5 + 5)]).filter { $0 >= 0 }
            #expect(corr.map(\.feature) == wantIdx, "A feature \(f) correlation order")
            for (q, c) in corr.enumerated() { expectClose(c.activationCorrelation, rv[f * 5 + q], "A feature \(f) corr \(q)") }
        }
        for g in 0..<b.dSAE {
            let got = m.bToA[g].byDecoderCosine
            #expect(got.map(\.feature) == Array(bi[(g * 5)..<(g * 5 + 5)]), "B feature \(g) cosine order")
            for q in 0..<5 { #expect(abs(got[q].decoderCosine - bv[g * 5 + q]) < 1e-4) }
        }
        // The planted duplicate: B[3] = 2.5 A[7].
        let best = try #require(m.aToB[7].byDecoderCosine.first)
        #expect(best.feature == 3 && best.mutual && abs(best.decoderCosine - 1) < 1e-5)
        #expect(m.bToA[3].byDecoderCosine.first?.feature == 7)
    }

    @Test func neighboursMatchNumpy() throws {
        let a = try dictionaryA()
        let nb = try FeatureMatching.neighbours(a, activations: nil, limit: 5, blockRows: 5)
        let ni = try ints("nb_a_idx"), nv = try floats("nb_a_val")
        for f in 0..<a.dSAE {
            #expect(nb[f].byDecoderCosine.map(\.feature) == Array(ni[(f * 5)..<(f * 5 + 5)]), "feature \(f) neighbours")
            #expect(!nb[f].byDecoderCosine.contains { $0.feature == f })
            for q in 0..<5 { #expect(abs(nb[f].byDecoderCosine[q].decoderCosine - nv[f * 5 + q]) < 1e-4) }
            #expect(nb[f].byActivationCorrelation.isEmpty)
        }
    }
}
