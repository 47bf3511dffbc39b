/// What storing a blind session's answers as labels did.
public struct BlindLabelsReport: Sendable, Equatable {
    /// Labels added or updated from the answers.
    public var stored = 0
    /// Answers already stored as they are.
    public var unchanged = 0
    /// Features the rater had labelled by hand with other content: kept, the answer not stored.
    public var clashes: [LabelConflict] = []

    /// One line for the CLI.
    public var summary: String {
        "\(stored) blind answer\(stored == 1 ? "" : "s") stored as labels, \(unchanged) already there"
            + (clashes.isEmpty ? "" : ", \(clashes.count) kept as labelled by hand (shown above)")
    }
}

extension LabelStore {
    /// Stores blind answers (`BlindSession.answerLabels`) as labels of their rater, with one fsync.
    ///
    /// An answer replaces the rater's earlier blind label of the feature (answers can be changed),
    /// but never a label the rater made by hand: such a feature is reported as a clash and left as
    /// it is. Other raters' labels are never touched.
    public func storeBlindAnswers(_ answers: [RatedLabel], dictionaryNames: [String: String] = [:]) throws -> BlindLabelsReport {
        var report = BlindLabelsReport()
        let current = everyLabel
        var changes: [(key: FeatureKey, rater: String, label: FeatureLabel?)] = []
        for a in answers {
            let new = a.label.canonical
            if let old = current.label(a.key, by: a.rater) {
                if old.sameContent(as: new), old.provenance == .blind {
                    report.unchanged += 1
                    continue
                }
                if old.provenance != .blind, !old.isEmpty {
                    if !old.sameContent(as: new) {
                        report.clashes.append(
                            LabelConflict(
                                key: a.key, dictionary: dictionaryNames[a.key.fingerprint],
                                stored: old, incoming: new))
                    } else {
                        report.unchanged += 1
                    }
                    continue
                }
            }
            changes.append((a.key, a.rater, new))
        }
        try setRatedLabels(changes)
        report.stored = changes.count
        return report
    }
}
