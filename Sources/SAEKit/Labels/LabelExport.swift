import Foundation

/// The versioned JSON document `saex labels export` writes and `saex labels import` reads.
///
/// docs/LABELS.md describes every key and docs/labels.schema.json is its JSON Schema. Version 1
/// while no feature has labels by two raters, 2 once one has (an older saex refuses such a file
/// rather than reading two raters' labels as a conflict); missing optional keys take defaults when
/// reading, a newer version is refused with "written by a newer saex (version N); upgrade saex".
/// Times are ISO-8601 UTC with milliseconds.
public struct LabelExport: Codable, Sendable, Equatable {
    public static let formatName = "saex-labels-export"
    /// The newest version this saex reads and writes.
    public static let currentVersion = 2

    /// Always "saex-labels-export".
    public var format: String
    public var version: Int
    /// `SAEKitVersion.string` of the saex that wrote the file.
    public var saexVersion: String
    /// When the export was made (ISO-8601).
    public var exported: String
    /// Fingerprint of the context cache the statistics come from, when known.
    /// Written as null when unknown.
    @NullEncoded public var cacheFingerprint: String?
    public var dictionaries: [ExportedDictionary]
    /// Sorted by fingerprint, feature, then author.
    public var labels: [ExportedLabel]

    /// `version` defaults to the lowest that holds `labels` (2 when a feature has two raters).
    public init(
        saexVersion: String = SAEKitVersion.string, exported: String, cacheFingerprint: String?,
        dictionaries: [ExportedDictionary], labels: [ExportedLabel], version: Int? = nil
    ) {
        self.format = LabelExport.formatName
        var raters: [FeatureKey: String] = [:]
        var shared = false
        for l in labels {
            if let other = raters.updateValue(l.author, forKey: l.key), other != l.author { shared = true }
        }
        self.version = version ?? (shared ? 2 : 1)
        self.saexVersion = saexVersion
        self.exported = exported
        self.cacheFingerprint = cacheFingerprint
        self.dictionaries = dictionaries
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey {
        case format, version, saexVersion = "saex_version", exported, cacheFingerprint = "cache_fingerprint", dictionaries, labels
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(String.self, forKey: .format) ?? LabelExport.formatName
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? LabelExport.currentVersion
        saexVersion = try c.decodeIfPresent(String.self, forKey: .saexVersion) ?? ""
        exported = try c.decodeIfPresent(String.self, forKey: .exported) ?? ""
        cacheFingerprint = try c.decodeIfPresent(String.self, forKey: .cacheFingerprint)
        dictionaries = try c.decodeIfPresent([ExportedDictionary].self, forKey: .dictionaries) ?? []
        labels = try c.decodeIfPresent([ExportedLabel].self, forKey: .labels) ?? []
    }

    /// Pretty-printed UTF-8 JSON with sorted keys, ending in a newline.
    public func jsonData() throws -> Data {
        try PrettyJSON.document(self)
    }

    /// Reads an export file; `path` names it in errors.
    public static func read(path: String) throws -> LabelExport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            _ = try MappedFile(path: path)  // the precise one-line error for missing/unreadable files
            throw SAEKitError(.ioFailure, path: path, reason: "cannot read the file", remedy: "check its permissions")
        }
        return try decode(data, path: path)
    }

    /// Decodes and validates an export; every error names `path` and, for a bad label, its index.
    /// Plain words for a decoding failure, instead of Swift's "Expected to decode Array<Any> ...".
    static func describeDecoding(_ error: Error, _ ctx: DecodingError.Context) -> String {
        func kind(_ t: Any.Type) -> String {
            switch t {
            case is String.Type: return "a string"
            case is Int.Type, is Double.Type, is Float.Type: return "a number"
            case is Bool.Type: return "true or false"
            default:
                let name = String(describing: t)
                if name.hasPrefix("Array") { return "an array" }
                if name.hasPrefix("Dictionary") { return "an object" }
                return "a value of another type"
            }
        }
        switch error {
        case DecodingError.typeMismatch(let t, _): return "is not \(kind(t))"
        case DecodingError.valueNotFound(let t, _): return "is null, expected \(kind(t))"
        case DecodingError.keyNotFound(let k, _): return "lacks the key \"\(k.stringValue)\""
        default: return "is not valid here"
        }
    }

    /// Feature numbers that are numbers but not whole (1.5, 1e400): Foundation's decoder rejects
    /// them without naming the field, so they are checked first, by the one JSON number rule.
    static func checkWholeNumbers(_ top: JSONFields, path: String) throws {
        guard let labels = top.dict["labels"] as? [Any] else { return }
        for (i, entry) in labels.enumerated() {
            guard let v = (entry as? [String: Any])?["feature"], let d = JSONNumber.double(v),
                JSONNumber.integer(v, acceptFloatForm: false) == nil
            else { continue }
            throw SAEKitError(
                .badInput, path: path, subject: "labels.\(i).feature", reason: "is not a whole number (\(d))",
                remedy: "fix the file or export it again")
        }
    }

    public static func decode(_ data: Data, path: String) throws -> LabelExport {
        struct Probe: Decodable { var format: String?; var version: Int? }
        // Not JSON, not an object, nested too deeply, NaN: JSONFields says which.
        let top = try JSONFields.parse(data, path: path, location: "", remedy: "give a file written by saex labels export")
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw SAEKitError(
                .badInput, path: path, reason: "its format or version is not a string and a number",
                remedy: "give a file written by saex labels export")
        }
        try checkWholeNumbers(top, path: path)
        guard probe.format == nil || probe.format == formatName else {
            throw SAEKitError(
                .badInput, path: path, reason: "not a saex labels export (format \"\(probe.format ?? "")\")",
                remedy: "give a file written by saex labels export")
        }
        if let v = probe.version, v > currentVersion {
            throw SAEKitError(.unsupported, path: path, reason: "written by a newer saex (version \(v)); upgrade saex")
        }
        let export: LabelExport
        do {
            export = try JSONDecoder().decode(LabelExport.self, from: data)
        } catch let e as DecodingError {
            let ctx: DecodingError.Context
            switch e {
            case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c): ctx = c
            @unknown default:
                throw SAEKitError(.badInput, path: path, reason: "cannot decode the export", remedy: "fix the file or export it again")
            }
            let where_ = ctx.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            throw SAEKitError(
                .badInput, path: path, subject: where_.isEmpty ? nil : where_, reason: describeDecoding(e, ctx),
                remedy: "fix the file or export it again")
        } catch {
            throw SAEKitError(.badInput, path: path, reason: "cannot decode the export", remedy: "fix the file or export it again")
        }
        for (i, entry) in export.labels.enumerated() {
            guard !entry.fingerprint.isEmpty, entry.feature >= 0 else {
                throw SAEKitError(
                    .badInput, path: path, subject: "labels.\(i)", reason: "missing fingerprint or negative feature",
                    remedy: "fix the file or export it again")
            }
            guard LabelTime.parse(entry.created) != nil, LabelTime.parse(entry.updated) != nil else {
                throw SAEKitError(
                    .badInput, path: path, subject: "labels.\(i)", reason: "created/updated is not an ISO-8601 time",
                    remedy: "write times like 2024-05-01T12:34:56.789Z")
            }
        }
        return export
    }
}

/// Provenance of one dictionary in an export.
public struct ExportedDictionary: Codable, Sendable, Equatable {
    @NullEncoded public var name: String?
    @NullEncoded public var path: String?
    @NullEncoded public var architecture: String?
    public var fingerprint: String

    public init(name: String?, path: String?, architecture: String?, fingerprint: String) {
        self.name = name
        self.path = path
        self.architecture = architecture
        self.fingerprint = fingerprint
    }
}

/// One label in an export, with where it came from and the feature's statistics when exported.
public struct ExportedLabel: Codable, Sendable, Equatable {
    /// Name of the dictionary the fingerprint belongs to, when known.
    @NullEncoded public var dictionary: String?
    public var fingerprint: String
    public var feature: Int
    @NullEncoded public var verdict: Verdict?
    public var concept: String
    public var notes: String
    @NullEncoded public var rating: Rating?
    public var author: String
    /// ISO-8601.
    public var created: String
    /// ISO-8601.
    public var updated: String
    /// "manual" or "blind" (from a blind session's answer).
    public var provenance: LabelProvenance
    /// The feature's statistics at export time; nil when the caller had none (stale labels).
    @NullEncoded public var stats: ExportedStats?

    public init(dictionary: String?, key: FeatureKey, label: FeatureLabel, stats: ExportedStats?) {
        self.dictionary = dictionary
        self.fingerprint = key.fingerprint
        self.feature = key.feature
        self.verdict = label.verdict
        self.concept = label.concept
        self.notes = label.notes
        self.rating = label.rating
        self.author = label.author
        self.created = LabelTime.format(label.created)
        self.updated = LabelTime.format(label.updated)
        self.provenance = label.provenance
        self.stats = stats
    }

    public var key: FeatureKey { FeatureKey(fingerprint: fingerprint, feature: feature) }

    /// The label this entry describes (times parsed; an unparsable time becomes 1970, but
    /// `LabelExport.decode` rejects those).
    public var label: FeatureLabel {
        let epoch = Date(timeIntervalSince1970: 0)
        return FeatureLabel(
            verdict: verdict, concept: concept, notes: notes, rating: rating, author: author,
            created: LabelTime.parse(created) ?? epoch, updated: LabelTime.parse(updated) ?? epoch, provenance: provenance)
    }

    enum CodingKeys: String, CodingKey {
        case dictionary, fingerprint, feature, verdict, concept, notes, rating, author, created, updated, provenance, stats
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dictionary = try c.decodeIfPresent(String.self, forKey: .dictionary)
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        feature = try c.decode(Int.self, forKey: .feature)
        verdict = try c.decodeIfPresent(Verdict.self, forKey: .verdict)
        concept = try c.decodeIfPresent(String.self, forKey: .concept) ?? ""
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? ""
        rating = try c.decodeIfPresent(Rating.self, forKey: .rating)
        author = try c.decodeIfPresent(String.self, forKey: .author) ?? ""
        let created = try c.decodeIfPresent(String.self, forKey: .created)
        let updated = try c.decodeIfPresent(String.self, forKey: .updated)
        self.created = created ?? updated ?? "1970-01-01T00:00:00.000Z"
        self.updated = updated ?? created ?? "1970-01-01T00:00:00.000Z"
        provenance = try c.decodeIfPresent(LabelProvenance.self, forKey: .provenance) ?? .manual
        stats = try c.decodeIfPresent(ExportedStats.self, forKey: .stats)
    }
}

/// The statistics snapshot in an export: what the explorer showed for the feature. nil values mean
/// "unavailable", never zero; docs/LABELS.md defines each field.
public struct ExportedStats: Codable, Sendable, Equatable {
    @NullEncoded public var alpha: Double?
    @NullEncoded public var elasticity: Double?
    @NullEncoded public var normPearson: Double?
    @NullEncoded public var normSpearman: Double?
    @NullEncoded public var normPearsonActive: Double?
    @NullEncoded public var normSpearmanActive: Double?
    @NullEncoded public var normAUC: Double?
    @NullEncoded public var topNormMass: Double?
    public var density: Double
    @NullEncoded public var normDetectorHint: Bool?
    /// The best match in each other dictionary, by decoder cosine and by activation correlation.
    public var matches: [BestMatch]

    public init(
        alpha: Double?, elasticity: Double?, normPearson: Double?, normSpearman: Double?, density: Double,
        normPearsonActive: Double? = nil, normSpearmanActive: Double? = nil, normAUC: Double? = nil, topNormMass: Double? = nil,
        normDetectorHint: Bool? = nil, matches: [BestMatch] = []
    ) {
        self.alpha = alpha
        self.elasticity = elasticity
        self.normPearson = normPearson
        self.normSpearman = normSpearman
        self.density = density
        self.normPearsonActive = normPearsonActive
        self.normSpearmanActive = normSpearmanActive
        self.normAUC = normAUC
        self.topNormMass = topNormMass
        self.normDetectorHint = normDetectorHint
        self.matches = matches
    }

    /// Floats are widened through their shortest decimal text, so 0.1f exports as 0.1.
    public init(_ s: FeatureStats, matches: [BestMatch] = []) {
        func wide(_ f: Float?) -> Double? {
            guard let f, f.isFinite else { return nil }
            return Double(f.description) ?? Double(f)
        }
        self.init(
            alpha: wide(s.alpha), elasticity: wide(s.elasticity), normPearson: wide(s.normPearson),
            normSpearman: wide(s.normSpearman), density: s.density.isFinite ? s.density : 0,
            normPearsonActive: wide(s.normPearsonActive), normSpearmanActive: wide(s.normSpearmanActive), normAUC: wide(s.normAUC),
            topNormMass: wide(s.topNormMass), normDetectorHint: s.normDetectorHint, matches: matches)
    }

    enum CodingKeys: String, CodingKey {
        case alpha, elasticity, normPearson = "norm_pearson", normSpearman = "norm_spearman", density
        case normPearsonActive = "norm_pearson_active", normSpearmanActive = "norm_spearman_active", normAUC = "norm_auc"
        case topNormMass = "top_norm_mass", normDetectorHint = "norm_detector_hint", matches
    }

    /// Exports of older saex versions lack the later fields: they read as unknown.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha)
        elasticity = try c.decodeIfPresent(Double.self, forKey: .elasticity)
        normPearson = try c.decodeIfPresent(Double.self, forKey: .normPearson)
        normSpearman = try c.decodeIfPresent(Double.self, forKey: .normSpearman)
        density = try c.decodeIfPresent(Double.self, forKey: .density) ?? 0
        normPearsonActive = try c.decodeIfPresent(Double.self, forKey: .normPearsonActive)
        normSpearmanActive = try c.decodeIfPresent(Double.self, forKey: .normSpearmanActive)
        normAUC = try c.decodeIfPresent(Double.self, forKey: .normAUC)
        topNormMass = try c.decodeIfPresent(Double.self, forKey: .topNormMass)
        normDetectorHint = try c.decodeIfPresent(Bool.self, forKey: .normDetectorHint)
        matches = try c.decodeIfPresent([BestMatch].self, forKey: .matches) ?? []
    }
}

extension LabelStore {
    /// Builds an export of the stored labels of every rater (all, or those of `fingerprints`).
    ///
    /// - Parameters:
    ///   - dictionaries: the loaded dictionaries; their name/path/architecture win over what the
    ///     labels file remembers. Fingerprints that have labels but are not loaded are exported with
    ///     what the file knows (their labels are stale and have no statistics unless `stats` gives some).
    ///   - cacheFingerprint: fingerprint of the context cache, when one is open.
    ///   - stats: the statistics of a feature, or nil when unavailable.
    public func makeExport(
        dictionaries: [DictionaryDescriptor], cacheFingerprint: String?,
        stats: (FeatureKey) -> ExportedStats?, fingerprints: Set<String>? = nil,
        exportedAt: Date = Date()
    ) -> LabelExport {
        var infos = self.dictionaries
        for d in dictionaries { infos[d.fingerprint] = LabelDictionaryInfo(d) }
        let chosen = everyLabel.all.filter { fingerprints?.contains($0.key.fingerprint) ?? true }
        let usedFingerprints = Set(chosen.map(\.key.fingerprint)).union(dictionaries.map(\.fingerprint))
            .filter { fingerprints?.contains($0) ?? true }
        let dicts = usedFingerprints.sorted().map { fp in
            let i = infos[fp]
            return ExportedDictionary(name: i?.name, path: i?.path, architecture: i?.architecture, fingerprint: fp)
        }
        var statsCache: [FeatureKey: ExportedStats?] = [:]
        let entries = chosen.map { rated -> ExportedLabel in
            if statsCache[rated.key] == nil { statsCache[rated.key] = .some(stats(rated.key)) }
            return ExportedLabel(
                dictionary: infos[rated.key.fingerprint]?.name, key: rated.key, label: rated.label,
                stats: statsCache[rated.key] ?? nil)
        }
        return LabelExport(exported: LabelTime.format(exportedAt), cacheFingerprint: cacheFingerprint, dictionaries: dicts, labels: entries)
    }
}
