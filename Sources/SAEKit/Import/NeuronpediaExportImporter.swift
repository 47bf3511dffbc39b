import Foundation

/// Reads a Neuronpedia bulk export: `<model>/<source>/{features,activations,explanations}/batch-N.jsonl[.gz]`.
///
/// Each line is one database row. Rows are joined to features by (`modelId`, `layer`, `index`), not
/// by batch number: the exporter pages features and explanations by `ORDER BY index` on the text
/// column (so `features/batch-0` holds "0", "1", "10", "100", ...) while activation batch N holds
/// the numeric range N*1024 ..< (N+1)*1024. Given the source folder, every batch is read; given
/// one batch file, its features are joined with the matching rows of the sibling folders.
///
/// Files are streamed line by line. Opening keeps only per-feature summaries; `contexts` re-reads
/// the activation batch that holds a feature and keeps the last batch read in memory.
public enum NeuronpediaExportImporter {
    static let remedy = "check that this is a Neuronpedia bulk export (features/, activations/, explanations/ with batch-N.jsonl.gz)"
    static let roles = ["features", "activations", "explanations"]

    /// Whether `name` is a bulk-export batch file name.
    static func isBatchName(_ name: String) -> Bool {
        name.hasPrefix("batch-") && (name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz"))
    }

    /// Batch files of `folder`, in batch order; empty when the folder is absent.
    static func batches(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter(isBatchName).sorted { NeuronpediaImporter.naturalLess($0, $1) }.map {
            (folder as NSString).appendingPathComponent($0)
        }
    }

    /// Whether `folder` looks like an export source folder.
    static func isSourceFolder(_ folder: String) -> Bool {
        roles.contains { !batches(in: (folder as NSString).appendingPathComponent($0)).isEmpty }
    }

    /// Opens a source folder or one batch file inside it.
    public static func open(path: String, name: String? = nil) throws -> ImportedFeatureSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SAEKitError(.notFound, path: path, reason: "no such file or folder", remedy: "check the path")
        }
        let sourceDir: String
        var selectedFile: String?
        var selectedRole: String?
        if isDir.boolValue {
            sourceDir = path
        } else {
            let parent = (path as NSString).deletingLastPathComponent
            let role = (parent as NSString).lastPathComponent
            guard roles.contains(role) else {
                throw SAEKitError(
                    .badInput, path: path, reason: "a bulk-export batch must sit in a features/, activations/ or explanations/ folder",
                    remedy: "give the source folder, or keep the export's layout")
            }
            sourceDir = (parent as NSString).deletingLastPathComponent
            selectedFile = path
            selectedRole = role
        }
        var files: [String: [String]] = [:]
        for r in roles { files[r] = batches(in: (sourceDir as NSString).appendingPathComponent(r)) }
        if let selectedFile, let selectedRole { files[selectedRole] = [selectedFile] }
        guard roles.contains(where: { !(files[$0] ?? []).isEmpty }) else {
            throw SAEKitError(
                .badInput, path: path, reason: "has no features/, activations/ or explanations/ batch-N.jsonl(.gz) files", remedy: remedy)
        }

        var scan = Scan()
        // With one batch file given, only its features are wanted.
        if let selectedFile, let selectedRole {
            var wanted: Set<Int> = []
            try eachRow(selectedFile) { o in
                wanted.insert(try o.requireIndex("index"))
            }
            scan.wanted = wanted
            if selectedRole != "features" { files["features"] = batches(in: (sourceDir as NSString).appendingPathComponent("features")) }
        }
        for f in files["features"] ?? [] { try scan.features(f) }
        for f in files["explanations"] ?? [] { try scan.explanations(f) }
        let activationFiles = files["activations"] ?? []
        for (i, f) in activationFiles.enumerated() { try scan.activations(f, fileNumber: i) }

        var indices = Set(scan.featureRows.keys)
        if indices.isEmpty { indices = Set(scan.summaries.keys).union(scan.explanations.keys) }
        if let wanted = scan.wanted { indices.formIntersection(wanted) }
        var features: [Int: ImportedFeature] = [:]
        let tokens = ImportedTokens(byteLevel: scan.evidence.isByteLevel)
        for i in indices {
            let row = scan.featureRows[i]
            let sum = scan.summaries[i] ?? Summary()
            let top = sum.top.sorted { ($0.value, -$0.ordinal) > ($1.value, -$1.ordinal) }
            var maxValue = Float(row?.maxActApprox ?? 0)
            if maxValue <= 0 { maxValue = sum.best }
            let density = row?.fracNonzero ?? 0
            let stats = FeatureStats(
                feature: i, density: density, maxActivation: maxValue, meanActivation: 0,
                dead: density == 0 && maxValue <= 0 && sum.count == 0,
                topTokens: top.prefix(5).map { tokens.row($0.tokens)[$0.peak] })
            features[i] = ImportedFeature(
                stats: stats, explanations: scan.explanations[i] ?? [],
                logits: tokens.logits(scan.logits[i] ?? nil))
        }
        let (model, source) = scan.sourceKey ?? (nil, nil)
        let allFiles = roles.flatMap { files[$0] ?? [] }
        let root = sourceDir.hasSuffix("/") ? sourceDir : sourceDir + "/"
        let kind = selectedFile == nil ? "neuronpedia-bulk-export" : "neuronpedia-bulk-export-batch"
        let descriptor = DictionaryDescriptor(
            name: name ?? NeuronpediaImporter.defaultName(model, source), score: .unknown, architecture: "unknown",
            dIn: 0, featureCount: (features.keys.max() ?? -1) + 1,
            fingerprint: try ImportFingerprint.of(kind: kind, root: root, files: allFiles), path: path, hasNorms: false)
        let loader = ExportContexts(files: activationFiles, fileNumbers: scan.summaries.mapValues(\.files))
        return ImportedFeatureSource(kind: kind, descriptor: descriptor, features: features, loader: loader, tokens: tokens)
    }

    /// Calls `body` with each non-blank line of `path` as a JSON object.
    static func eachRow(_ path: String, _ body: (JSONFields) throws -> Void) throws {
        let reader = try LineReader(path: path)
        var any = false
        while let line = try reader.nextLine() {
            any = true
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            try body(try JSONFields.parse(line, path: path, location: "line \(reader.lineNumber)", remedy: remedy))
        }
        if !any { throw SAEKitError(.badInput, path: path, reason: "is empty", remedy: remedy) }
    }

    struct FeatureRow {
        var fracNonzero: Double?
        var maxActApprox: Double?
    }

    struct TopEntry {
        var value: Float
        var ordinal: Int
        /// The row's tokens as stored and the peak's index (decoded once the whole export is seen).
        var tokens: [String]
        var peak: Int
    }

    struct Summary {
        var count = 0
        var best: Float = 0
        /// The five best top examples so far.
        var top: [TopEntry] = []
        /// Activation batch numbers holding rows of this feature.
        var files: [Int] = []
    }

    struct Scan {
        var wanted: Set<Int>?
        var featureRows: [Int: FeatureRow] = [:]
        var explanations: [Int: [String]] = [:]
        var summaries: [Int: Summary] = [:]
        /// Each feature row's logit tables as stored (nil: the row has none).
        var logits: [Int: LogitEffects?] = [:]
        /// Whether the export's token strings are byte-level BPE, weighed over every row read.
        var evidence = ByteLevelText.Evidence()
        var sourceKey: (String?, String?)?
        var sourceFile = ""

        /// Checks that every row belongs to the same (modelId, layer).
        mutating func checkSource(_ o: JSONFields) throws {
            let key = (try o.optionalStringOrNumber("modelId"), try o.optionalStringOrNumber("layer"))
            guard let have = sourceKey else {
                sourceKey = key
                sourceFile = (o.path as NSString).lastPathComponent
                return
            }
            if have.0 != key.0 || have.1 != key.1 {
                throw o.error(
                    have.0 != key.0 ? "modelId" : "layer",
                    "row belongs to \(NeuronpediaImporter.defaultName(key.0, key.1)), but \(sourceFile) belongs to \(NeuronpediaImporter.defaultName(have.0, have.1))"
                )
            }
        }

        func isWanted(_ i: Int) -> Bool { wanted?.contains(i) ?? true }

        mutating func features(_ path: String) throws {
            try eachRow(path) { o in
                let i = try o.requireIndex("index")
                guard isWanted(i) else { return }
                try checkSource(o)
                guard featureRows[i] == nil else { throw o.error("index", "feature \(i) appears twice") }
                featureRows[i] = FeatureRow(
                    fracNonzero: try o.optionalNumber("frac_nonzero"), maxActApprox: try o.optionalNumber("maxActApprox"))
                let l = try LogitEffects.parse(o)
                for t in (l?.positive ?? []) + (l?.negative ?? []) { evidence.add(row: [t.token]) }
                logits[i] = l
            }
        }

        mutating func explanations(_ path: String) throws {
            try eachRow(path) { o in
                let i = try o.requireIndex("index")
                guard isWanted(i) else { return }
                try checkSource(o)
                explanations[i, default: []].append(try o.requireString("description"))
            }
        }

        mutating func activations(_ path: String, fileNumber: Int) throws {
            try eachRow(path) { o in
                let i = try o.requireIndex("index")
                guard isWanted(i) else { return }
                try checkSource(o)
                var s = summaries[i] ?? Summary()
                let row = try ActivationRow.parse(o, ordinal: s.count)
                evidence.add(row: row.tokens)
                s.best = max(s.best, row.value)
                if !row.isInterval {
                    s.top.append(TopEntry(value: row.value, ordinal: s.count, tokens: row.tokens, peak: row.peak))
                    if s.top.count > 5 {
                        s.top.sort { ($0.value, -$0.ordinal) > ($1.value, -$1.ordinal) }
                        s.top.removeLast()
                    }
                }
                s.count += 1
                if s.files.last != fileNumber { s.files.append(fileNumber) }
                summaries[i] = s
            }
        }
    }
}

/// Contexts of a bulk export, read back from the activation batches on demand.
final class ExportContexts: ImportedContextLoader, @unchecked Sendable {
    let files: [String]
    let fileNumbers: [Int: [Int]]
    private let lock = NSLock()
    private var cachedFile = -1
    private var cachedRows: [Int: [ActivationRow]] = [:]

    init(files: [String], fileNumbers: [Int: [Int]]) {
        self.files = files
        self.fileNumbers = fileNumbers
    }

    func rows(feature: Int) throws -> [ActivationRow] {
        lock.lock()
        defer { lock.unlock() }
        var out: [ActivationRow] = []
        for n in fileNumbers[feature] ?? [] {
            if cachedFile != n {
                var rows: [Int: [ActivationRow]] = [:]
                try NeuronpediaExportImporter.eachRow(files[n]) { o in
                    let i = try o.requireIndex("index")
                    rows[i, default: []].append(try ActivationRow.parse(o, ordinal: rows[i]?.count ?? 0))
                }
                cachedRows = rows
                cachedFile = n
            }
            let offset = out.count
            for var r in cachedRows[feature] ?? [] {
                if !r.hasDataIndex { r.sequence += offset }
                out.append(r)
            }
        }
        return out
    }

    func contexts(feature: Int) throws -> FeatureContexts { ActivationRow.contexts(try rows(feature: feature)) }
    func sampleValues(feature: Int) throws -> [Float] { try rows(feature: feature).map(\.value) }
}
