import Foundation
import SAEKit

/// Target `labels` of `saex-fuzz`: the labels journal (`LabelStore` loading) and the
/// labels export parser (`LabelExport.decode`, what `saex labels import` reads).
///
/// Input layout: byte 0 even -> the rest is a labels file, written to /dev/shm and opened read-only;
/// byte 0 odd -> the rest is an export file.
/// - journal accepted: every warning is one clean line naming the file; the labels survive a
///   compaction (open read-write, `compact()`, reopen) unchanged, and compacting again writes the
///   same bytes;
/// - export accepted: it survives `jsonData()` and decoding again unchanged; `csv()` has one row per
///   label; merging it into an empty store accounts for every entry and stores what it says it added.
enum LabelsFuzz {
    static let folder = ScratchFolder("labels")

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let mode = bytes.first else { return "empty input" }
        let body = Data(bytes.dropFirst())
        return mode & 1 == 0 ? checkJournal(body) : checkExport(body)
    }

    static func checkJournal(_ body: Data) -> String {
        let f = folder
        let path = f.file("in.labels")
        f.write("in.labels", body)
        let store: LabelStore
        do {
            store = try LabelStore(path: path, readOnly: true)
        } catch {
            return Fuzz.checkRefusal(error, naming: path)
        }
        for w in store.warnings { checkLine(w, naming: path) }
        let labels = store.everyLabel, infos = store.dictionaries
        store.close()
        // A `set` with no fields loads as an empty label with default values (LabelStoreTests
        // versionOneFileWithMissingOptionalKeysTakesDefaults), so empty labels are allowed here.
        for rated in labels.all {
            precondition(!rated.key.fingerprint.isEmpty && rated.key.feature >= 0, "bad key \(rated.key)")
        }
        for (fp, info) in infos { precondition(fp == info.fingerprint && !fp.isEmpty, "dictionary keyed \(fp) is \(info.fingerprint)") }

        // Compaction keeps every label and dictionary; a second compaction writes the same bytes.
        let copy = f.file("rw.labels")
        f.write("rw.labels", body)
        let once: Data
        do {
            let rw = try LabelStore(path: copy)
            try rw.compact()
            rw.close()
            once = try Data(contentsOf: URL(fileURLWithPath: copy))
            let again = try LabelStore(path: copy)
            precondition(again.everyLabel == labels, "labels changed in compaction")
            precondition(again.dictionaries == infos, "dictionaries changed in compaction")
            try again.compact()
            again.close()
        } catch {
            preconditionFailure("an accepted labels file failed to compact: \(error)")
        }
        let twice = try? Data(contentsOf: URL(fileURLWithPath: copy))
        precondition(twice == once, "a second compaction wrote other bytes")
        return "journal accepted: \(labels.count) labels, \(infos.count) dictionaries, \(store.warnings.count) warnings"
    }

    static func checkExport(_ body: Data) -> String {
        let path = folder.file("export.json")
        let export: LabelExport
        do {
            export = try LabelExport.decode(body, path: path)
        } catch {
            return Fuzz.checkRefusal(error, naming: path)
        }
        // Written back and read again: the same export.
        do {
            let again = try LabelExport.decode(try export.jsonData(), path: path)
            precondition(again == export, "export changed in a write/read round trip")
        } catch {
            preconditionFailure("the written form of an accepted export was refused: \(error)")
        }
        let csv = export.csv()
        precondition(csv.hasPrefix(LabelExport.csvColumns.joined(separator: ",") + "\r\n"), "CSV header")

        // Merged into an empty store: every entry accounted for, the added ones stored as given.
        let f = folder
        let storePath = f.file("merge.labels")
        f.remove("merge.labels")
        do {
            let store = try LabelStore(path: storePath)
            defer { store.close() }
            let report: LabelImportReport
            do {
                report = try store.merge(export)
            } catch {
                // NUL in a label's text is refused by the store, naming the labels file.
                Fuzz.checkRefusal(error, naming: f.path)
                return "export accepted, merge refused"
            }
            precondition(
                report.added.count + report.identical + report.empty + report.conflicts.count == export.labels.count,
                "merge report does not account for every entry")
            let stored = store.everyLabel
            for key in report.added { precondition(!stored.labels(of: key).isEmpty, "merge reported \(key) added but did not store it") }
            // The first non-empty entry of a feature and rater is the one merge adds (the store was empty).
            var first: [String: (FeatureKey, FeatureLabel)] = [:]
            for e in export.labels where !e.label.isEmpty {
                let id = "\(e.fingerprint)\u{0}\(e.feature)\u{0}\(e.author)"
                if first[id] == nil { first[id] = (e.key, e.label) }
            }
            precondition(
                report.added.count == first.count, "merge added \(report.added.count) labels of \(first.count) features and raters")
            for (key, label) in first.values {
                precondition(
                    stored.label(key, by: label.author)?.sameContent(as: label) ?? false, "stored label differs from the imported one")
            }
            store.close()
            let reopened = try LabelStore(path: storePath, readOnly: true)
            precondition(reopened.everyLabel == stored, "merged labels changed on reopening")
            precondition(reopened.warnings.isEmpty, "warnings after a clean merge: \(reopened.warnings)")
        } catch {
            preconditionFailure("merging an accepted export into an empty store failed: \(error)")
        }
        return "export accepted: \(export.labels.count) labels"
    }

    static func checkLine(_ line: String, naming prefix: String) {
        precondition(!line.unicodeScalars.contains(where: Fuzz.isControl), "control character in warning: \(line)")
        precondition(line.hasPrefix(prefix), "warning does not name the file: \(line)")
    }
}
