import Foundation

/// One blind answer. It carries no dictionary identity.
public struct BlindAnswer: Sendable, Codable, Equatable {
    public var id: String
    public var rating: Rating
    public var verdict: Verdict?
    public var concept: String
    /// ISO-8601.
    public var answered: String

    public init(id: String, rating: Rating, verdict: Verdict? = nil, concept: String = "", answered: Date = Date()) {
        self.id = id
        self.rating = rating
        self.verdict = verdict
        self.concept = concept
        self.answered = LabelTime.format(answered)
    }

    enum CodingKeys: String, CodingKey { case id, rating, verdict, concept, answered }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        rating = try c.decode(Rating.self, forKey: .rating)
        verdict = try c.decodeIfPresent(Verdict.self, forKey: .verdict)
        concept = try c.decodeIfPresent(String.self, forKey: .concept) ?? ""
        answered = try c.decodeIfPresent(String.self, forKey: .answered) ?? ""
    }
}

/// A dictionary of a blind session as its key file records it.
public struct BlindSessionDictionary: Sendable, Codable, Equatable {
    public var name: String
    public var fingerprint: String
    public var featureCount: Int

    enum CodingKeys: String, CodingKey { case name, fingerprint, featureCount = "feature_count" }
}

/// A blind A/B rating session stored in a folder: which features to show, in which order, and the
/// answers so far (docs/LABELS.md, "Blind A/B").
///
/// Two files keep identity and answers apart: `blind-key.json` (written once: the seed, the two
/// dictionaries and item id -> dictionary, feature) and `blind-answers.json` (the blind order of
/// item ids and the answers, no dictionary identity; rewritten atomically after every answer).
/// The UI shows item `nextItem`, fetches its contexts through `target(of:)` (never display the
/// result), and calls `record`. Reopening continues at the first unanswered item. A folder is
/// locked (`blind.lock`) while a session is open.
public final class BlindSession: @unchecked Sendable {
    public static let keyFileName = "blind-key.json"
    public static let answersFileName = "blind-answers.json"
    static let keyFormat = "saex-blind-key"
    static let answersFormat = "saex-blind-answers"
    static let version = 1

    public let directory: String
    /// The two dictionaries, in the order given at creation (index 0 and 1 in the key).
    public let dictionaries: [BlindSessionDictionary]
    public let seed: UInt64
    /// Item ids in the order they are shown.
    public let order: [String]
    /// Who answers (recorded at creation; nil in sessions from before raters were recorded).
    public let rater: String?

    private let key: [String: BlindKeyItem]
    private let mutex = NSLock()
    private var answers: [String: BlindAnswer]
    private var lock: FileLock?

    struct KeyFile: Codable {
        var format: String
        var version: Int
        var saexVersion: String
        var created: String
        var seed: UInt64
        var perDictionary, strata: Int
        var dictionaries: [BlindSessionDictionary]
        var items: [BlindKeyItem]

        enum CodingKeys: String, CodingKey {
            case format, version, saexVersion = "saex_version", created, seed, perDictionary = "per_dictionary", strata, dictionaries, items
        }
    }

    struct FormatProbe: Decodable {
        var format: String?
        var version: Int?
    }

    struct AnswersFile: Codable {
        var format: String
        var version: Int
        var order: [String]
        var answers: [BlindAnswer]
        /// The rater; absent in older files.
        var rater: String?
    }

    /// Draws the sample (see `BlindSample.draw`) and creates the session files in `directory`,
    /// which must exist and not hold a session yet.
    public static func create(
        directory: String, dictionaries: [BlindDictionary], perDictionary: Int, seed: UInt64,
        strata: Int = 5, rater: String? = nil, now: Date = Date()
    ) throws -> BlindSession {
        let lock = try FileLock(lockPath: directory + "/blind.lock", resource: directory, what: "this blind session")
        let keyPath = directory + "/" + keyFileName
        if FileManager.default.fileExists(atPath: keyPath) {
            throw SAEKitError(
                .badInput, path: directory, reason: "already holds a blind session",
                remedy: "resume it, or choose another folder for a new one")
        }
        let items = try BlindSample.draw(dictionaries, perDictionary: perDictionary, seed: seed, strata: strata)
        let dicts = dictionaries.map { BlindSessionDictionary(name: $0.name, fingerprint: $0.fingerprint, featureCount: $0.featureCount) }
        let keyFile = KeyFile(
            format: keyFormat, version: version, saexVersion: SAEKitVersion.string, created: LabelTime.format(now), seed: seed,
            perDictionary: perDictionary, strata: strata, dictionaries: dicts, items: items)
        let answersFile = AnswersFile(format: answersFormat, version: version, order: items.map(\.id), answers: [], rater: rater)
        // Answers first: a crash between the two writes leaves no key file, so the folder is not a session.
        try AtomicFile.write(path: directory + "/" + answersFileName, chunks: [try encode(answersFile)])
        try AtomicFile.write(path: keyPath, chunks: [try encode(keyFile)])
        return BlindSession(directory: directory, key: keyFile, answers: [:], lock: lock, rater: rater)
    }

    /// Reopens the session in `directory`. `readOnly` (the report) takes no lock, so it works while
    /// the session is open elsewhere, and cannot record.
    public convenience init(directory: String, readOnly: Bool = false) throws {
        let lock = readOnly ? nil : try FileLock(lockPath: directory + "/blind.lock", resource: directory, what: "this blind session")
        let keyPath = directory + "/" + BlindSession.keyFileName
        let answersPath = directory + "/" + BlindSession.answersFileName
        let keyFile: KeyFile = try BlindSession.read(keyPath, format: BlindSession.keyFormat)
        let answersFile: AnswersFile = try BlindSession.read(answersPath, format: BlindSession.answersFormat)
        guard answersFile.order.sorted() == keyFile.items.map(\.id).sorted() else {
            throw SAEKitError(
                .badInput, path: answersPath, reason: "its items do not match \(BlindSession.keyFileName)",
                remedy: "restore both files from the same session")
        }
        let ids = Set(keyFile.items.map(\.id))
        var answers: [String: BlindAnswer] = [:]
        for a in answersFile.answers where ids.contains(a.id) { answers[a.id] = a }
        self.init(directory: directory, key: keyFile, answers: answers, lock: lock, order: answersFile.order, rater: answersFile.rater)
    }

    private init(directory: String, key: KeyFile, answers: [String: BlindAnswer], lock: FileLock?, order: [String]? = nil, rater: String?) {
        self.directory = directory
        self.rater = rater
        self.dictionaries = key.dictionaries
        self.seed = key.seed
        self.order = order ?? key.items.map(\.id)
        self.key = Dictionary(key.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.answers = answers
        self.lock = lock
    }

    /// Releases the folder lock. Idempotent.
    public func close() {
        mutex.lock()
        defer { mutex.unlock() }
        lock?.release()
        lock = nil
    }

    /// Answered and total items.
    public var progress: (answered: Int, total: Int) {
        mutex.lock()
        defer { mutex.unlock() }
        return (answers.count, order.count)
    }

    /// The first unanswered item in blind order (position is 0-based), nil when all are answered.
    public var nextItem: (position: Int, id: String)? {
        mutex.lock()
        defer { mutex.unlock() }
        guard let i = order.firstIndex(where: { answers[$0] == nil }) else { return nil }
        return (i, order[i])
    }

    /// Which dictionary (0 or 1) and feature an item is: for fetching its contexts only, never to display.
    public func target(of id: String) -> (dictionary: Int, feature: Int)? {
        key[id].map { ($0.dictionary, $0.feature) }
    }

    public func answer(for id: String) -> BlindAnswer? {
        mutex.lock()
        defer { mutex.unlock() }
        return answers[id]
    }

    /// Stores (or replaces) the answer to `answer.id`; on disk when it returns.
    public func record(_ answer: BlindAnswer) throws {
        mutex.lock()
        defer { mutex.unlock() }
        guard lock != nil else {
            throw SAEKitError(.ioFailure, path: directory, reason: "the blind session was closed or opened read-only", remedy: "reopen it")
        }
        guard key[answer.id] != nil else {
            throw SAEKitError(
                .badInput, path: directory, subject: answer.id, reason: "no such item in this session", remedy: "report this as a bug")
        }
        guard !answer.concept.utf8.contains(0) else {
            throw SAEKitError(
                .badInput, path: directory, subject: answer.id, reason: "the concept contains a NUL character", remedy: "remove it")
        }
        var next = answers
        next[answer.id] = answer
        let file = AnswersFile(
            format: BlindSession.answersFormat, version: BlindSession.version, order: order,
            answers: order.compactMap { next[$0] }, rater: rater)
        try AtomicFile.write(
            path: directory + "/" + BlindSession.answersFileName, chunks: [try BlindSession.encode(file)], checkMappedInputs: false)
        answers = next
    }

    /// True when every item is answered.
    public var isComplete: Bool {
        let p = progress
        return p.answered == p.total
    }

    /// The feature of every item (dictionary fingerprint and feature index), in blind order.
    public var features: [FeatureKey] {
        order.compactMap { id in key[id].flatMap { item in featureKey(item) } }
    }

    private func featureKey(_ item: BlindKeyItem) -> FeatureKey? {
        guard dictionaries.indices.contains(item.dictionary) else { return nil }
        return FeatureKey(fingerprint: dictionaries[item.dictionary].fingerprint, feature: item.feature)
    }

    /// The answers joined to their features as labels of `rater` with provenance `.blind`: the
    /// rating, verdict and concept, made and updated at the answer's time.
    public func answerLabels(rater: String) -> [RatedLabel] {
        mutex.lock()
        let snapshot = answers
        mutex.unlock()
        return order.compactMap { id in
            guard let item = key[id], let a = snapshot[id], let feature = featureKey(item) else { return nil }
            let time = LabelTime.parse(a.answered) ?? Date(timeIntervalSince1970: 0)
            return RatedLabel(
                key: feature,
                label: FeatureLabel(
                    verdict: a.verdict, concept: a.concept, rating: a.rating, author: rater,
                    created: time, updated: time, provenance: .blind))
        }
    }

    /// The statistics over the answered items (see `BlindReport`).
    public func report(bootstrapResamples: Int = 10_000, bootstrapSeed: UInt64? = nil) -> BlindReport {
        mutex.lock()
        let snapshot = answers
        mutex.unlock()
        var arms: [[BlindAnswer]] = [[], []]
        for id in order {
            guard let item = key[id], let a = snapshot[id], (0...1).contains(item.dictionary) else { continue }
            arms[item.dictionary].append(a)
        }
        return BlindReport(
            names: dictionaries.map(\.name), fingerprints: dictionaries.map(\.fingerprint),
            answersA: arms[0].map { ($0.rating, $0.verdict) }, answersB: arms[1].map { ($0.rating, $0.verdict) },
            total: order.count, bootstrapResamples: bootstrapResamples, bootstrapSeed: bootstrapSeed ?? seed)
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data { try PrettyJSON.document(value) }

    static func read<T: Decodable>(_ path: String, format: String) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            _ = try MappedFile(path: path)
            throw SAEKitError(.ioFailure, path: path, reason: "cannot read the file", remedy: "check its permissions")
        }
        guard let probe = try? JSONDecoder().decode(FormatProbe.self, from: data), probe.format == format else {
            throw SAEKitError(.badInput, path: path, reason: "not a saex blind session file", remedy: "give the folder of a blind session")
        }
        if let v = probe.version, v > version {
            throw SAEKitError(.unsupported, path: path, reason: "written by a newer saex (version \(v)); upgrade saex")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SAEKitError(.badInput, path: path, reason: "damaged blind session file", remedy: "restore it from a backup")
        }
    }
}
