import Foundation
import Testing
@testable import SAEKit

/// Blocked matching against a brute-force double-precision reference, and the summary records.
struct MatchingAndSummaryTests {
    static func randomRows(_ rows: Int, _ dim: Int, seed: UInt64) -> [Float] {
        var r = AnalysisFixtures.Random(state: seed)
        return (0..<(rows * dim)).map { _ in r.normal() }
    }

    /// Brute-force top-k of each row of cos(A, B), ties to the lower index.
    static func bruteTopK(_ a: [Float], _ ra: Int, _ b: [Float], _ rb: Int, _ dim: Int, k: Int, excludeSelf: Bool) -> [[Int]] {
        func unit(_ m: [Float], _ i: Int) -> [Double] {
            let row = (0..<dim).map { Double(m[i * dim + $0]) }
            let n = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n > 0 ? row.map { $0 / n } : row
        }
        let ua = (0..<ra).map { unit(a, $0) }, ub = (0..<rb).map { unit(b, $0) }
        return (0..<ra).map { i in
            let c = (0..<rb).map { j in zip(ua[i], ub[j]).reduce(0) { $0 + $1.0 * $1.1 } }
            return (0..<rb).filter { !(excludeSelf && $0 == i) }.sorted { c[$0] > c[$1] || (c[$0] == c[$1] && $0 < $1) }.prefix(k).map {
                $0
            }
        }
    }

    @Test(arguments: [(1, 1), (7, 2), (64, 2), (1000, 1)])
    func blockedMatchingEqualsBruteForce(blockRows: Int, threads: Int) {
        let dim = 12, ra = 37, rb = 53
        let a = Self.randomRows(ra, dim, seed: 1), b = Self.randomRows(rb, dim, seed: 2)
        let m = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                DecoderMatching.match(
                    a: pa.baseAddress!, rowsA: ra, b: pb.baseAddress!, rowsB: rb, dim: dim, k: 4, blockRows: blockRows, threads: threads)
            }
        }
        let wantAB = Self.bruteTopK(a, ra, b, rb, dim, k: 4, excludeSelf: false)
        let wantBA = Self.bruteTopK(b, rb, a, ra, dim, k: 4, excludeSelf: false)
        for i in 0..<ra { #expect(m.matchesOfA(i).map(\.feature) == wantAB[i], "A row \(i)") }
        for j in 0..<rb { #expect(m.matchesOfB(j).map(\.feature) == wantBA[j], "B row \(j)") }
        for i in 0..<ra {
            let b0 = wantAB[i][0]
            #expect(m.isMutual(a: i, b: b0) == (wantBA[b0][0] == i))
        }
    }

    @Test func neighboursExcludeSelfAndFindDuplicates() {
        let dim = 8, rows = 30
        var w = Self.randomRows(rows, dim, seed: 5)
        for j in 0..<dim { w[17 * dim + j] = -3 * w[4 * dim + j] }  // antiparallel: cosine -1, never a best match
        for j in 0..<dim { w[20 * dim + j] = 0.5 * w[2 * dim + j] }  // duplicate direction
        let m = w.withUnsafeBufferPointer {
            DecoderMatching.neighbours($0.baseAddress!, rows: rows, dim: dim, k: 5, blockRows: 4, threads: 2)
        }
        let want = Self.bruteTopK(w, rows, w, rows, dim, k: 5, excludeSelf: true)
        for i in 0..<rows { #expect(m.matchesOfA(i).map(\.feature) == want[i]) }
        #expect(m.bestOfA(2) == 20 && m.bestOfA(20) == 2)
        #expect(abs((m.matchesOfA(2).first?.cosine ?? 0) - 1) < 1e-6)
        #expect(!m.matchesOfA(4).contains { $0.feature == 17 })
    }

    @Test func duplicatePairAcrossDictionariesIsMutualWithCosineOne() throws {
        let dim = 10, fa = 40, fb = 25
        let wa = Self.randomRows(fa, dim, seed: 11)
        var wb = Self.randomRows(fb, dim, seed: 12)
        for j in 0..<dim { wb[6 * dim + j] = 4 * wa[33 * dim + j] }
        let a = AnalysisFixtures.dictionary(wDec: wa, wEnc: [Float](repeating: 0, count: fa * dim), dIn: dim, dSAE: fa)
        let b = AnalysisFixtures.dictionary(wDec: wb, wEnc: [Float](repeating: 0, count: fb * dim), dIn: dim, dSAE: fb)
        // Identical activations for the pair, so their correlation is 1 as well.
        var r = AnalysisFixtures.Random(state: 4)
        let n = 300
        var colsA = (0..<fa).map { _ in (0..<n).map { _ in r.uniform() < 0.1 ? Float(r.uniform()) + 0.1 : 0 } }
        var colsB = (0..<fb).map { _ in (0..<n).map { _ in r.uniform() < 0.1 ? Float(r.uniform()) + 0.1 : 0 } }
        colsB[6] = colsA[33].map { $0 * 2 }
        colsA[0] = [Float](repeating: 0, count: n)  // dead: no correlation matches
        let m = try FeatureMatching.crossMatches(
            a: a, b: b, activationsA: AnalysisFixtures.columns(colsA), activationsB: AnalysisFixtures.columns(colsB),
            limit: 5, blockRows: 16)
        let best = try #require(m.aToB[33].byDecoderCosine.first)
        #expect(best.feature == 6 && best.mutual && abs(best.decoderCosine - 1) < 1e-6)
        #expect(abs((best.activationCorrelation ?? 0) - 1) < 1e-6)
        let bestCorr = try #require(m.aToB[33].byActivationCorrelation.first)
        #expect(bestCorr.feature == 6 && bestCorr.mutual && abs(bestCorr.decoderCosine - 1) < 1e-6)
        #expect(m.bToA[6].byDecoderCosine.first?.feature == 33 && m.bToA[6].byDecoderCosine.first?.mutual == true)
        #expect(m.aToB[0].byActivationCorrelation.isEmpty && m.aToB[0].byDecoderCosine.allSatisfy { $0.activationCorrelation == nil })
        // Exactly the mutual pairs the two best-lists imply.
        let mutualCount = (0..<fa).filter { i in
            guard let j = m.aToB[i].byDecoderCosine.first?.feature else { return false }
            return m.bToA[j].byDecoderCosine.first?.feature == i
        }.count
        #expect(m.aToB.filter { $0.byDecoderCosine.first?.mutual == true }.count == mutualCount)

        // The comparison counts them.
        let sa = DictionarySummary(name: "a", score: .innerProduct, tokenCount: n, stats: [])
        let sb = DictionarySummary(name: "b", score: .cosine, tokenCount: n, stats: [])
        let cmp = DictionaryComparison(a: sa, b: sb, matches: m, cosineThreshold: 0.7)
        #expect(cmp.mutualPairs == mutualCount)
        #expect(cmp.mutualPairsAboveThreshold >= 1 && cmp.aMatchedAboveThreshold >= 1 && cmp.bMatchedAboveThreshold >= 1)
        #expect(cmp.aBestCosineHistogram.total == fa && cmp.aBestCosineHistogram.counts.last ?? 0 >= 1)
    }

    @Test func mismatchedWidthsAreAnError() {
        let a = AnalysisFixtures.dictionary(wDec: [1, 0], wEnc: [1, 0], dIn: 2, dSAE: 1)
        let b = AnalysisFixtures.dictionary(wDec: [1, 0, 0], wEnc: [1, 0, 0], dIn: 3, dSAE: 1)
        #expect(throws: SAEKitError.self) { try FeatureMatching.crossMatches(a: a, b: b, activationsA: nil, activationsB: nil) }
    }

    @Test func histogramBins() {
        var h = Histogram(lower: 0, upper: 1, bins: 4)
        for v in [0, 0.24, 0.25, 0.99, 1, -0.1, 1.5, nil, .nan] as [Double?] { h.add(v) }
        #expect(h.counts == [2, 1, 0, 2] && h.below == 1 && h.above == 1 && h.missing == 2 && h.total == 7)
    }

    @Test func summaryCountsAndJSONKeys() throws {
        let stats = [
            FeatureStats(
                feature: 0, alpha: 0.92, elasticity: 1, normSpearmanActive: 0.8, topNormMass: 0.6, density: 0.01, dead: false,
                normDetectorHint: true),
            FeatureStats(feature: 1, alpha: 0.22, elasticity: 3, normSpearmanActive: 0.1, topNormMass: 0.0, density: 0.001, dead: false),
            FeatureStats(feature: 2, alpha: 0.62, density: 0, dead: true)
        ]
        let s = DictionarySummary(name: "cosine", score: .cosine, tokenCount: 1000, stats: stats)
        #expect(s.deadCount == 1 && s.normDetectorHints == 1 && s.alphaAboveHalf == 2)
        #expect(s.alphaHistogram?.counts[18] == 1 && s.alphaHistogram?.counts[4] == 1 && s.alphaHistogram?.counts[12] == 1)
        #expect(s.meanElasticity == 2 && abs((s.meanAlpha ?? 0) - 1.76 / 3) < 1e-6)
        #expect(abs((s.meanDensity ?? 0) - 0.0055) < 1e-12)
        #expect(s.log10DensityHistogram.counts[10] == 1 && s.log10DensityHistogram.counts[8] == 1 && s.log10DensityHistogram.missing == 1)
        #expect(s.medianNormSpearmanActive.map { abs($0 - 0.45) < 1e-6 } == true)
        #expect(s.normPearsonHistogram.missing == 3)

        let unknown = DictionarySummary(name: "imported", score: .unknown, tokenCount: 0, stats: [FeatureStats(feature: 0)])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(unknown)) as? [String: Any]
        let keys = Set(json?.keys.map { $0 } ?? [])
        #expect(
            keys == [
                "name", "score", "feature_count", "token_count", "dead_count", "norm_detector_hints", "alpha_histogram",
                "alpha_above_half", "mean_alpha", "norm_pearson_histogram", "norm_spearman_histogram",
                "norm_pearson_active_histogram", "norm_spearman_active_histogram", "top_norm_mass_histogram",
                "log10_density_histogram", "mean_density", "mean_elasticity", "median_norm_spearman_active", "median_top_norm_mass",
                "norm_detector_hint_share", "median_alpha", "min_alpha", "max_alpha", "mean_l0", "fvu", "labels"
            ])
        #expect(json?["alpha_histogram"] is NSNull && json?["mean_elasticity"] is NSNull && json?["labels"] is NSNull)
        // The hint share and its Wilson interval (scipy.stats.binomtest(1, 3).proportion_ci(method="wilson"): 0.0614919, 0.7923404).
        #expect(s.normDetectorHintShare.count == 1 && s.normDetectorHintShare.total == 3)
        #expect(
            abs((s.normDetectorHintShare.lower ?? 0) - 0.0614919) < 1e-6 && abs((s.normDetectorHintShare.upper ?? 0) - 0.7923404) < 1e-6)
        #expect(s.medianAlpha.map { abs($0 - 0.62) < 1e-6 } == true && s.minAlpha.map { abs($0 - 0.22) < 1e-6 } == true)
        // Round trip.
        let back = try JSONDecoder().decode(DictionarySummary.self, from: JSONEncoder().encode(s))
        #expect(back == s)
    }
}
