import Foundation

/// Assembles the `FeatureStats` records a browser shows from the separate analyses.
///
/// Every input but the activations is optional; what is not given stays nil in the records.
public enum FeatureStatsBuilder {
    /// Records for every feature of one dictionary.
    /// - Parameters:
    ///   - columns: the dictionary's activations over the token sample (real tokens only).
    ///   - norms: input norms of the same tokens; nil for imported caches without norms.
    ///   - weights: from `WeightStatistics(dictionary:)`.
    ///   - alphas: per feature (`FeatureAlphas.values(of:)`); nil when unknown.
    ///   - elasticity: per-feature mean elasticity from the encoder; NaN entries mean unknown.
    ///   - peaks: per feature, the peaks of its top contexts; nil when not known.
    ///   - special: special token ids for the special/first-position concentration.
    ///   - topTokens: per feature, peak token strings for list previews.
    public static func build(
        columns: SparseColumns, norms: NormContext?, weights: WeightStatistics? = nil, alphas: [Float]? = nil,
        elasticity: [Float]? = nil, peaks: [TopContextPeaks]? = nil, special: SpecialTokenMask = .none,
        topTokens: [[String]]? = nil, rule: NormDetectorRule = .standard, threads: Int? = nil
    ) -> [FeatureStats] {
        let f = columns.featureCount
        precondition(weights.map { $0.decoderNorms.count == f } ?? true, "weight statistics for another dictionary")
        precondition(
            (alphas?.count ?? f) == f && (elasticity?.count ?? f) == f && (peaks?.count ?? f) == f && (topTokens?.count ?? f) == f,
            "per-feature inputs must have one entry per feature")
        let stats = NormStatisticsCalculator.compute(columns: columns, norms: norms, threads: threads)
        return (0..<f).map { i in
            record(
                feature: i, stats: stats[i], weights: weights, alpha: alphas?[i], elasticity: elasticity?[i], peaks: peaks?[i],
                special: special, topTokens: topTokens?[i] ?? [], rule: rule)
        }
    }

    /// One record from already computed parts.
    public static func record(
        feature: Int, stats s: NormStatistics, weights: WeightStatistics?, alpha: Float?, elasticity: Float?,
        peaks: TopContextPeaks?, special: SpecialTokenMask, topTokens: [String], rule: NormDetectorRule = .standard
    ) -> FeatureStats {
        FeatureStats(
            feature: feature, alpha: alpha, elasticity: elasticity.flatMap { $0.isFinite ? $0 : nil },
            normPearson: s.normPearson, normSpearman: s.normSpearman, normPearsonActive: s.normPearsonActive,
            normSpearmanActive: s.normSpearmanActive, topNormMass: s.topNormMass, density: s.density,
            maxActivation: s.maxActivation, meanActivation: s.meanActivation, dead: s.dead,
            decoderNorm: weights?.decoderNorms[feature], encoderNorm: weights?.encoderNorms[feature],
            encoderDecoderCosine: weights?.encoderDecoderCosines[feature],
            singleTokenConcentration: peaks.flatMap(TopContextConcentration.singleToken),
            specialTokenConcentration: peaks.flatMap { TopContextConcentration.specialOrFirst($0, special: special) },
            normDetectorHint: rule.fires(s), topTokens: topTokens, normAUC: s.normAUC, activeCount: s.activeCount)
    }
}
