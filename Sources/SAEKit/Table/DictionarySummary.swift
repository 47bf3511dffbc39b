/// Dictionary-wide figures from a feature table: what `saex summary` prints and the overview shows.
///
/// Codable with snake_case keys; unknown values are encoded as JSON null. docs/ANALYSIS.md
/// documents every field.
public struct DictionarySummary: Sendable, Equatable, Codable {
    public var name: String
    /// "inner_product", "cosine" or "unknown".
    public var score: String
    public var featureCount: Int
    /// Tokens in the sample the statistics ran over.
    public var tokenCount: Int
    public var deadCount: Int
    public var normDetectorHints: Int
    /// The hints as a share of the features, with its Wilson interval.
    public var normDetectorHintShare: Proportion
    /// Alpha over [0, 1] in 20 bins; nil when no alpha is known.
    @NullEncoded public var alphaHistogram: Histogram?
    /// Features with alpha > 0.5; nil when no alpha is known.
    @NullEncoded public var alphaAboveHalf: Int?
    @NullEncoded public var meanAlpha: Double?
    @NullEncoded public var medianAlpha: Double?
    @NullEncoded public var minAlpha: Double?
    @NullEncoded public var maxAlpha: Double?
    /// Mean active features per real token (nonzeros / tokens); nil when unknown (imports).
    @NullEncoded public var meanL0: Double?
    /// Fraction of variance unexplained by the reconstruction, where the cache measured it (`FVU`).
    @NullEncoded public var fvu: Double?
    /// What the labels say; nil when no labels were given.
    @NullEncoded public var labels: LabelTally?
    /// Correlation histograms over [-1, 1] in 20 bins (nil statistics count as missing).
    public var normPearsonHistogram: Histogram
    public var normSpearmanHistogram: Histogram
    public var normPearsonActiveHistogram: Histogram
    public var normSpearmanActiveHistogram: Histogram
    /// Top-1% norm mass over [0, 1] in 20 bins.
    public var topNormMassHistogram: Histogram
    /// log10(density) of live features over [-7, 0] in 14 bins (dead features are missing).
    public var log10DensityHistogram: Histogram
    /// Mean of the live features' density; nil when all are dead.
    @NullEncoded public var meanDensity: Double?
    /// Mean over features with a known elasticity; nil when none.
    @NullEncoded public var meanElasticity: Double?
    /// Medians over live features with the statistic known; nil when none.
    @NullEncoded public var medianNormSpearmanActive: Double?
    @NullEncoded public var medianTopNormMass: Double?

    enum CodingKeys: String, CodingKey {
        case name, score
        case featureCount = "feature_count"
        case tokenCount = "token_count"
        case deadCount = "dead_count"
        case normDetectorHints = "norm_detector_hints"
        case normDetectorHintShare = "norm_detector_hint_share"
        case alphaHistogram = "alpha_histogram"
        case alphaAboveHalf = "alpha_above_half"
        case meanAlpha = "mean_alpha"
        case medianAlpha = "median_alpha"
        case minAlpha = "min_alpha"
        case maxAlpha = "max_alpha"
        case meanL0 = "mean_l0"
        case fvu, labels
        case normPearsonHistogram = "norm_pearson_histogram"
        case normSpearmanHistogram = "norm_spearman_histogram"
        case normPearsonActiveHistogram = "norm_pearson_active_histogram"
        case normSpearmanActiveHistogram = "norm_spearman_active_histogram"
        case topNormMassHistogram = "top_norm_mass_histogram"
        case log10DensityHistogram = "log10_density_histogram"
        case meanDensity = "mean_density"
        case meanElasticity = "mean_elasticity"
        case medianNormSpearmanActive = "median_norm_spearman_active"
        case medianTopNormMass = "median_top_norm_mass"
    }

    /// Summarises every feature of `table`: the figures `saex summary` prints and the overview shows.
    public init(table t: FeatureTable) {
        name = t.descriptor.name
        score = t.descriptor.score.rawValue
        featureCount = t.featureCount
        tokenCount = t.tokenCount ?? 0
        let features = 0..<t.featureCount
        deadCount = features.filter { t.dead[$0] != 0 }.count
        normDetectorHints = features.filter { t.hint[$0] != 0 }.count
        normDetectorHintShare = Proportion(normDetectorHints, of: t.featureCount)
        let alphas = features.compactMap { FeatureTable.known(t.floats.alpha[$0]) }
        if !alphas.isEmpty {
            alphaHistogram = Histogram(lower: 0, upper: 1, bins: 20, values: features.map { t.value(.alpha, $0) })
            alphaAboveHalf = alphas.filter { $0 > 0.5 }.count
            meanAlpha = alphas.reduce(0.0) { $0 + Double($1) } / Double(alphas.count)
            medianAlpha = Self.median(alphas)
            minAlpha = alphas.min().map(Double.init)
            maxAlpha = alphas.max().map(Double.init)
        }
        let counts = features.map { t.activeCount[$0] }
        if let tokens = t.tokenCount, tokens > 0, !counts.contains(where: { $0 < 0 }) {
            meanL0 = Double(counts.reduce(0, +)) / Double(tokens)
        }
        fvu = t.descriptor.fvu
        func hist(_ lo: Double, _ hi: Double, _ bins: Int, _ column: FeatureColumn) -> Histogram {
            Histogram(lower: lo, upper: hi, bins: bins, values: features.map { t.value(column, $0) })
        }
        normPearsonHistogram = hist(-1, 1, 20, .normPearson)
        normSpearmanHistogram = hist(-1, 1, 20, .normSpearman)
        normPearsonActiveHistogram = hist(-1, 1, 20, .normPearsonActive)
        normSpearmanActiveHistogram = hist(-1, 1, 20, .normSpearmanActive)
        topNormMassHistogram = hist(0, 1, 20, .topNormMass)
        log10DensityHistogram = hist(-7, 0, 14, .log10Density)
        let live = features.filter { t.dead[$0] == 0 }
        meanDensity = live.isEmpty ? nil : live.reduce(0.0) { $0 + t.density[$1] } / Double(live.count)
        let el = features.compactMap { FeatureTable.known(t.floats.elasticity[$0]) }.filter(\.isFinite)
        meanElasticity = el.isEmpty ? nil : el.reduce(0.0) { $0 + Double($1) } / Double(el.count)
        medianNormSpearmanActive = Self.median(live.compactMap { FeatureTable.known(t.floats.normSpearmanActive[$0]) })
        medianTopNormMass = Self.median(live.compactMap { FeatureTable.known(t.floats.topNormMass[$0]) })
    }

    /// Summarises `stats` (one record per feature, in feature order): the table's summary.
    public init(name: String, score: Score.Kind, tokenCount: Int, stats: [FeatureStats]) {
        let descriptor = DictionaryDescriptor(
            name: name, score: score, architecture: "", dIn: 0, featureCount: stats.count, fingerprint: "",
            path: "", hasNorms: true)
        self.init(table: FeatureTable(descriptor: descriptor, tokenCount: tokenCount, stats: stats))
    }

    /// Median (mean of the two middle values for an even count); nil when empty.
    static func median(_ v: [Float]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        let h = s.count / 2
        return s.count % 2 == 1 ? Double(s[h]) : (Double(s[h - 1]) + Double(s[h])) / 2
    }
}

/// Two dictionaries side by side, with how their features pair up.
public struct DictionaryComparison: Sendable, Equatable, Codable {
    public var a: DictionarySummary
    public var b: DictionarySummary
    /// The cosine above which a pair counts as matched.
    public var cosineThreshold: Float
    /// Pairs that are each other's best decoder-cosine match.
    public var mutualPairs: Int
    /// Mutual pairs whose decoder cosine exceeds `cosineThreshold`.
    public var mutualPairsAboveThreshold: Int
    /// Features of A whose best match in B has cosine above the threshold.
    public var aMatchedAboveThreshold: Int
    /// Features of B whose best match in A has cosine above the threshold.
    public var bMatchedAboveThreshold: Int
    /// Each feature's best-match cosine over [-1, 1] in 20 bins.
    public var aBestCosineHistogram: Histogram
    public var bBestCosineHistogram: Histogram
    /// Mean of the best-match cosines; nil when the dictionary has no features.
    @NullEncoded public var aMeanBestCosine: Double?
    @NullEncoded public var bMeanBestCosine: Double?
    /// The difference of the norm-detector hint shares (A - B), its interval and test.
    public var hintDifference: ProportionDifference
    /// The differences of the labels' interpretable and norm-detector fractions; nil without labels.
    @NullEncoded public var labels: LabelComparison?

    enum CodingKeys: String, CodingKey {
        case a, b
        case cosineThreshold = "cosine_threshold"
        case mutualPairs = "mutual_pairs"
        case mutualPairsAboveThreshold = "mutual_pairs_above_threshold"
        case aMatchedAboveThreshold = "a_matched_above_threshold"
        case bMatchedAboveThreshold = "b_matched_above_threshold"
        case aBestCosineHistogram = "a_best_cosine_histogram"
        case bBestCosineHistogram = "b_best_cosine_histogram"
        case aMeanBestCosine = "a_mean_best_cosine"
        case bMeanBestCosine = "b_mean_best_cosine"
        case hintDifference = "hint_difference"
        case labels
    }

    /// Compares from the summaries and the matches between the two dictionaries.
    public init(a: DictionarySummary, b: DictionarySummary, matches: CrossDictionaryMatches, cosineThreshold: Float = 0.7) {
        self.a = a
        self.b = b
        self.cosineThreshold = cosineThreshold
        let bestA = matches.aToB.map { $0.byDecoderCosine.first }
        let bestB = matches.bToA.map { $0.byDecoderCosine.first }
        let mutual = bestA.compactMap { $0 }.filter(\.mutual)
        mutualPairs = mutual.count
        mutualPairsAboveThreshold = mutual.filter { $0.decoderCosine > cosineThreshold }.count
        aMatchedAboveThreshold = bestA.filter { ($0?.decoderCosine ?? -2) > cosineThreshold }.count
        bMatchedAboveThreshold = bestB.filter { ($0?.decoderCosine ?? -2) > cosineThreshold }.count
        aBestCosineHistogram = Histogram(lower: -1, upper: 1, bins: 20, values: bestA.map { $0.map { Double($0.decoderCosine) } })
        bBestCosineHistogram = Histogram(lower: -1, upper: 1, bins: 20, values: bestB.map { $0.map { Double($0.decoderCosine) } })
        func mean(_ v: [FeatureMatch?]) -> Double? {
            let c = v.compactMap { $0?.decoderCosine }
            return c.isEmpty ? nil : c.reduce(0.0) { $0 + Double($1) } / Double(c.count)
        }
        aMeanBestCosine = mean(bestA)
        bMeanBestCosine = mean(bestB)
        hintDifference = ProportionDifference(a.normDetectorHintShare, b.normDetectorHintShare)
        if let la = a.labels, let lb = b.labels {
            labels = LabelComparison(
                interpretable: ProportionDifference(la.interpretable, lb.interpretable),
                normDetector: ProportionDifference(la.normDetector, lb.normDetector))
        }
    }
}

/// How two dictionaries' labels differ (A - B).
public struct LabelComparison: Sendable, Equatable, Codable {
    public var interpretable: ProportionDifference
    public var normDetector: ProportionDifference

    enum CodingKeys: String, CodingKey {
        case interpretable
        case normDetector = "norm_detector"
    }
}

/// Every dictionary's summary and every compared pair: what `saex summary`, `saex report` and the
/// explorer's overview show, from one computation.
public struct ComparisonReport: Sendable, Equatable, Codable {
    public var dictionaries: [DictionarySummary]
    public var comparisons: [DictionaryComparison]
    /// Inter-rater agreement per dictionary (`DictionaryAgreement.compute`), set by the caller that
    /// has the labels file; nil when none was read.
    @NullEncoded public var agreement: [DictionaryAgreement]? = nil

    /// `matches[Pair(i, j)]` are dictionary i's match lists in j; `labels[i]` dictionary i's labels,
    /// every rater's (nil: no labels file); `isBlind` tells labels made in a blind session.
    public init(
        tables: [FeatureTable], matches: [DictionaryPair: [FeatureMatchLists]], labels: [[FeatureLabel]]?,
        isBlind: (FeatureLabel) -> Bool = LabelTally.isBlindLabel
    ) {
        dictionaries = tables.enumerated().map { i, t in
            var s = DictionarySummary(table: t)
            if let labels, i < labels.count { s.labels = LabelTally(labels[i], isBlind: isBlind) }
            return s
        }
        let summaries = dictionaries
        comparisons = matches.keys.filter { $0.from < $0.to }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }.compactMap { p in
            guard let ab = matches[p], let ba = matches[DictionaryPair(p.to, p.from)] else { return nil }
            return DictionaryComparison(a: summaries[p.from], b: summaries[p.to], matches: CrossDictionaryMatches(aToB: ab, bToA: ba))
        }
    }
}
