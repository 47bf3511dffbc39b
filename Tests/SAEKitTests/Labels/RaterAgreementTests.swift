import Foundation
import Testing
@testable import SAEKit

/// Golden values from `fixtures/generate/agreement/make_golden.py`: Krippendorff's alpha from the
/// `krippendorff` package 0.9.0, Cohen's kappa from statsmodels 0.15.0, percentiles from NumPy, on
/// the same data; the script follows only saex's documented resampling recipe (SplitMix64 indices)
/// so the bootstrap intervals compare exactly. Never values printed by this code.
@Suite struct RaterAgreementTests {
    static let n: Int? = nil
    /// Raters x features, verdict codes (index into Verdict.allCases); nil = not coded.
    static let three: [[Int?]] = [
        [0, 0, 1, 2, 0, 4, 1, 1, 3, 0, n, 2, 0, 1],
        [0, 1, 1, 2, 0, 4, 1, 2, 3, n, 2, 2, n, 1],
        [0, 0, n, 2, 1, 4, 1, 1, n, 0, 2, 3, 0, n]
    ]
    /// Two raters x features, rating codes (index into Rating.allCases).
    static let two: [[Int]] = [
        [0, 0, 1, 2, 2, 0, 1, 0, 2, 2, 0, 1, 0, 0, 2, 1, 0, 2, 2, 0],
        [0, 1, 1, 2, 1, 0, 0, 0, 2, 2, 0, 2, 0, 1, 2, 1, 0, 2, 0, 0]
    ]

    func close(_ a: Double?, _ b: Double, _ tol: Double = 1e-9, _ what: String) {
        guard let a else {
            Issue.record("\(what) is nil, expected \(b)")
            return
        }
        #expect(abs(a - b) <= tol * max(1, abs(b)), "\(what): \(a), golden \(b)")
    }

    /// The two data sets as one labels set: `three` as verdicts of dictionary "fp-a", `two` as
    /// ratings of "fp-b", by raters r0, r1, r2.
    func labels() -> LabelSet {
        var set = LabelSet()
        for (r, row) in Self.three.enumerated() {
            for (f, code) in row.enumerated() {
                guard let code else { continue }
                set.set(FeatureLabel(verdict: Verdict.allCases[code]), key: FeatureKey(fingerprint: "fp-a", feature: f), rater: "r\(r)")
            }
        }
        for (r, row) in Self.two.enumerated() {
            for (f, code) in row.enumerated() {
                set.set(FeatureLabel(rating: Rating.allCases[code]), key: FeatureKey(fingerprint: "fp-b", feature: f), rater: "r\(r)")
            }
        }
        // A feature only one rater labelled counts for nothing.
        set.set(FeatureLabel(verdict: .unsure, rating: .no, author: "r0"), key: FeatureKey(fingerprint: "fp-b", feature: 99), rater: "r0")
        return set
    }

    @Test func alphaKappaAndTheirIntervalsMatchKrippendorffAndStatsmodels() throws {
        let result = DictionaryAgreement.compute(labels(), dictionaries: [("A", "fp-a"), ("B", "fp-b")], resamples: 500, seed: 0x5AE5)
        let a = result[0].verdict
        #expect(a.units == 14 && a.raters == ["r0", "r1", "r2"])
        close(a.krippendorffAlpha.value, 0.7119341563786008, 1e-12, "alpha THREE")
        close(a.krippendorffAlpha.lower, 0.4487018319145054, 1e-9, "alpha THREE lower")
        close(a.krippendorffAlpha.upper, 0.9232688517120812, 1e-9, "alpha THREE upper")
        #expect(a.krippendorffAlpha.resamples == 500 && a.krippendorffAlpha.undefinedResamples == 0)
        let golden: [(String, String, Int, Double, Double, Double)] = [
            ("r0", "r1", 11, 0.7582417582417584, 0.41489361702127653, 1.0),
            ("r0", "r2", 10, 0.7183098591549296, 0.3231218506642235, 1.0),
            ("r1", "r2", 9, 0.41935483870967744, 0.0, 0.7977375565610846)
        ]
        #expect(a.cohenKappa.count == 3)
        for (pair, g) in zip(a.cohenKappa, golden) {
            #expect(pair.raters == [g.0, g.1] && pair.units == g.2)
            close(pair.kappa.value, g.3, 1e-12, "kappa \(g.0)-\(g.1)")
            close(pair.kappa.lower, g.4, 1e-9, "kappa \(g.0)-\(g.1) lower")
            close(pair.kappa.upper, g.5, 1e-9, "kappa \(g.0)-\(g.1) upper")
        }
        #expect(result[0].rating.units == 0, "no ratings in A")

        let b = result[1].rating
        #expect(b.units == 20 && b.raters == ["r0", "r1"])
        close(b.krippendorffAlpha.value, 0.5438596491228069, 1e-12, "alpha TWO")
        close(b.krippendorffAlpha.lower, 0.22000086647796693, 1e-9, "alpha TWO lower")
        close(b.krippendorffAlpha.upper, 0.789797745937445, 1e-9, "alpha TWO upper")
        let k = try #require(b.cohenKappa.first)
        close(k.kappa.value, 0.5330739299610894, 1e-12, "kappa TWO")
        close(k.kappa.lower, 0.22605507333133792, 1e-9, "kappa TWO lower")
        close(k.kappa.upper, 0.7861155698234346, 1e-9, "kappa TWO upper")
        #expect(result[1].verdict.units == 0, "feature 99's verdict has one rater")
    }

    @Test func handCheckedCases() {
        // Perfect agreement on two codes: alpha 1 (krippendorff gives 1.0), kappa 1.
        #expect(AgreementStatistics.krippendorffAlphaNominal([[0, 0], [1, 1], [0, 0], [1, 1]]) == 1)
        #expect(AgreementStatistics.cohenKappa([0, 1, 0, 1], [0, 1, 0, 1]) == 1)
        // One code throughout: no expected disagreement, undefined (krippendorff raises).
        #expect(AgreementStatistics.krippendorffAlphaNominal([[2, 2], [2, 2], [2, 2]]) == nil)
        #expect(AgreementStatistics.cohenKappa([2, 2, 2], [2, 2, 2]) == nil)
        // By hand: a = [0, 0, 1, 1], b = [0, 1, 1, 1]: p_o = 3/4, p_e = (2*1 + 2*3)/16 = 1/2, kappa = 1/2.
        #expect(AgreementStatistics.cohenKappa([0, 0, 1, 1], [0, 1, 1, 1]) == 0.5)
        // By hand, the same data as units: n = 8, n_0 = 3, n_1 = 5, o_01 + o_10 = 2 (one mixed
        // unit, weight 1/(2-1) per ordered pair), alpha = 1 - 7 * 2 / (64 - 9 - 25) = 1 - 14/30.
        let alpha = AgreementStatistics.krippendorffAlphaNominal([[0, 0], [0, 1], [1, 1], [1, 1]])
        #expect(abs((alpha ?? 0) - (1 - 14.0 / 30.0)) < 1e-15)
        // Units with one code are not pairable.
        #expect(AgreementStatistics.krippendorffAlphaNominal([[0], [1]]) == nil)
    }
}
