import Foundation
import Testing
@testable import SAEKit

/// Planted answers: synthetic data whose statistics are known by construction or by a dense
/// O(n^2) reference written out in DenseReference.
struct AnalysisPlantedTests {
    /// Norms 1...n shuffled deterministically, no ties.
    static func norms(_ n: Int, seed: UInt64 = 7) -> [Float] {
        var r = AnalysisFixtures.Random(state: seed)
        var v = (1...n).map { Float($0) }
        for i in stride(from: n - 1, to: 0, by: -1) { v.swapAt(i, Int(r.next() % UInt64(i + 1))) }
        return v
    }

    @Test func plantedNormDetectorIsFlagged() {
        let n = 1000
        let x = Self.norms(n)
        let ctx = NormContext(norms: x)
        #expect(ctx.topTokens.count == 10)
        // Active exactly on the 30 highest-norm tokens with activation 0.2 ||x||.
        let cutoff = Float(n - 30)
        let detector = x.map { $0 > cutoff ? 0.2 * $0 : 0 }
        let s = NormStatisticsCalculator.compute(feature: 0, columns: AnalysisFixtures.columns([detector]), norms: ctx)
        #expect(s.normPearsonActive.map { abs($0 - 1) < 1e-5 } == true)
        #expect(s.normSpearmanActive == 1)
        #expect(s.normAUC == 1)
        // Top 10 of the 30 carry (sum 991...1000) / (sum 971...1000) of the mass.
        let want = Float((991...1000).reduce(0, +)) / Float((971...1000).reduce(0, +))
        #expect(s.topNormMass.map { abs($0 - want) < 1e-6 } == true)
        // Spearman over all tokens is capped by the zero ties: about sqrt(3 p (1 - p)) at p = 3%.
        let spearmanAll = DenseReference.spearman(detector.map(Double.init), x.map(Double.init))!
        #expect(s.normSpearman.map { abs(Double($0) - spearmanAll) < 1e-6 } == true)
        #expect(spearmanAll < 0.5)
        #expect(NormDetectorRule.standard.fires(s))
    }

    @Test func normScaledFeatureOnRandomTokensIsNotADetector() {
        // Magnitude tracks the norm (as any inner-product feature would) but firing ignores it.
        let n = 1000
        let x = Self.norms(n)
        var r = AnalysisFixtures.Random(state: 99)
        let f = x.map { v in r.uniform() < 0.05 ? 0.2 * v : 0 }
        let s = NormStatisticsCalculator.compute(feature: 0, columns: AnalysisFixtures.columns([f]), norms: NormContext(norms: x))
        #expect(s.normSpearmanActive == 1)
        #expect(s.normAUC.map { abs($0 - 0.5) < 0.15 } == true)
        #expect(!NormDetectorRule.standard.fires(s))
    }

    @Test func spearmanWithTiesMatchesDenseReference() {
        // Ties in norms, in active values, and the zero block.
        let x: [Float] = [3, 1, 2, 2, 5, 4, 4, 4, 0.5, 6, 2, 7]
        let features: [[Float]] = [
            [0, 0, 1, 1, 0, 2, 2, 0, 0, 3, 0, 0],
            [0.5, 0, 0, 0.5, 0, 0, 0.5, 0, 0, 0, 0.5, 0],
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            [0, 0, -1, 2, 0, -1, 0, 3, 0, 0, 0, 0]
        ]
        let ctx = NormContext(norms: x)
        let xs = x.map(Double.init)
        #expect(ctx.ranks == DenseReference.ranks(xs))
        let stats = NormStatisticsCalculator.compute(columns: AnalysisFixtures.columns(features), norms: ctx, threads: 1)
        for (f, a) in features.enumerated() {
            let ad = a.map(Double.init)
            let active = ad.indices.filter { ad[$0] != 0 }
            let s = stats[f]
            #expect(abs(Double(s.normSpearman ?? .nan) - DenseReference.spearman(ad, xs)!) < 1e-6, "feature \(f) spearman all")
            #expect(abs(Double(s.normPearson ?? .nan) - DenseReference.pearson(ad, xs)!) < 1e-6, "feature \(f) pearson all")
            let refActive = DenseReference.spearman(active.map { ad[$0] }, active.map { xs[$0] })
            #expect(
                s.normSpearmanActive.map(Double.init).map { abs($0 - refActive!) < 1e-6 } ?? (refActive == nil),
                "feature \(f) spearman active")
        }
        // Constant active values have no active correlation; the all-token one still exists.
        #expect(stats[1].normSpearmanActive == nil && stats[1].normPearsonActive == nil)
        #expect(stats[1].normSpearman != nil)
    }

    @Test func deadAndConstantFeatures() {
        let x = Self.norms(50)
        let stats = NormStatisticsCalculator.compute(
            columns: AnalysisFixtures.columns([
                [Float](repeating: 0, count: 50), [Float](repeating: 2, count: 50), (0..<50).map { $0 == 3 || $0 == 9 ? 1 : 0 }
            ]), norms: NormContext(norms: x))
        #expect(stats[0].dead && stats[0].density == 0 && stats[0].maxActivation == 0 && stats[0].normPearson == nil)
        #expect(stats[0].log10Density == nil && stats[0].topNormMass == nil && stats[0].normAUC == nil)
        #expect(
            !stats[1].dead && stats[1].density == 1 && stats[1].normPearson == nil && stats[1].normSpearman == nil
                && stats[1].normAUC == nil)
        #expect(stats[1].meanActivation == 2 && stats[1].maxActivation == 2)
        #expect(stats[2].normPearsonActive == nil && stats[2].normSpearmanActive == nil)  // fewer than 3 active
        #expect(abs(stats[2].density - 0.04) < 1e-12 && abs((stats[2].log10Density ?? 0) - log10(0.04)) < 1e-12)
        #expect(!NormDetectorRule.standard.fires(stats[0]) && !NormDetectorRule.standard.fires(stats[2]))
        // Without norms only the activation statistics exist.
        let bare = NormStatisticsCalculator.compute(feature: 0, columns: AnalysisFixtures.columns([[0, 1, 3, 0]]), norms: nil)
        #expect(bare.activeCount == 2 && bare.maxActivation == 3 && bare.meanActivation == 1 && bare.normPearson == nil)
    }

    @Test func alphaZeroRemovesNormDependence() {
        // Inputs along one direction at many scales; the encoder column lies along it.
        let dIn = 4, n = 40
        let u: [Float] = [0.5, -0.5, 0.5, 0.5]
        var x: [Float] = []
        var scales: [Float] = []
        for t in 0..<n { let s = Float(t + 1) * 0.25; scales.append(s); x += u.map { $0 * s } }
        // Feature 0 points along u, feature 1 is orthogonal-ish but still active.
        let wEnc: [Float] = [0.5, 0.5, -0.5, 0.5, 0.5, 0.5, 0.5, -0.5]  // [d_in, d_sae] = [4, 2]
        let wDec: [Float] = [0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
        for (alpha, expectCoupled) in [(Float(0), false), (Float(1), true)] {
            let d = AnalysisFixtures.dictionary(wDec: wDec, wEnc: wEnc, dIn: dIn, dSAE: 2, score: .cosine(.global(alpha)))
            #expect(FeatureAlphas.values(of: d) == [alpha, alpha])
            let acts = FeatureEncoder(d).encode(x, rows: n)
            let col = (0..<n).map { acts[$0 * 2] }
            let s = NormStatisticsCalculator.compute(
                feature: 0, columns: AnalysisFixtures.columns([col]), norms: NormContext(norms: scales))
            #expect(s.activeCount == n)
            if expectCoupled {
                #expect(s.normPearsonActive.map { abs($0 - 1) < 1e-5 } == true, "alpha 1: activation = cos * ||x||")
            } else {
                #expect(s.normPearsonActive == nil, "alpha 0: activation is the same cosine for every scale")
            }
        }
        let ip = AnalysisFixtures.dictionary(wDec: wDec, wEnc: wEnc, dIn: dIn, dSAE: 2)
        #expect(FeatureAlphas.values(of: ip) == [1, 1])
    }

    @Test func topNormTokensBreakTiesTowardsLowerIndex() {
        let x: [Float] = [5, 9, 9, 1, 9] + [Float](repeating: 1, count: 195)  // n = 200 -> 2 top tokens
        #expect(NormContext(norms: x).topTokens == [1, 2])
        #expect(NormContext(norms: [3]).topTokens == [0])
        #expect(NormContext(norms: []).topTokens.isEmpty)
    }

    @Test func topContextConcentration() {
        let peaks = TopContextPeaks(tokenIDs: [7, 7, 3, 7, 2], positions: [4, 0, 9, 1, 3])
        #expect(TopContextConcentration.singleToken(peaks) == 0.6)
        let special = SpecialTokenMask(specialIDs: [2], vocabularySize: 10)
        #expect(TopContextConcentration.specialOrFirst(peaks, special: special) == 0.4)  // position 0, token 2
        #expect(TopContextConcentration.singleToken(TopContextPeaks(tokenIDs: [], positions: [])) == nil)
        #expect(!special.contains(99) && !special.contains(-1))
    }

    @Test func radixSortAgreesWithStandardSort() {
        var r = AnalysisFixtures.Random(state: 3)
        for count in [0, 1, 5, 47, 48, 49, 300, 5000] {
            let values = (0..<count).map { _ in r.uniform() < 0.1 ? Float(Int(r.next() % 3)) - 1 : r.normal() * 100 }
            var items = values.enumerated().map { RankSort.pack(key: RankSort.orderedKey($0.element), payload: UInt32($0.offset)) }
            var scratch = [UInt64](repeating: 0, count: count)
            items.withUnsafeMutableBufferPointer { it in
                scratch.withUnsafeMutableBufferPointer { s in
                    if count > 0 { RankSort.sortByKey(it.baseAddress!, count: count, scratch: s.baseAddress!) }
                }
            }
            let want = values.enumerated().sorted { $0.element < $1.element || ($0.element == $1.element && $0.offset < $1.offset) }.map(
                \.offset)
            #expect(items.map { Int($0 & 0xFFFF_FFFF) } == want, "count \(count)")
        }
    }
}
