/// Inter-rater agreement on nominal codes: Cohen's kappa for two raters, Krippendorff's alpha for
/// any number with missing values, and percentile bootstrap intervals over the rated units
/// (docs/LABELS.md, "Agreement between raters", gives the formulas and their sources).
public enum AgreementStatistics {
    /// Cohen's kappa of two raters' codes of the same units, `(p_o - p_e) / (1 - p_e)`, with p_o the
    /// share of units coded alike and p_e the chance agreement from each rater's own marginals (as
    /// `statsmodels.stats.inter_rater.cohens_kappa` and `sklearn.metrics.cohen_kappa_score`).
    /// nil without units or when p_e is 1 (both raters used one and the same code throughout).
    public static func cohenKappa(_ a: [Int], _ b: [Int]) -> Double? {
        guard a.count == b.count else { return nil }
        return KappaPairs(a, b).kappa(a.indices)
    }

    /// Krippendorff's alpha for nominal codes. `units[u]` holds the codes unit u received (missing
    /// ones left out); a unit with fewer than two codes is not pairable and counts for nothing. From
    /// the coincidence matrix o_ck = sum over units of (pairs c,k in the unit) / (m_u - 1):
    /// alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k (as the `krippendorff` package,
    /// level "nominal"). nil when fewer than two pairable codes or only one code occurs.
    public static func krippendorffAlphaNominal(_ units: [[Int]]) -> Double? {
        AlphaUnits(units).alpha(units.indices)
    }

    /// Percentile bootstrap interval of a statistic of `unitCount` units: each resample draws
    /// `unitCount` unit indices with replacement (`SplitMix64(seed:)`, `next(below:)`, in order) and
    /// evaluates `statistic` on them; resamples where it is undefined are counted and left out. The
    /// bounds are the (1-level)/2 and (1+level)/2 quantiles of the rest with linear interpolation
    /// (NumPy's default percentile); nil without any defined resample.
    public static func bootstrap(
        unitCount: Int, resamples: Int, seed: UInt64, level: Double = 0.95,
        statistic: ([Int]) -> Double?
    ) -> BootstrapInterval {
        guard unitCount > 0, resamples > 0 else { return BootstrapInterval(lower: nil, upper: nil, resamples: 0, undefined: 0) }
        var rng = SplitMix64(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var indices = [Int](repeating: 0, count: unitCount)
        for _ in 0..<resamples {
            for i in 0..<unitCount { indices[i] = rng.next(below: unitCount) }
            if let v = statistic(indices), v.isFinite { values.append(v) }
        }
        values.sort()
        return BootstrapInterval(
            lower: BlindStatistics.percentile(sorted: values, (1 - level) / 2),
            upper: BlindStatistics.percentile(sorted: values, (1 + level) / 2),
            resamples: resamples, undefined: resamples - values.count)
    }
}

/// Units prepared for Krippendorff's alpha of any selection of them (a bootstrap resample): each
/// unit's code counts and its share of the observed disagreement, so a selection costs one pass
/// over its units.
struct AlphaUnits {
    private let categories: Int
    /// units x categories: how often unit u received code c (all 0 for a unit that is not pairable).
    private let counts: [Double]
    /// Per unit: sum over c of k_c (m - k_c) / (m - 1), its sum over c != k of o_ck.
    private let observed: [Double]

    init(_ units: [[Int]]) {
        var dense: [Int: Int] = [:]
        for codes in units where codes.count >= 2 { for c in codes where dense[c] == nil { dense[c] = dense.count } }
        categories = max(1, dense.count)
        var counts = [Double](repeating: 0, count: units.count * categories)
        var observed = [Double](repeating: 0, count: units.count)
        for (u, codes) in units.enumerated() where codes.count >= 2 {
            let m = Double(codes.count)
            for c in codes { counts[u * categories + (dense[c] ?? 0)] += 1 }
            var o = 0.0
            for k in counts[(u * categories)..<((u + 1) * categories)] where k > 0 { o += k * (m - k) / (m - 1) }
            observed[u] = o
        }
        self.counts = counts
        self.observed = observed
    }

    func alpha(_ selection: some Sequence<Int>) -> Double? {
        var marginal = [Double](repeating: 0, count: categories)
        var disagreement = 0.0
        for u in selection {
            disagreement += observed[u]
            for c in 0..<categories { marginal[c] += counts[u * categories + c] }
        }
        let n = marginal.reduce(0, +)
        guard n >= 2 else { return nil }
        let expected = n * n - marginal.reduce(0.0) { $0 + $1 * $1 }  // sum over c != k of n_c n_k
        guard expected > 0 else { return nil }
        return 1 - (n - 1) * disagreement / expected
    }
}

/// Two raters' codes of the same units, prepared for Cohen's kappa of any selection of them.
struct KappaPairs {
    private let a: [Int]
    private let b: [Int]
    private let categories: Int

    init(_ a: [Int], _ b: [Int]) {
        var dense: [Int: Int] = [:]
        for c in a + b where dense[c] == nil { dense[c] = dense.count }
        self.a = a.map { dense[$0] ?? 0 }
        self.b = b.map { dense[$0] ?? 0 }
        categories = max(1, dense.count)
    }

    func kappa(_ selection: some Sequence<Int>) -> Double? {
        var countA = [Double](repeating: 0, count: categories), countB = countA
        var agree = 0.0, n = 0.0
        for u in selection {
            n += 1
            countA[a[u]] += 1
            countB[b[u]] += 1
            if a[u] == b[u] { agree += 1 }
        }
        guard n > 0 else { return nil }
        let pe = zip(countA, countB).reduce(0.0) { $0 + $1.0 * $1.1 } / (n * n)
        guard pe < 1 else { return nil }
        return (agree / n - pe) / (1 - pe)
    }
}

/// A percentile bootstrap interval and how many resamples had no value.
public struct BootstrapInterval: Sendable, Equatable {
    public var lower: Double?
    public var upper: Double?
    public var resamples: Int
    /// Resamples where the statistic was undefined (all units coded alike, say), left out.
    public var undefined: Int
}

/// A statistic with its bootstrap interval. Encodes every key, nil as null.
public struct AgreementEstimate: Sendable, Equatable, Codable {
    @NullEncoded public var value: Double?
    @NullEncoded public var lower: Double?
    @NullEncoded public var upper: Double?
    public var resamples: Int
    public var undefinedResamples: Int

    enum CodingKeys: String, CodingKey {
        case value, lower, upper, resamples
        case undefinedResamples = "undefined_resamples"
    }

    init(value: Double?, units: Int, resamples: Int, seed: UInt64, statistic: ([Int]) -> Double?) {
        self.value = value
        let ci =
            value == nil
            ? BootstrapInterval(lower: nil, upper: nil, resamples: 0, undefined: 0)
            : AgreementStatistics.bootstrap(unitCount: units, resamples: resamples, seed: seed, statistic: statistic)
        lower = ci.lower
        upper = ci.upper
        self.resamples = ci.resamples
        undefinedResamples = ci.undefined
    }
}

/// Cohen's kappa of one pair of raters over the features both coded.
public struct PairAgreement: Sendable, Equatable, Codable {
    public var raters: [String]
    public var units: Int
    public var kappa: AgreementEstimate
}

/// Agreement on one field (verdict or rating) of one dictionary's labels.
public struct FieldAgreement: Sendable, Equatable, Codable {
    /// Features that two or more raters coded.
    public var units: Int
    /// Raters who coded at least one of those features.
    public var raters: [String]
    public var krippendorffAlpha: AgreementEstimate
    /// One entry per pair of raters with a feature in common.
    public var cohenKappa: [PairAgreement]

    enum CodingKeys: String, CodingKey {
        case units, raters
        case krippendorffAlpha = "krippendorff_alpha"
        case cohenKappa = "cohen_kappa"
    }

    /// `coded[u]` maps rater -> code for unit u (units with fewer than two raters are left out).
    public init(_ coded: [[String: Int]], resamples: Int, seed: UInt64) {
        let units = coded.filter { $0.count >= 2 }
        self.units = units.count
        raters = Array(Set(units.flatMap(\.keys))).sorted()
        let codes = AlphaUnits(units.map { u in u.keys.sorted().compactMap { r in u[r] } })
        krippendorffAlpha = AgreementEstimate(value: codes.alpha(units.indices), units: units.count, resamples: resamples, seed: seed) {
            codes.alpha($0)
        }
        var pairs: [PairAgreement] = []
        for (i, a) in raters.enumerated() {
            for b in raters[(i + 1)...] {
                let both = units.compactMap { u -> (Int, Int)? in
                    guard let x = u[a], let y = u[b] else { return nil }
                    return (x, y)
                }
                guard !both.isEmpty else { continue }
                let coded = KappaPairs(both.map(\.0), both.map(\.1))
                let kappa = AgreementEstimate(value: coded.kappa(both.indices), units: both.count, resamples: resamples, seed: seed) {
                    coded.kappa($0)
                }
                pairs.append(PairAgreement(raters: [a, b], units: both.count, kappa: kappa))
            }
        }
        cohenKappa = pairs
    }
}

/// Inter-rater agreement on one dictionary's labels: for the verdict and for the yes/maybe/no
/// rating, over the features two or more raters labelled (`saex summary`, `saex blind report`).
public struct DictionaryAgreement: Sendable, Equatable, Codable {
    public var dictionary: String
    public var fingerprint: String
    public var verdict: FieldAgreement
    public var rating: FieldAgreement

    public static let defaultResamples = 2_000
    public static let defaultSeed: UInt64 = 0x5AE5

    /// The agreement of every rater's labels in `labels` of each dictionary (name, fingerprint);
    /// `include` picks the labels that count (e.g. blind ones only). Codes are the verdicts and
    /// ratings, nominal; a label without a verdict (rating) says nothing about it.
    public static func compute(
        _ labels: LabelSet, dictionaries: [(name: String, fingerprint: String)],
        include: (RatedLabel) -> Bool = { _ in true }, resamples: Int = defaultResamples,
        seed: UInt64 = defaultSeed
    ) -> [DictionaryAgreement] {
        var byFingerprint: [String: [FeatureKey: [String: FeatureLabel]]] = [:]
        for rated in labels.all where include(rated) {
            byFingerprint[rated.key.fingerprint, default: [:]][rated.key, default: [:]][rated.rater] = rated.label
        }
        return dictionaries.map { d in
            let features = byFingerprint[d.fingerprint] ?? [:]
            let ordered = features.keys.sorted().compactMap { features[$0] }
            func codes<T: CaseIterable & Equatable>(_ field: (FeatureLabel) -> T?) -> [[String: Int]] {
                ordered.map { byRater in
                    byRater.compactMapValues { l in field(l).flatMap { v in Array(T.allCases).firstIndex(of: v) } }
                }
            }
            return DictionaryAgreement(
                dictionary: d.name, fingerprint: d.fingerprint,
                verdict: FieldAgreement(codes { $0.verdict }, resamples: resamples, seed: seed),
                rating: FieldAgreement(codes { $0.rating }, resamples: resamples, seed: seed))
        }
    }

    /// Plain-text lines for a terminal (names made safe), or nothing when no feature has two raters.
    public var textLines: [String] {
        guard verdict.units > 0 || rating.units > 0 else { return [] }
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        func est(_ e: AgreementEstimate) -> String {
            e.value == nil ? "n/a" : "\(f(e.value)) [95% CI \(f(e.lower)), \(f(e.upper))]"
        }
        func name(_ r: String) -> String { r.isEmpty ? "(no author)" : TerminalText.escapedLine(r) }
        var out = ["inter-rater agreement, \(TerminalText.escapedLine(dictionary)):"]
        for (field, a) in [("verdict", verdict), ("rating", rating)] where a.units > 0 {
            out.append("  \(field): \(a.units) features by \(a.raters.count) raters; Krippendorff's alpha \(est(a.krippendorffAlpha))")
            for p in a.cohenKappa {
                out.append("    Cohen's kappa \(p.raters.map(name).joined(separator: " vs ")) (\(p.units) features): \(est(p.kappa))")
            }
        }
        return out
    }
}
