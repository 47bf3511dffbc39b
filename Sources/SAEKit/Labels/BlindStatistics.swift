#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The tests the blind A/B report uses (docs/LABELS.md gives the formulas and their sources).
///
/// Each function is plain arithmetic on counts, validated in the tests against SciPy.
public enum BlindStatistics {
    /// The 0.975 quantile of the standard normal distribution.
    public static let z95 = 1.959963984540054

    /// The Wilson score interval for `successes` out of `total` (no continuity correction, as
    /// `scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`); nil when `total` is 0.
    public static func wilson(successes k: Int, total n: Int, z: Double = z95) -> ClosedRange<Double>? {
        guard n > 0, k >= 0, k <= n else { return nil }
        let nd = Double(n)
        let p = Double(k) / nd
        let z2 = z * z
        let denominator = 1 + z2 / nd
        let center = (p + z2 / (2 * nd)) / denominator
        let half = z / denominator * (p * (1 - p) / nd + z2 / (4 * nd * nd)).squareRoot()
        return max(0, center - half)...min(1, center + half)
    }

    /// Two-sided Fisher exact test of the 2x2 table [[a, b], [c, d]].
    ///
    /// The p-value sums the hypergeometric probabilities (computed exactly from log-factorials) of
    /// every table with the same margins that is at most as probable as the observed one, with
    /// SciPy's relative tolerance of 1e-7 for ties. Returns 1 for an empty table.
    public static func fisherExactTwoSided(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        guard a >= 0, b >= 0, c >= 0, d >= 0 else { return 1 }
        let n = a + b + c + d
        guard n > 0 else { return 1 }
        let row1 = a + b, row2 = c + d, col1 = a + c
        let logFactorial = logFactorials(upTo: n)
        let fixed = logFactorial[row1] + logFactorial[row2] + logFactorial[col1] + logFactorial[n - col1] - logFactorial[n]
        func logP(_ x: Int) -> Double {
            fixed - logFactorial[x] - logFactorial[row1 - x] - logFactorial[col1 - x] - logFactorial[row2 - col1 + x]
        }
        let observed = logP(a)
        let threshold = observed + log1p(1e-7)
        var p = 0.0
        for x in max(0, col1 - row2)...min(row1, col1) {
            let lp = logP(x)
            if lp <= threshold { p += exp(lp) }
        }
        return min(1, p)
    }

    /// The sample odds ratio a*d / (b*c) (as `scipy.stats.fisher_exact` reports it); nil when
    /// undefined (0/0) and +infinity is returned as nil too, so the value always encodes to JSON.
    public static func oddsRatio(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double? {
        let num = Double(a) * Double(d), den = Double(b) * Double(c)
        guard den > 0 else { return nil }
        return num / den
    }

    /// Mann-Whitney U test of `x` against `y`, two-sided, normal approximation with tie correction
    /// and continuity correction (as `scipy.stats.mannwhitneyu(x, y, method="asymptotic")`).
    /// nil when either sample is empty or all values are tied (no variance).
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> MannWhitneyResult? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        let all = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        let n = all.count
        var rankSumX = 0.0
        var tieTerm = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && all[j + 1].0 == all[i].0 { j += 1 }
            let midrank = Double(i + j + 2) / 2  // ranks are 1-based
            for k in i...j where all[k].1 { rankSumX += midrank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let u1 = rankSumX - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let mu = Double(n1 * n2) / 2
        let nd = Double(n)
        let variance = Double(n1 * n2) / 12 * ((nd + 1) - tieTerm / (nd * (nd - 1)))
        guard variance > 0 else { return nil }
        let z = (max(u1, u2) - mu - 0.5) / variance.squareRoot()
        let p = min(1, 2 * normalSurvival(z))
        return MannWhitneyResult(u: u1, z: z, p: p)
    }

    /// P(Z > z) for a standard normal Z.
    public static func normalSurvival(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// Percentile bootstrap interval of p_A - p_B for two independent proportions.
    ///
    /// Each resample draws `totalA` answers with replacement from A's answers and `totalB` from B's
    /// (for yes/not-yes data this is one uniform index per answer, compared with the number of
    /// yeses), using `SplitMix64(seed:)`. The bounds are the (1-level)/2 and (1+level)/2 quantiles
    /// of the sorted differences with linear interpolation (NumPy's default percentile).
    public static func bootstrapDifference(
        successesA ka: Int, totalA na: Int, successesB kb: Int, totalB nb: Int,
        resamples: Int = 10_000, seed: UInt64, level: Double = 0.95
    ) -> ClosedRange<Double>? {
        guard na > 0, nb > 0, resamples > 1, (0...na).contains(ka), (0...nb).contains(kb) else { return nil }
        var rng = SplitMix64(seed: seed)
        var diffs = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var xa = 0
            for _ in 0..<na where rng.next(below: na) < ka { xa += 1 }
            var xb = 0
            for _ in 0..<nb where rng.next(below: nb) < kb { xb += 1 }
            diffs[r] = Double(xa) / Double(na) - Double(xb) / Double(nb)
        }
        diffs.sort()
        guard let lower = percentile(sorted: diffs, (1 - level) / 2),
            let upper = percentile(sorted: diffs, (1 + level) / 2)
        else { return nil }
        return lower...upper
    }

    /// The `q` quantile (0...1) of ascending `values` with linear interpolation between the closest
    /// ranks (NumPy's default `percentile`); nil when empty.
    public static func percentile(sorted values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let pos = q * Double(values.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, values.count - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - Double(lo))
    }

    /// log(k!) for k in 0...n, by summing logarithms (exact enough for tables of any size saex sees).
    static func logFactorials(upTo n: Int) -> [Double] {
        var table = [Double](repeating: 0, count: n + 1)
        var acc = 0.0
        if n >= 1 {
            for k in 1...n {
                acc += log(Double(k))
                table[k] = acc
            }
        }
        return table
    }
}

/// The result of a two-sided Mann-Whitney U test.
public struct MannWhitneyResult: Sendable, Equatable, Codable {
    /// U of the first sample (SciPy's `statistic`).
    public var u: Double
    /// The continuity-corrected z of max(U1, U2) (never negative).
    public var z: Double
    /// Two-sided p-value.
    public var p: Double
}
