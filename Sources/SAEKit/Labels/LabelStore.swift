#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The labels of one labels file, kept durable on disk: the `LabelBook` the explorer and CLI use.
///
/// The file is an append-only journal of JSON lines (docs/LABELS.md): each change appends one
/// record and fsyncs before `setLabel` returns, so an acknowledged change survives SIGKILL or power
/// loss. When the journal holds many superseded records it is compacted: the live state is written
/// to a temporary file and renamed over it (`AtomicFile`), so the file on disk is always either
/// the old or the new complete journal. A crash can only tear the last line; loading ignores it and
/// reports it in `warnings`.
///
/// Opening for writing takes an advisory lock on `<path>.lock`; a second opener (any process,
/// including this one) gets `SAEKitError(.busy)`. The lock is released by `close()`, by deinit, or
/// by the kernel when the process ends. Read-only opens take no lock and never write.
///
/// Several raters: the file holds at most one label per feature and rater (the label's `author`).
/// A store opened with a `rater` reads and writes that rater's labels through `LabelBook`; one
/// opened without keeps one label per feature (`setLabel` replaces every rater's label of the
/// feature, reads give the newest). `everyLabel`, `raters` and `labels(by:)` see all raters.
///
/// A symlinked labels file is resolved once, at open: the lock, appends and compactions all use the
/// file it points to, so the link survives. Anything but a regular file (a device, a FIFO) is
/// refused. Before each append the store checks that the journal it holds open is still the file
/// at the path, with the size it wrote; if the file was deleted, truncated, replaced or appended
/// to by someone else, it is rewritten from memory (which holds every label) and `takeNotice`
/// says so once.
///
/// Thread-safe: every method takes an internal lock. Labels are keyed by `FeatureKey` and never
/// move to another fingerprint; see `isStale` and `nameClashes` for dictionaries that changed.
public final class LabelStore: LabelBook, @unchecked Sendable {
    /// The labels file, as the caller gave it.
    public let path: String
    /// The file the journal lives in: `path` with a symlink resolved once, at open.
    let filePath: String
    private var notices: [String] = []
    /// True when opened with `readOnly: true`: no lock is held and every change throws.
    public let isReadOnly: Bool
    /// Whose labels `LabelBook` reads and writes; nil: one label per feature, whoever made it.
    public let rater: String?

    private let mutex = NSLock()
    private var labels = LabelSet()
    /// The version of the file's header (what an append must stay readable as).
    private var fileVersion = 1
    private var infos: [String: LabelDictionaryInfo] = [:]
    private var loadWarnings: [String] = []
    private var fileLock: FileLock?
    private var fd: Int32 = -1
    /// Bytes of the journal known to be complete records.
    private var fileSize: Int = 0
    /// Records appended since the last compaction (or open).
    private var appended = 0
    /// The file may end in a partial record (a failed append); rewrite it before appending again.
    private var needsRewrite = false
    private let compactAfter: Int

    /// Opens (creating if needed, unless `readOnly`) the labels file at `path`.
    ///
    /// - Parameters:
    ///   - readOnly: read without locking; a missing file is an error.
    ///   - rater: the current rater (see the type's documentation); nil for one label per feature.
    ///   - compactAfter: compact once more than `max(compactAfter, live labels)` records were
    ///     appended since the last compaction.
    /// - Throws: `.busy` when another opener holds the file, `.unsupported` for a file written by a
    ///   newer saex, `.badInput` for a damaged file (the line is named), `.ioFailure`.
    public init(path: String, readOnly: Bool = false, rater: String? = nil, compactAfter: Int = 256) throws {
        self.path = path
        self.isReadOnly = readOnly
        self.rater = rater
        self.compactAfter = max(1, compactAfter)
        filePath = try LabelStore.journalFile(path)
        if !readOnly {
            fileLock = try FileLock(lockPath: filePath + ".lock", resource: path, what: "this labels file")
        }
        do {
            try load()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
        fileLock?.release()
    }

    /// Closes the journal and releases the lock; later changes throw. Idempotent.
    public func close() {
        mutex.lock()
        defer { mutex.unlock() }
        if fd >= 0 {
            closeDescriptor(fd)
            fd = -1
        }
        fileLock?.release()
        fileLock = nil
    }

    /// Where the journal of `path` lives: the path itself, or what its symlink points to. Refuses an
    /// empty path and anything that is not a regular file (reading a FIFO would block forever, and
    /// a lock file beside a device would land in /dev).
    public static func journalFile(_ path: String) throws -> String {
        guard !path.isEmpty else {
            throw SAEKitError(
                .badInput, path: nil, subject: "labels file", reason: "is an empty path", remedy: "give a file name, or leave --labels out")
        }
        var st = stat()
        let resolved = lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK ? try OutputTarget.resolveLink(path) : path
        if stat(resolved, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let kind = (st.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file (\(OutputTarget.fileType(st.st_mode)))"
            throw SAEKitError(.badInput, path: path, reason: "is \(kind)", remedy: "give a labels file: a regular file, or a new path")
        }
        return resolved
    }

    /// A one-time note for the status line about something the store repaired (the journal was
    /// deleted or truncated under it and rewritten from memory); nil when there is none.
    public func takeNotice() -> String? {
        mutex.lock()
        defer { mutex.unlock() }
        return notices.isEmpty ? nil : notices.removeFirst()
    }

    /// What was noticed but tolerated, one line each: an incomplete last record after a crash, a
    /// failed compaction.
    public var warnings: [String] {
        mutex.lock()
        defer { mutex.unlock() }
        return loadWarnings
    }

    // MARK: LabelBook

    /// The current rater's label of `key` (without a rater: the feature's newest label).
    public func label(for key: FeatureKey) -> FeatureLabel? {
        mutex.lock()
        defer { mutex.unlock() }
        if let rater { return labels.label(key, by: rater) }
        return labels.labels(of: key).values.max { ($0.updated, $1.author) < ($1.updated, $0.author) }
    }

    /// The current rater's labels (without a rater: each feature's newest label).
    public var allLabels: [FeatureKey: FeatureLabel] {
        mutex.lock()
        defer { mutex.unlock() }
        if let rater { return labels.labels(by: rater) }
        return labels.newestPerFeature
    }

    /// Every rater's labels.
    public var everyLabel: LabelSet {
        mutex.lock()
        defer { mutex.unlock() }
        return labels
    }

    public var raters: [String] {
        mutex.lock()
        defer { mutex.unlock() }
        return labels.raters
    }

    public func labels(by rater: String) -> [FeatureKey: FeatureLabel] {
        mutex.lock()
        defer { mutex.unlock() }
        return labels.labels(by: rater)
    }

    /// Stores `label` for `key` (nil or empty clears it); durable on disk when it returns.
    ///
    /// With a `rater` the label is that rater's (its author becomes the rater); without one it
    /// replaces every rater's label of the feature and keeps its own author. Times are stored on
    /// whole milliseconds, so `label(for:)` returns them rounded. Text must not contain NUL.
    public func setLabel(_ label: FeatureLabel?, for key: FeatureKey) throws {
        try setLabels([(key, label)])
    }

    /// `setLabel` for several changes with one write and one fsync. Durable when it returns; after a
    /// crash during the call either all of the changes or none are on disk (one save, `Line.more`).
    public func setLabels(_ changes: [(key: FeatureKey, label: FeatureLabel?)]) throws {
        mutex.lock()
        defer { mutex.unlock() }
        var next = labels
        var records: [LabelFileFormat.Record] = []
        for (key, label) in changes {
            if let rater {
                try stage(label, key: key, rater: rater, into: &next, records: &records)
                continue
            }
            let keep = label.flatMap { $0.isEmpty ? nil : $0.author }
            for other in next.labels(of: key).keys.sorted() where other != keep {
                try stage(nil, key: key, rater: other, into: &next, records: &records)
            }
            if let label, let keep { try stage(label, key: key, rater: keep, into: &next, records: &records) }
        }
        try commit(next, records)
    }

    /// Stores labels of any raters (each label's `author`) with one write and one fsync; a nil or
    /// empty label clears that rater's label (imports, blind answers).
    public func setRatedLabels(_ changes: [(key: FeatureKey, rater: String, label: FeatureLabel?)]) throws {
        mutex.lock()
        defer { mutex.unlock() }
        var next = labels
        var records: [LabelFileFormat.Record] = []
        for c in changes { try stage(c.label, key: c.key, rater: c.rater, into: &next, records: &records) }
        try commit(next, records)
    }

    /// Adds the change to `next` and `records` unless it changes nothing.
    private func stage(
        _ label: FeatureLabel?, key: FeatureKey, rater: String, into next: inout LabelSet,
        records: inout [LabelFileFormat.Record]
    ) throws {
        try validate(key)
        if var label, !label.isEmpty {
            label.author = rater
            if let field = label.fieldWithNUL {
                throw SAEKitError(
                    .badInput, path: path, subject: "feature \(key.feature)", reason: "the \(field) contains a NUL character",
                    remedy: "remove it; labels are NUL-free text")
            }
            let c = label.canonical
            if next.label(key, by: rater) == c { return }
            next.set(c, key: key, rater: rater)
            records.append(.set(key, c))
        } else {
            if next.label(key, by: rater) == nil { return }
            next.set(nil, key: key, rater: rater)
            records.append(.clear(key, rater: rater))
        }
    }

    /// Writes `records` (or, when `next` needs a newer file version than the file has, the whole
    /// file) and adopts `next`.
    private func commit(_ next: LabelSet, _ records: [LabelFileFormat.Record]) throws {
        guard !records.isEmpty else { return }
        if next.formatVersion > fileVersion {
            guard !isReadOnly else { throw readOnlyError() }
            let previous = labels
            labels = next
            do {
                try rewrite()
            } catch {
                labels = previous
                throw error
            }
            return
        }
        try append(records)
        labels = next
        compactIfWorthIt()
    }

    // MARK: Dictionaries

    /// What the file knows about each fingerprint (name, path, architecture), keyed by fingerprint.
    public var dictionaries: [String: LabelDictionaryInfo] {
        mutex.lock()
        defer { mutex.unlock() }
        return infos
    }

    /// Records where `info.fingerprint` came from; non-nil fields replace the stored ones. Writes
    /// only when something changed. Call it for every loaded dictionary.
    public func recordDictionary(_ info: LabelDictionaryInfo) throws {
        try recordDictionaries([info])
    }

    /// `recordDictionary` for each loaded dictionary, with one fsync.
    public func recordDictionaries(_ list: [DictionaryDescriptor]) throws {
        try recordDictionaries(list.map(LabelDictionaryInfo.init))
    }

    /// `recordDictionary` for several, with one fsync.
    public func recordDictionaries(_ list: [LabelDictionaryInfo]) throws {
        mutex.lock()
        defer { mutex.unlock() }
        var records: [LabelFileFormat.Record] = []
        var next = infos
        for info in list {
            guard !info.fingerprint.isEmpty else {
                throw SAEKitError(
                    .badInput, path: path, reason: "a dictionary without a fingerprint cannot be recorded", remedy: "report this as a bug")
            }
            var merged = next[info.fingerprint] ?? LabelDictionaryInfo(fingerprint: info.fingerprint)
            merged.name = info.name ?? merged.name
            merged.path = info.path ?? merged.path
            merged.architecture = info.architecture ?? merged.architecture
            if merged == next[info.fingerprint] { continue }
            next[info.fingerprint] = merged
            records.append(.dictionary(merged))
        }
        guard !records.isEmpty else { return }
        try append(records)
        infos = next
        compactIfWorthIt()
    }

    /// True when `fingerprint` matches no loaded dictionary: its labels must be shown as stale and
    /// never applied to another dictionary.
    public func isStale(_ fingerprint: String, knownFingerprints: Set<String>) -> Bool {
        !knownFingerprints.contains(fingerprint)
    }

    /// The fingerprints that have labels but match no loaded dictionary, with what is known of them.
    public func staleDictionaries(knownFingerprints: Set<String>) -> [StaleLabels] {
        mutex.lock()
        defer { mutex.unlock() }
        var counts: [String: Int] = [:]
        for rated in labels.all where !knownFingerprints.contains(rated.key.fingerprint) {
            counts[rated.key.fingerprint, default: 0] += 1
        }
        return counts.keys.sorted().map { fp in
            StaleLabels(info: infos[fp] ?? LabelDictionaryInfo(fingerprint: fp), labelCount: counts[fp] ?? 0)
        }
    }

    /// Loaded dictionaries whose NAME was used before for a different fingerprint that has labels:
    /// the weights changed (retrained, edited) and those labels do not apply. The UI should warn.
    public func nameClashes(loaded: [DictionaryDescriptor]) -> [DictionaryNameClash] {
        mutex.lock()
        defer { mutex.unlock() }
        var counts: [String: Int] = [:]
        for rated in labels.all { counts[rated.key.fingerprint, default: 0] += 1 }
        var out: [DictionaryNameClash] = []
        for d in loaded {
            for info in infos.values.sorted(by: { $0.fingerprint < $1.fingerprint })
            where info.name == d.name && info.fingerprint != d.fingerprint && (counts[info.fingerprint] ?? 0) > 0 {
                out.append(
                    DictionaryNameClash(
                        name: d.name, loadedFingerprint: d.fingerprint, labelledFingerprint: info.fingerprint,
                        labelledPath: info.path, labelCount: counts[info.fingerprint] ?? 0))
            }
        }
        return out
    }

    // MARK: Compaction

    /// Rewrites the file to one record per live dictionary and label (atomically).
    public func compact() throws {
        mutex.lock()
        defer { mutex.unlock() }
        try rewrite()
    }

    private func compactIfWorthIt() {
        guard appended > max(compactAfter, labels.count) else { return }
        // The change is already durable; a failed compaction only leaves a longer journal, and the
        // next append will try again. Say so once in `warnings`.
        do {
            try rewrite()
        } catch {
            let note = "\(error); compacting the labels file failed, saving still works and it will be retried"
            if !loadWarnings.contains(note) { loadWarnings.append(note) }
        }
    }

    private func rewrite() throws {
        guard !isReadOnly else { throw readOnlyError() }
        guard fileLock != nil else { throw closedError() }
        let data = try LabelFileFormat.snapshot(dictionaries: infos, labels: labels)
        try AtomicFile.write(path: filePath, chunks: [data], checkMappedInputs: false)
        fileVersion = labels.formatVersion
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        fd = try openForAppend()
        fileSize = data.count
        appended = 0
        needsRewrite = false
    }

    // MARK: Disk

    private func append(_ records: [LabelFileFormat.Record]) throws {
        guard !isReadOnly else { throw readOnlyError() }
        guard fileLock != nil, fd >= 0 else { throw closedError() }
        if needsRewrite { try rewrite() }
        try rewriteUnlessIntact()
        var data = Data()
        for (i, r) in records.enumerated() { data.append(try LabelFileFormat.encode(r, more: i < records.count - 1)) }
        let start = fileSize
        do {
            if let failure = data.withUnsafeBytes({ FullIO.write(fd, $0) }) {
                throw SAEKitError(
                    .ioFailure, path: path, reason: "cannot append to the labels file (\(failure.reason))",
                    remedy: "check free disk space; the change was not saved")
            }
            guard fsync(fd) == 0 else {
                let err = errno
                throw SAEKitError(
                    .ioFailure, path: path, reason: "fsync failed (\(String(cString: strerror(err))))",
                    remedy: "check the disk; the change may not be saved")
            }
        } catch {
            // Drop a partial record so the next append starts on a line boundary; if that fails,
            // rewrite the whole file from memory before the next append.
            if ftruncate(fd, off_t(start)) != 0 || fsync(fd) != 0 { needsRewrite = true }
            throw error
        }
        fileSize = start + data.count
        appended += records.count
    }

    /// Rewrites the journal from memory when the file at `filePath` is no longer the one this store
    /// appends to with the size it wrote (deleted, truncated, replaced, or written by someone else),
    /// and leaves a notice saying so.
    private func rewriteUnlessIntact() throws {
        var open = stat(), atPath = stat()
        let exists = stat(filePath, &atPath) == 0
        guard fstat(fd, &open) == 0 else { return }
        let same = exists && open.st_dev == atPath.st_dev && open.st_ino == atPath.st_ino
        if same && Int(open.st_size) == fileSize { return }
        let what =
            !exists
            ? "was deleted"
            : !same
                ? "was replaced by another file"
                : Int(open.st_size) < fileSize ? "was truncated" : "was written to by another program"
        try rewrite()
        let note =
            "the labels file \(what) while saex had it open; rewrote it from memory (\(labels.count) label\(labels.count == 1 ? "" : "s")) and saved the change"
        notices.append(TerminalText.escapedLine(note))
        loadWarnings.append(note)
    }

    private func openForAppend() throws -> Int32 {
        let f = open(filePath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard f >= 0 else {
            let err = errno
            throw SAEKitError(
                .ioFailure, path: path, reason: "cannot open the labels file for writing (\(String(cString: strerror(err))))",
                remedy: "check the file's permissions")
        }
        return f
    }

    private func load() throws {
        var st = stat()
        if stat(filePath, &st) != 0 {
            let err = errno
            guard err == ENOENT else { throw MappedFile.openError(path: path, errno: err) }
            if isReadOnly {
                throw SAEKitError(.notFound, path: path, reason: "no labels file", remedy: "check the path, or label a feature first")
            }
            try rewrite()
            return
        }
        var data = Data()
        // An empty regular file is read as nothing: Foundation's Data(contentsOf:) leaks its 4 KB
        // read buffer for a 0-byte file on Linux (found by the labels fuzz target's leak check).
        if (st.st_mode & S_IFMT) != S_IFREG || st.st_size > 0 {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: filePath))
            } catch {
                let mapped = try MappedFile(path: filePath)  // rethrows the precise one-line error
                data = Data(mapped.bytes)
            }
        }
        let parsed = try LabelFileFormat.parse(data, path: path)
        labels = parsed.labels
        fileVersion = parsed.version
        infos = parsed.dictionaries
        loadWarnings = parsed.warnings
        appended = parsed.recordCount - parsed.labels.count - parsed.dictionaries.count
        fileSize = parsed.goodLength
        if isReadOnly { return }
        removeOrphanedTemporaryFiles()
        if parsed.goodLength != data.count || data.isEmpty {
            try rewrite()  // drop the torn tail before anything is appended after it
        } else {
            fd = try openForAppend()
        }
    }

    /// Deletes temporary files a killed writer left mid-compaction (`AtomicFile` names them
    /// `.BASE.tmp-PID-N` beside the file). Safe because we hold the lock: no one else writes them.
    private func removeOrphanedTemporaryFiles() {
        let dir = (filePath as NSString).deletingLastPathComponent
        let prefix = "." + (filePath as NSString).lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (dir.isEmpty ? "" : dir + "/") + name)
        }
    }

    private func validate(_ key: FeatureKey) throws {
        guard !key.fingerprint.isEmpty, key.feature >= 0 else {
            throw SAEKitError(
                .badInput, path: path, subject: "feature \(key.feature)",
                reason: "invalid feature key (empty fingerprint or negative index)",
                remedy: "report this as a bug")
        }
    }

    private func readOnlyError() -> SAEKitError {
        SAEKitError(.badInput, path: path, reason: "opened read-only, cannot change labels", remedy: "open it without --read-only")
    }

    private func closedError() -> SAEKitError {
        SAEKitError(.ioFailure, path: path, reason: "the labels file was closed", remedy: "reopen it")
    }
}

/// `close(2)`, reachable from inside a type that has its own `close()`.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

/// Labels whose fingerprint matches no loaded dictionary.
public struct StaleLabels: Sendable, Equatable {
    /// What the file knows of the fingerprint (name, path, architecture may be nil).
    public var info: LabelDictionaryInfo
    public var labelCount: Int
}

/// A loaded dictionary whose name was used for different, labelled weights before.
public struct DictionaryNameClash: Sendable, Equatable {
    public var name: String
    public var loadedFingerprint: String
    /// The fingerprint the existing labels belong to.
    public var labelledFingerprint: String
    public var labelledPath: String?
    public var labelCount: Int

    /// One line for the UI: what happened and what to do.
    public var message: String {
        "dictionary \"\(name)\" has new weights (fingerprint \(loadedFingerprint), labels were made for \(labelledFingerprint)"
            + (labelledPath.map { " at \($0)" } ?? "")
            + "); its \(labelCount) labels are stale and not shown; load the old weights to see them"
    }
}

extension LabelFileFormat {
    struct Parsed {
        var labels = LabelSet()
        /// The header's version.
        var version = 1
        var dictionaries: [String: LabelDictionaryInfo] = [:]
        var warnings: [String] = []
        var recordCount = 0
        /// Bytes up to the end of the last good record.
        var goodLength = 0

        mutating func apply(_ record: Record) {
            switch record {
            case .dictionary(let info): dictionaries[info.fingerprint] = info
            case .set(let key, let label):
                if version == 1 { labels.clearAll(key) }
                labels.set(label, key: key, rater: label.author)
            case .clear(let key, let rater):
                if version == 1 { labels.clearAll(key) } else { labels.set(nil, key: key, rater: rater) }
            }
        }
    }

    /// A warning line, rendered like an error: the reason can quote the file (an unknown op), and
    /// control characters from it must not reach the terminal raw.
    static func warning(_ path: String, _ line: Int, _ reason: String) -> String {
        SAEKitError(.badInput, path: path, subject: "line \(line)", reason: reason, remedy: "that change was never confirmed").description
    }

    /// Parses a whole labels file. A bad or unterminated LAST line is ignored with a warning (a
    /// crash while appending); a bad line followed by more records is an error naming the line.
    static func parse(_ data: Data, path: String) throws -> Parsed {
        var out = Parsed()
        if data.isEmpty { return out }
        let bytes = [UInt8](data)
        var lines: [(start: Int, end: Int, terminated: Bool)] = []
        var s = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            lines.append((s, i, true))
            s = i + 1
        }
        if s < bytes.count { lines.append((s, bytes.count, false)) }
        guard let first = lines.first, first.terminated else {
            throw SAEKitError(
                .badInput, path: path, subject: "line 1", reason: "incomplete header",
                remedy: "restore the file from a backup or move it away")
        }
        out.version = try checkHeader(Data(bytes[first.start..<first.end]), path: path)
        out.goodLength = first.end + 1
        var index = 1
        var group: [Record] = []
        var groupLine = 0
        while index < lines.count {
            let line = lines[index]
            let isLast = index == lines.count - 1
            let body = bytes[line.start..<line.end]
            index += 1
            if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                if line.terminated, group.isEmpty { out.goodLength = line.end + 1 }
                continue
            }
            if !line.terminated {
                out.warnings.append(
                    warning(path, index, "ignored an incomplete last record (\(body.count) bytes), left by a crash while saving"))
                break
            }
            switch decode(Data(body)) {
            case .success(let decoded):
                // The records of one append apply together, once its last record (no `more`) is read.
                if group.isEmpty { groupLine = index }
                group.append(decoded.record)
                if decoded.more { continue }
                for record in group { out.apply(record) }
                out.recordCount += group.count
                group.removeAll()
                out.goodLength = line.end + 1
            case .failure(let e):
                if isLast {
                    out.warnings.append(warning(path, index, "ignored a damaged last record (\(e.reason)), left by a crash while saving"))
                } else {
                    throw SAEKitError(
                        .badInput, path: path, subject: "line \(index)", reason: e.reason,
                        remedy: "the file is damaged: fix or delete that line (keep a copy first)")
                }
            }
        }
        if !group.isEmpty {
            out.warnings.append(
                warning(
                    path, groupLine, "ignored the last \(group.count) records of a save that did not finish, left by a crash while saving"))
        }
        return out
    }
}
