import Foundation

/// Which side wins when the same rater labelled a feature differently on two sides.
public enum LabelConflictPreference: String, Sendable, CaseIterable {
    /// Keep what is already there (the store, or the earlier file of a merge).
    case stored
    /// Take the incoming label (the imported file, or the later file of a merge).
    case incoming
}

/// What `LabelStore.merge` or `LabelFiles.merge` did.
public struct LabelImportReport: Sendable, Equatable {
    /// The feature of each label added (a rater's label of a feature that rater had not labelled).
    public var added: [FeatureKey] = []
    /// Entries whose content (verdict, concept, notes, rating, author) equals the stored label: no-ops.
    public var identical = 0
    /// Entries with nothing recorded (empty labels): skipped.
    public var empty = 0
    /// Keys labelled by the same rater with different content on both sides.
    public var conflicts: [LabelConflict] = []
    /// How conflicts were resolved; nil: they were not (the stored labels were kept and the caller
    /// should say how to resolve them).
    public var preference: LabelConflictPreference?
    /// Fingerprints whose provenance (name, path, architecture) was new to the store.
    public var dictionariesRecorded = 0

    /// One line for the CLI: "3 added, 1 identical, 1 conflict kept unchanged".
    public var summary: String {
        let n = conflicts.count
        let kind = n == 1 ? "conflict" : "conflicts"
        let outcome: String
        switch preference {
        case nil: outcome = "\(n) \(kind) kept unchanged"
        case .stored?: outcome = "\(n) \(kind) resolved by keeping the stored label"
        case .incoming?: outcome = "\(n) \(kind) resolved by taking the incoming label"
        }
        return "\(added.count) added, \(identical) identical, \(outcome)" + (empty > 0 ? ", \(empty) empty skipped" : "")
    }
}

/// A feature labelled differently by the same rater on two sides (the store and an imported file,
/// or two files of a merge).
public struct LabelConflict: Sendable, Equatable {
    public var key: FeatureKey
    /// Dictionary name, when known.
    public var dictionary: String?
    public var stored: FeatureLabel
    public var incoming: FeatureLabel

    /// The rater both labels belong to.
    public var rater: String { stored.author }

    /// The fields that differ, as (field, stored, incoming) in display form: verdicts and ratings by
    /// name or "none", text quoted with line breaks as \n and \r and other control characters escaped.
    public var differences: [(field: String, stored: String, incoming: String)] {
        func text(_ s: String) -> String {
            let breaks = s.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            return "\"" + TerminalText.escapedLine(breaks) + "\""
        }
        var out: [(String, String, String)] = []
        if stored.verdict != incoming.verdict {
            out.append(("verdict", stored.verdict?.rawValue ?? "none", incoming.verdict?.rawValue ?? "none"))
        }
        if stored.rating != incoming.rating {
            out.append(("rating", stored.rating?.rawValue ?? "none", incoming.rating?.rawValue ?? "none"))
        }
        if stored.concept != incoming.concept { out.append(("concept", text(stored.concept), text(incoming.concept))) }
        if stored.notes != incoming.notes { out.append(("notes", text(stored.notes), text(incoming.notes))) }
        return out
    }

    /// The conflict for a terminal: a heading line, then one line per differing field.
    public var lines: [String] {
        let name = dictionary.map { TerminalText.escapedLine($0) } ?? "fingerprint \(key.fingerprint)"
        let who = rater.isEmpty ? "no author" : "rater \"" + TerminalText.escapedLine(rater) + "\""
        var out = ["conflict: \(name) feature \(key.feature), \(who):"]
        for d in differences { out.append("  \(d.field): stored \(d.stored), incoming \(d.incoming)") }
        return out
    }
}

extension LabelSet {
    /// Adds `incoming` labels (each its author's) to the set: a rater's label of a feature that rater
    /// had not labelled is added, an equal one is a no-op, a different one is a conflict resolved by
    /// `prefer` (nil: kept as stored). Returns the labels that changed, in `incoming` order.
    mutating func absorb(
        _ incoming: [(key: FeatureKey, label: FeatureLabel, dictionary: String?)], prefer: LabelConflictPreference?,
        report: inout LabelImportReport
    ) -> [RatedLabel] {
        var changed: [RatedLabel] = []
        for entry in incoming {
            let new = entry.label.canonical
            if new.isEmpty {
                report.empty += 1
                continue
            }
            if let current = label(entry.key, by: new.author) {
                if current.sameContent(as: new) {
                    report.identical += 1
                    continue
                }
                report.conflicts.append(LabelConflict(key: entry.key, dictionary: entry.dictionary, stored: current, incoming: new))
                guard prefer == .incoming else { continue }
            } else {
                report.added.append(entry.key)
            }
            set(new, key: entry.key, rater: new.author)
            changed.append(RatedLabel(key: entry.key, label: new))
        }
        report.preference = report.conflicts.isEmpty ? nil : prefer
        return changed
    }
}

extension LabelStore {
    /// Merges an export into the store.
    ///
    /// Labels are keyed by feature and rater (`author`): a rater's label the store does not have is
    /// added (with its original times), an identical one is a no-op, and one that differs from the
    /// same rater's stored label is a conflict. The file has no common ancestor from which to tell
    /// which side changed, so saex never picks one by itself: without `prefer` the stored label is
    /// kept and the conflict reported; `prefer` says which side to take. Dictionary provenance
    /// fills only what the store does not know. All changes are written with one fsync. With
    /// `dryRun` nothing is written.
    public func merge(_ export: LabelExport, dryRun: Bool = false, prefer: LabelConflictPreference? = nil) throws -> LabelImportReport {
        var report = LabelImportReport()
        let names = Dictionary(export.dictionaries.map { ($0.fingerprint, $0.name) }, uniquingKeysWith: { a, _ in a })
        var next = everyLabel
        let changed = next.absorb(
            export.labels.map { ($0.key, $0.label, $0.dictionary ?? names[$0.fingerprint] ?? nil) }, prefer: prefer,
            report: &report)
        let known = dictionaries
        var newInfos: [LabelDictionaryInfo] = []
        for d in export.dictionaries where !d.fingerprint.isEmpty {
            let have = known[d.fingerprint]
            let info = LabelDictionaryInfo(
                fingerprint: d.fingerprint, name: have?.name == nil ? d.name : nil,
                path: have?.path == nil ? d.path : nil, architecture: have?.architecture == nil ? d.architecture : nil)
            if have == nil || info.name != nil || info.path != nil || info.architecture != nil { newInfos.append(info) }
        }
        report.dictionariesRecorded = newInfos.count
        if !dryRun {
            try recordDictionaries(newInfos)
            try setRatedLabels(changed.map { ($0.key, $0.rater, $0.label) })
        }
        return report
    }
}
