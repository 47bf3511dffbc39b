/// `count` of `total` with its share and 95% Wilson score interval (nil when `total` is 0).
public struct Proportion: Sendable, Equatable, Codable {
    public var count: Int
    public var total: Int
    public var fraction: Double?
    public var lower: Double?
    public var upper: Double?

    public init(_ count: Int, of total: Int) {
        self.count = count
        self.total = total
        fraction = total > 0 ? Double(count) / Double(total) : nil
        let w = BlindStatistics.wilson(successes: count, total: total)
        lower = w?.lowerBound
        upper = w?.upperBound
    }
}

/// What one dictionary's labels say, as the paper reports it: how many features were labelled,
/// the verdicts, and the interpretable and norm-detector fractions with their intervals.
///
/// The fractions are over the labels with a verdict (a label with only a concept or notes says
/// nothing about them); with several raters each rater's label counts. Labels made in a blind
/// session (`isBlind`) are counted again on their own.
public struct LabelTally: Sendable, Equatable, Codable {
    /// Labels (features with a label, once per rater).
    public var labelled: Int
    /// Features whose label has a verdict.
    public var withVerdict: Int
    /// Count per verdict (raw values, docs/LABELS.md).
    public var verdicts: [String: Int]
    public var interpretable: Proportion
    public var normDetector: Proportion
    /// Of the labelled, how many came from blind sessions.
    public var blind: Int

    enum CodingKeys: String, CodingKey {
        case labelled, verdicts, interpretable, blind
        case withVerdict = "with_verdict"
        case normDetector = "norm_detector"
    }

    /// A label stored from a blind session's answer (provenance `.blind`).
    public static func isBlindLabel(_ label: FeatureLabel) -> Bool { label.provenance == .blind }

    public init(_ labels: some Sequence<FeatureLabel>, isBlind: (FeatureLabel) -> Bool = isBlindLabel) {
        var labelled = 0, withVerdict = 0, blind = 0
        var verdicts: [String: Int] = [:]
        for l in labels where !l.isEmpty {
            labelled += 1
            if isBlind(l) { blind += 1 }
            if let v = l.verdict {
                withVerdict += 1
                verdicts[v.rawValue, default: 0] += 1
            }
        }
        self.labelled = labelled
        self.withVerdict = withVerdict
        self.verdicts = verdicts
        self.blind = blind
        interpretable = Proportion(verdicts[Verdict.interpretable.rawValue] ?? 0, of: withVerdict)
        normDetector = Proportion(verdicts[Verdict.normDetector.rawValue] ?? 0, of: withVerdict)
    }
}

/// The difference of a fraction between two dictionaries (A - B): a percentile bootstrap interval
/// and Fisher's exact test, as the blind report computes them (docs/LABELS.md).
public struct ProportionDifference: Sendable, Equatable, Codable {
    public var difference: Double?
    public var lower: Double?
    public var upper: Double?
    public var fisherP: Double?

    enum CodingKeys: String, CodingKey {
        case difference, lower, upper
        case fisherP = "fisher_p"
    }

    /// Seeded (the same data give the same interval); 10,000 resamples.
    public init(_ a: Proportion, _ b: Proportion, seed: UInt64 = 0x5AE5) {
        guard let pa = a.fraction, let pb = b.fraction else { return }
        difference = pa - pb
        let ci = BlindStatistics.bootstrapDifference(successesA: a.count, totalA: a.total, successesB: b.count, totalB: b.total, seed: seed)
        lower = ci?.lowerBound
        upper = ci?.upperBound
        fisherP = BlindStatistics.fisherExactTwoSided(a.count, a.total - a.count, b.count, b.total - b.count)
    }
}
