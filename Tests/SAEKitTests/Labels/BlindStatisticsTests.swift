import Foundation
import Testing
@testable import SAEKit

/// Golden values below come from SciPy 1.17.1, never from this code. Each comment gives the exact
/// command; run it with `python3 -c '<command>'`.
@Suite struct BlindStatisticsTests {
    // from scipy import stats; ci = stats.binomtest(K, N).proportion_ci(confidence_level=0.95, method="wilson"); print(repr(ci.low), repr(ci.high))
    @Test(arguments: [
        (7, 20, 0.1811918241010821, 0.5671457233147637),
        (0, 10, 0.0, 0.27753279986288926),
        (10, 10, 0.7224672001371109, 1.0),
        (42, 100, 0.32798382674354737, 0.5179351329695704)
    ])
    func wilsonIntervalMatchesSciPy(k: Int, n: Int, low: Double, high: Double) throws {
        let ci = try #require(BlindStatistics.wilson(successes: k, total: n))
        #expect(abs(ci.lowerBound - low) < 1e-12)
        #expect(abs(ci.upperBound - high) < 1e-12)
    }

    @Test func wilsonOfNothingIsUndefined() {
        #expect(BlindStatistics.wilson(successes: 0, total: 0) == nil)
    }

    // from scipy import stats; r = stats.fisher_exact([[A, B], [C, D]], alternative="two-sided"); print(repr(r.statistic), repr(r.pvalue))
    @Test(arguments: [
        ([8, 2, 1, 5], 20.0, 0.034965034965034975),
        ([12, 38, 5, 45], 2.8421052631578947, 0.1083695840882205),
        ([0, 10, 10, 0], 0.0, 1.082508822446903e-05),
        ([3, 3, 3, 3], 1.0, 1.0),
        ([30, 70, 18, 82], 1.9523809523809523, 0.06791000101375219),
        ([1, 9, 11, 3], 0.030303030303030304, 0.0027594561852200836)
    ])
    func fisherExactMatchesSciPy(table: [Int], oddsRatio: Double, p: Double) throws {
        let got = BlindStatistics.fisherExactTwoSided(table[0], table[1], table[2], table[3])
        #expect(abs(got - p) <= 1e-10 * max(p, 1e-300) + 1e-15, "p = \(got), SciPy \(p)")
        let or = try #require(BlindStatistics.oddsRatio(table[0], table[1], table[2], table[3]))
        #expect(abs(or - oddsRatio) < 1e-12)
    }

    // from scipy import stats; r = stats.mannwhitneyu(X, Y, use_continuity=True, alternative="two-sided", method="asymptotic"); print(repr(r.statistic), repr(r.pvalue))
    @Test(arguments: [
        ([2, 2, 1, 0, 2, 1, 2, 0, 2, 2], [0, 1, 0, 0, 2, 1, 0, 1, 0, 1], 76.0, 0.040965770646635466),
        ([2, 1, 1, 0, 2, 0, 1, 1], [1, 1, 0, 2, 0, 0, 1, 1, 1, 0, 2, 0], 57.0, 0.47950812403155707),
        ([0, 0, 1], [2, 2, 2, 1, 2], 0.5, 0.03633140618194625)
    ])
    func mannWhitneyMatchesSciPy(x: [Int], y: [Int], u: Double, p: Double) throws {
        let r = try #require(BlindStatistics.mannWhitney(x.map(Double.init), y.map(Double.init)))
        #expect(r.u == u)
        #expect(abs(r.p - p) < 1e-12, "p = \(r.p), SciPy \(p)")
    }

    @Test func mannWhitneyWithoutVarianceIsUndefined() {
        #expect(BlindStatistics.mannWhitney([1, 1], [1, 1, 1]) == nil)
        #expect(BlindStatistics.mannWhitney([], [1]) == nil)
    }

    /// The bootstrap is random, so it is checked against the EXACT bootstrap distribution: resampling
    /// yes/no answers gives X/nA - Y/nB with X ~ Binomial(nA, kA/nA), Y ~ Binomial(nB, kB/nB). SciPy
    /// gave that distribution's 1.5%, 3.5%, 96.5% and 98.5% quantiles; with 10,000 resamples the
    /// 2.5% and 97.5% percentiles must fall inside those brackets (each is about 6 standard errors wide):
    ///
    ///   import numpy as np; from scipy import stats
    ///   px = stats.binom.pmf(np.arange(nA+1), nA, kA/nA); py = stats.binom.pmf(np.arange(nB+1), nB, kB/nB)
    ///   d = {}
    ///   for x in range(nA+1):
    ///       for y in range(nB+1): d[x/nA - y/nB] = d.get(x/nA - y/nB, 0) + px[x]*py[y]
    ///   v = sorted(d); c = np.cumsum([d[k] for k in v]); print([v[int(np.searchsorted(c, q))] for q in (0.015, 0.035, 0.965, 0.985)])
    @Test(arguments: [
        (30, 60, 18, 60, [0.016666666666666663, 0.03333333333333338, 0.35000000000000003, 0.38333333333333336]),
        (7, 20, 12, 25, [-0.44, -0.39, 0.14, 0.19000000000000006])
    ])
    func bootstrapFallsInsideTheExactBootstrapQuantiles(ka: Int, na: Int, kb: Int, nb: Int, brackets: [Double]) throws {
        for seed: UInt64 in [1, 2, 3] {
            let ci = try #require(
                BlindStatistics.bootstrapDifference(successesA: ka, totalA: na, successesB: kb, totalB: nb, resamples: 10_000, seed: seed))
            #expect(ci.lowerBound >= brackets[0] - 1e-12 && ci.lowerBound <= brackets[1] + 1e-12, "lower \(ci.lowerBound) seed \(seed)")
            #expect(ci.upperBound >= brackets[2] - 1e-12 && ci.upperBound <= brackets[3] + 1e-12, "upper \(ci.upperBound) seed \(seed)")
        }
        let again = BlindStatistics.bootstrapDifference(successesA: ka, totalA: na, successesB: kb, totalB: nb, resamples: 10_000, seed: 1)
        #expect(
            again == BlindStatistics.bootstrapDifference(successesA: ka, totalA: na, successesB: kb, totalB: nb, resamples: 10_000, seed: 1)
        )
    }

    /// SplitMix64 outputs for seeds 0 and 1234567, computed with this Python transcription of the
    /// reference algorithm (Vigna's splitmix64.c), calling sm repeatedly on the returned state:
    ///   M=2**64-1
    ///   def sm(s):
    ///       s=(s+0x9E3779B97F4A7C15)&M; z=s; z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M; z=((z^(z>>27))*0x94D049BB133111EB)&M; return s, z^(z>>31)
    @Test func splitMix64MatchesTheReferenceSequence() {
        var zero = SplitMix64(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var other = SplitMix64(seed: 1_234_567)
        #expect([other.next(), other.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973])
    }

    @Test func reportCombinesTheStatisticsAndRendersOneLinePerFact() throws {
        // Table [[8, 2], [1, 5]]: A has 8 yes of 10, B has 1 yes of 6.
        let a: [(Rating, Verdict?)] = Array(repeating: (.yes, .interpretable), count: 8) + [(.maybe, .normDetector), (.no, .normDetector)]
        let b: [(Rating, Verdict?)] =
            [(.yes, nil)] + Array(repeating: (.no, .uninterpretable), count: 3) + Array(repeating: (.maybe, .normDetector), count: 2)
        let r = BlindReport(
            names: ["standard", "cosine"], fingerprints: ["fa", "fb"], answersA: a, answersB: b, total: 20, bootstrapSeed: 9)
        #expect(r.answered == 16 && r.total == 20)
        #expect(r.dictionaries[0].yes == 8 && r.dictionaries[0].maybe == 1 && r.dictionaries[0].no == 1)
        #expect(r.dictionaries[1].normDetectors == 2 && r.dictionaries[1].normDetectorFraction == 2.0 / 6.0)
        #expect(r.dictionaries[0].normDetectorFraction == 0.2)
        #expect(abs((r.fisherP ?? 0) - 0.034965034965034975) < 1e-12)  // the SciPy value above
        #expect(abs((r.difference ?? 0) - (0.8 - 1.0 / 6.0)) < 1e-15)
        let data = try r.jsonData()
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"interpretable_fraction\"") && json.contains("\"mann_whitney_p\""))
        #expect(try BlindReport.decode(data) == r)
        let text = r.text
        #expect(text.contains("standard") && text.contains("p = 0.0350"))
        #expect(!text.contains(" \n"))
    }
}
