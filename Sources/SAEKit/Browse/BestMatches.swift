extension FeatureSource {
    /// For every other dictionary, `feature`'s best match by decoder cosine and by activation
    /// correlation (MatchRanking.best over the stored lists); empty when the source has no matches.
    public func bestMatches(dict: Int, feature: Int) -> [BestMatch] {
        var out: [BestMatch] = []
        for other in dictionaries.indices where other != dict {
            guard let lists = try? matchLists(dict: dict, feature: feature, other: other) else { continue }
            for ranking in [MatchRanking.decoder, .activation] {
                guard let m = ranking.best(lists) else { continue }
                out.append(
                    BestMatch(
                        dictionary: dictionaries[other].name, feature: m.feature, by: ranking.rawValue,
                        score: ranking.score(m).map(Double.init), decoderCosine: Double(m.decoderCosine),
                        activationCorrelation: m.activationCorrelation.map(Double.init)))
            }
        }
        return out
    }

    /// The statistics a label export records for `key` (nil when the feature is not in the source):
    /// the feature's row and its best matches in every other dictionary.
    public func exportedStats(_ key: FeatureKey) -> ExportedStats? {
        guard let d = dictionaries.firstIndex(where: { $0.fingerprint == key.fingerprint }), key.feature >= 0,
            key.feature < dictionaries[d].featureCount
        else { return nil }
        return ExportedStats(stats(dict: d, feature: key.feature), matches: bestMatches(dict: d, feature: key.feature))
    }
}

extension FeatureSource {
    /// The dictionary-level comparison of `tables` (every dictionary's, in order) with the
    /// source's stored matches: what the explorer's overview shows and `saex summary` prints.
    /// `labels` are every rater's labels (nil: no labels file): each dictionary's are tallied, and
    /// the agreement between raters is computed where two or more labelled the same features.
    public func comparisonReport(tables: [FeatureTable], labels: LabelSet?) -> ComparisonReport {
        var matches: [DictionaryPair: [FeatureMatchLists]] = [:]
        for i in tables.indices {
            for j in tables.indices where j != i {
                if let m = allMatchLists(dict: i, other: j) { matches[DictionaryPair(i, j)] = m }
            }
        }
        let byDictionary = labels.map { set in
            let all = set.all
            return tables.map { t in all.filter { $0.key.fingerprint == t.descriptor.fingerprint }.map(\.label) }
        }
        var report = ComparisonReport(tables: tables, matches: matches, labels: byDictionary)
        if let labels {
            report.agreement = DictionaryAgreement.compute(
                labels, dictionaries: tables.map { ($0.descriptor.name, $0.descriptor.fingerprint) })
        }
        return report
    }
}
