import Foundation

/// What `LabelStore.merge` did with an export.
public struct LabelImportReport: Sendable, Equatable {
    /// Keys that were not in the store and were added.
    public var added: [FeatureKey] = []
    /// Entries whose content (verdict, concept, notes, rating, author) equals the stored label: no-ops.
    public var identical = 0
    /// Entries with nothing recorded (empty labels): skipped.
    public var empty = 0
    /// Keys present on both sides with different content; the stored label was kept.
    public var conflicts: [LabelConflict] = []
    /// Fingerprints whose provenance (name, path, architecture) was new to the store.
    public var dictionariesRecorded = 0

    /// One line for the CLI.
    public var summary: String {
        "\(added.count) added, \(identical) identical, \(conflicts.count) conflicts kept unchanged"
            + (empty > 0 ? ", \(empty) empty skipped" : "")
    }
}

/// A key labelled differently in the store and in an imported file.
public struct LabelConflict: Sendable, Equatable {
    public var key: FeatureKey
    /// Dictionary name, when known.
    public var dictionary: String?
    public var stored: FeatureLabel
    public var incoming: FeatureLabel
}

extension LabelStore {
    /// Merges an export into the store without overwriting anything.
    ///
    /// New keys are added (with their original times), identical ones are no-ops, and a key with
    /// different content on both sides is reported as a conflict and left as stored: the file has
    /// no common ancestor from which to tell which side changed, so saex never picks one. Dictionary
    /// provenance fills only what the store does not know. All additions are written with one
    /// fsync. With `dryRun` nothing is written.
    public func merge(_ export: LabelExport, dryRun: Bool = false) throws -> LabelImportReport {
        var report = LabelImportReport()
        let stored = allLabels
        let names = Dictionary(export.dictionaries.map { ($0.fingerprint, $0.name) }, uniquingKeysWith: { a, _ in a })
        var pending: [FeatureKey: FeatureLabel] = [:]
        var order: [FeatureKey] = []
        for entry in export.labels {
            let key = entry.key
            let incoming = entry.label.canonical
            if incoming.isEmpty {
                report.empty += 1
                continue
            }
            if let current = pending[key] ?? stored[key] {
                if current.sameContent(as: incoming) {
                    report.identical += 1
                } else {
                    let name = entry.dictionary ?? names[key.fingerprint] ?? nil
                    report.conflicts.append(LabelConflict(key: key, dictionary: name, stored: current, incoming: incoming))
                }
                continue
            }
            pending[key] = incoming
            order.append(key)
        }
        report.added = order
        let known = dictionaries
        var newInfos: [LabelDictionaryInfo] = []
        for d in export.dictionaries where !d.fingerprint.isEmpty {
            let have = known[d.fingerprint]
            let info = LabelDictionaryInfo(fingerprint: d.fingerprint, name: have?.name == nil ? d.name : nil,
                                           path: have?.path == nil ? d.path : nil, architecture: have?.architecture == nil ? d.architecture : nil)
            if have == nil || info.name != nil || info.path != nil || info.architecture != nil { newInfos.append(info) }
        }
        report.dictionariesRecorded = newInfos.count
        if !dryRun {
            try recordDictionaries(newInfos)
            try setLabels(order.compactMap { key in pending[key].map { (key: key, label: Optional($0)) } })
        }
        return report
    }
}
