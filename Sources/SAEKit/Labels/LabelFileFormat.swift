import Foundation

/// What a labels file records about a dictionary, so an export can say where a label came from.
public struct LabelDictionaryInfo: Sendable, Codable, Equatable {
    /// Hex fingerprint of the weights; the key of the labels.
    public var fingerprint: String
    /// The name given with `--dict NAME=PATH`, when known.
    public var name: String?
    /// Where the dictionary was loaded from, when known.
    public var path: String?
    /// "jumprelu", "topk", "cosine", ... when known.
    public var architecture: String?

    public init(fingerprint: String, name: String? = nil, path: String? = nil, architecture: String? = nil) {
        self.fingerprint = fingerprint
        self.name = name
        self.path = path
        self.architecture = architecture
    }

    public init(_ d: DictionaryDescriptor) {
        self.init(fingerprint: d.fingerprint, name: d.name, path: d.path, architecture: d.architecture)
    }
}

/// The labels file grammar, versions 1 and 2 (docs/LABELS.md): JSON Lines, first a header, then records.
///
/// The header is `{"format":"saex-labels","version":N}`. Every later line is one record with an
/// `op`: `dictionary` (provenance of a fingerprint), `set` (the whole label of one feature by one
/// rater, its `author`) or `clear`. Replaying the records in order gives the store's state; a
/// compacted file holds one record per live dictionary and label. Missing optional keys take
/// defaults; unknown keys are ignored, so later saex versions may add keys without raising the
/// version.
///
/// Version 1 holds one label per feature: a `set` replaces the feature's label whoever wrote it and
/// a `clear` removes it. Version 2 keys labels by feature and rater: a `set` replaces that rater's
/// label and a `clear` removes the label of its `author` ("" when absent). saex writes version 1
/// while no feature has labels by two raters, so an older saex reads such a file exactly, and
/// version 2 (which an older saex refuses as "written by a newer saex") once one has.
enum LabelFileFormat {
    static let formatName = "saex-labels"
    /// The newest version this saex reads and writes.
    static let version = 2

    struct Header: Codable {
        var format: String?
        var version: Int?
    }

    /// One record line. All fields optional on disk; `validate` enforces what each op needs.
    struct Line: Codable {
        var op: String?
        var fingerprint: String?
        var feature: Int?
        var name: String?
        var path: String?
        var architecture: String?
        var verdict: Verdict?
        var concept: String?
        var notes: String?
        var rating: Rating?
        var author: String?
        var created: String?
        var updated: String?
        /// "blind" for a label from a blind session; absent for one made by hand.
        var provenance: String?
        /// true on every record of one append but its last: the records of one append take effect
        /// together or not at all (an older saex ignores the key and replays them one by one).
        var more: Bool?
    }

    enum Record: Equatable {
        case dictionary(LabelDictionaryInfo)
        /// The label of its author (the rater).
        case set(FeatureKey, FeatureLabel)
        /// The label of `rater`; in a version-1 file, the feature's only label.
        case clear(FeatureKey, rater: String)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func headerLine(version: Int) throws -> Data {
        var d = try encoder.encode(Header(format: formatName, version: version))
        d.append(0x0A)
        return d
    }

    /// One record line; `more` marks a record that the next one completes (see `Line.more`).
    static func encode(_ record: Record, more: Bool = false) throws -> Data {
        var line: Line
        switch record {
        case .dictionary(let info):
            line = Line(op: "dictionary", fingerprint: info.fingerprint, name: info.name, path: info.path, architecture: info.architecture)
        case .set(let key, let label):
            line = Line(
                op: "set", fingerprint: key.fingerprint, feature: key.feature, verdict: label.verdict, concept: label.concept,
                notes: label.notes, rating: label.rating, author: label.author, created: LabelTime.format(label.created),
                updated: LabelTime.format(label.updated), provenance: label.provenance == .manual ? nil : label.provenance.rawValue)
        case .clear(let key, let rater):
            line = Line(op: "clear", fingerprint: key.fingerprint, feature: key.feature, author: rater)
        }
        line.more = more ? true : nil
        var d = try encoder.encode(line)
        d.append(0x0A)
        return d
    }

    /// The whole file for `state`: the header of the lowest version that holds it, one `dictionary`
    /// record per fingerprint and one `set` per label, sorted.
    static func snapshot(dictionaries: [String: LabelDictionaryInfo], labels: LabelSet) throws -> Data {
        var data = try headerLine(version: labels.formatVersion)
        for fp in dictionaries.keys.sorted() {
            if let info = dictionaries[fp] { data.append(try encode(.dictionary(info))) }
        }
        for rated in labels.all { data.append(try encode(.set(rated.key, rated.label))) }
        return data
    }

    /// Checks the header line and returns its version; a newer version is refused with the
    /// documented message.
    @discardableResult
    static func checkHeader(_ bytes: Data, path: String) throws -> Int {
        guard let header = try? JSONDecoder().decode(Header.self, from: bytes), header.format == formatName else {
            throw SAEKitError(
                .badInput, path: path, subject: "line 1", reason: "not a saex labels file (no {\"format\":\"saex-labels\"} header)",
                remedy: "give the path of a labels file, or move this file away")
        }
        let v = header.version ?? version
        if v > version {
            throw SAEKitError(.unsupported, path: path, reason: "written by a newer saex (version \(v)); upgrade saex")
        }
        if v < 1 {
            throw SAEKitError(
                .badInput, path: path, subject: "line 1", reason: "invalid version \(v)", remedy: "restore the file from a backup")
        }
        return v
    }

    /// Decodes one record line and whether the next record belongs to the same append; a reason
    /// when it is not a valid record.
    static func decode(_ bytes: Data) -> Result<(record: Record, more: Bool), LineError> {
        let line: Line
        do {
            line = try JSONDecoder().decode(Line.self, from: bytes)
        } catch {
            return .failure(LineError(reason: "not a valid JSON record"))
        }
        return record(line).map { ($0, line.more == true) }
    }

    private static func record(_ line: Line) -> Result<Record, LineError> {
        guard let op = line.op else { return .failure(LineError(reason: "record without \"op\"")) }
        guard let fp = line.fingerprint, !fp.isEmpty else { return .failure(LineError(reason: "record without \"fingerprint\"")) }
        switch op {
        case "dictionary":
            return .success(
                .dictionary(LabelDictionaryInfo(fingerprint: fp, name: line.name, path: line.path, architecture: line.architecture)))
        case "set", "clear":
            guard let feature = line.feature, feature >= 0 else { return .failure(LineError(reason: "record without a valid \"feature\"")) }
            let key = FeatureKey(fingerprint: fp, feature: feature)
            if op == "clear" { return .success(.clear(key, rater: line.author ?? "")) }
            var provenance = LabelProvenance.manual
            if let p = line.provenance {
                guard let known = LabelProvenance(rawValue: p) else {
                    return .failure(LineError(reason: "unknown \"provenance\" \"\(p)\""))
                }
                provenance = known
            }
            var created = line.created.flatMap(LabelTime.parse)
            var updated = line.updated.flatMap(LabelTime.parse)
            if line.created != nil, created == nil { return .failure(LineError(reason: "\"created\" is not an ISO-8601 time")) }
            if line.updated != nil, updated == nil { return .failure(LineError(reason: "\"updated\" is not an ISO-8601 time")) }
            created = created ?? updated
            updated = updated ?? created
            let epoch = Date(timeIntervalSince1970: 0)
            let label = FeatureLabel(
                verdict: line.verdict, concept: line.concept ?? "", notes: line.notes ?? "", rating: line.rating,
                author: line.author ?? "", created: created ?? epoch, updated: updated ?? epoch,
                provenance: provenance)
            return .success(.set(key, label))
        default:
            return .failure(LineError(reason: "unknown op \"\(op)\""))
        }
    }

    struct LineError: Error {
        var reason: String
    }
}

extension FeatureLabel {
    /// The label as a labels file stores and reads it back: times on whole milliseconds.
    var canonical: FeatureLabel {
        var l = self
        l.created = LabelTime.canonical(created)
        l.updated = LabelTime.canonical(updated)
        return l
    }

    /// Equal verdict, concept, notes, rating and author (times and provenance ignored).
    public func sameContent(as other: FeatureLabel) -> Bool {
        verdict == other.verdict && concept == other.concept && notes == other.notes && rating == other.rating && author == other.author
    }

    /// The first text field that contains NUL, if any (labels are NUL-free text).
    var fieldWithNUL: String? {
        if concept.utf8.contains(0) { return "concept" }
        if notes.utf8.contains(0) { return "notes" }
        if author.utf8.contains(0) { return "author" }
        return nil
    }
}
