import Foundation

/// Several labels files made into one (`saex labels merge`): every rater's labels with their
/// provenance, for inter-rater agreement.
public enum LabelFiles {
    /// The union of the labels files at `paths` (read-only, in order): labels are keyed by feature
    /// and rater, so different raters' labels of a feature are all kept. The same rater's differing
    /// labels of a feature are conflicts, resolved by `prefer` (`.stored`: the earlier file's,
    /// `.incoming`: the later file's) or, when nil, reported with the earlier file's kept.
    /// Dictionary provenance: the first file that knows a field wins.
    public static func merge(_ paths: [String], prefer: LabelConflictPreference?) throws -> MergedLabels {
        var out = MergedLabels()
        for path in paths {
            let store = try LabelStore(path: path, readOnly: true)
            let infos = store.dictionaries
            for (fp, info) in infos {
                var merged = out.dictionaries[fp] ?? LabelDictionaryInfo(fingerprint: fp)
                merged.name = merged.name ?? info.name
                merged.path = merged.path ?? info.path
                merged.architecture = merged.architecture ?? info.architecture
                out.dictionaries[fp] = merged
            }
            let incoming = store.everyLabel.all.map { ($0.key, $0.label, out.dictionaries[$0.key.fingerprint]?.name) }
            _ = out.labels.absorb(incoming, prefer: prefer, report: &out.report)
            out.warnings += store.warnings
        }
        return out
    }

    /// Writes `merged` as a labels file at `path` (replacing it atomically), holding its lock
    /// meanwhile, so an explorer that has it open makes this fail with `.busy` instead of losing
    /// its later changes.
    public static func write(_ merged: MergedLabels, to path: String) throws {
        // As the store does: a symlink is resolved (the link survives), a device or FIFO refused.
        let file = try LabelStore.journalFile(path)
        let lock = try FileLock(lockPath: file + ".lock", resource: path, what: "this labels file")
        defer { lock.release() }
        let data = try LabelFileFormat.snapshot(dictionaries: merged.dictionaries, labels: merged.labels)
        try AtomicFile.write(path: file, chunks: [data], checkMappedInputs: false)
    }
}

/// What `LabelFiles.merge` produced.
public struct MergedLabels: Sendable {
    public var labels = LabelSet()
    public var dictionaries: [String: LabelDictionaryInfo] = [:]
    public var report = LabelImportReport()
    /// The inputs' tolerated problems (a torn last line).
    public var warnings: [String] = []
}
