import Foundation

/// Reads Neuronpedia feature JSON (the `/api/feature/{model}/{source}/{index}` response) and
/// SAEDashboard's Neuronpedia batch JSON (`{model_id, layer, sae_set, features: [...]}`).
///
/// Both are read whole (they are single JSON documents); docs/IMPORTERS.md lists the fields used.
public enum NeuronpediaImporter {
    static let featureRemedy = "check that this is a Neuronpedia feature JSON (/api/feature/{model}/{source}/{index})"
    static let dashboardRemedy = "check that this is an SAEDashboard Neuronpedia batch JSON"

    /// One parsed feature, before it is placed in a source.
    struct Parsed {
        var index: Int
        var model: String?
        var source: String?
        var feature: ImportedFeature
        var contexts: FeatureContexts
        var samples: [Float]
    }

    /// Opens one Neuronpedia feature JSON file.
    public static func openFeature(path: String, name: String? = nil) throws -> ImportedFeatureSource {
        let p = try parseFeatureFile(path)
        return try makeSource(
            kind: "neuronpedia-feature-json", path: path, name: name ?? defaultName(p.model, p.source), parsed: [p],
            files: [path], root: (path as NSString).deletingLastPathComponent + "/")
    }

    /// Opens a folder of Neuronpedia feature JSON files (every `*.json` in it, not recursive).
    public static func openFeatureFolder(path: String, name: String? = nil) throws -> ImportedFeatureSource {
        let files = try jsonFiles(in: path)
        guard !files.isEmpty else {
            throw SAEKitError(
                .badInput, path: path, reason: "contains no .json files", remedy: "give a folder of Neuronpedia feature JSON files")
        }
        var parsed: [Parsed] = []
        var seen: [Int: String] = [:]
        for f in files {
            let p = try parseFeatureFile(f)
            if let other = seen[p.index] {
                throw SAEKitError(
                    .badInput, path: f, subject: "index", reason: "feature \(p.index) is also in \((other as NSString).lastPathComponent)",
                    remedy: "keep one file per feature")
            }
            if let first = parsed.first, first.model != p.model || first.source != p.source {
                throw SAEKitError(
                    .badInput, path: f, subject: "layer",
                    reason:
                        "belongs to \(defaultName(p.model, p.source)), but \((files[0] as NSString).lastPathComponent) belongs to \(defaultName(first.model, first.source))",
                    remedy: "keep the features of one source per folder")
            }
            seen[p.index] = f
            parsed.append(p)
        }
        return try makeSource(
            kind: "neuronpedia-feature-json-folder", path: path, name: name ?? defaultName(parsed[0].model, parsed[0].source),
            parsed: parsed, files: files, root: path.hasSuffix("/") ? path : path + "/")
    }

    /// Opens one SAEDashboard batch JSON file, or a folder of them (`batch-*.json`).
    public static func openDashboard(path: String, name: String? = nil) throws -> ImportedFeatureSource {
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        let files = isDir.boolValue ? try jsonFiles(in: path) : [path]
        guard !files.isEmpty else {
            throw SAEKitError(
                .badInput, path: path, reason: "contains no .json files", remedy: "give a folder of SAEDashboard batch-N.json files")
        }
        var parsed: [Parsed] = []
        var seen: Set<Int> = []
        var setName: String?
        for f in files {
            let (batchName, features) = try parseDashboardFile(f)
            if let setName, setName != batchName {
                throw SAEKitError(
                    .badInput, path: f, subject: "sae_set", reason: "is \(batchName), but other batches are \(setName)",
                    remedy: "keep the batches of one SAE per folder")
            }
            setName = batchName
            for p in features {
                guard seen.insert(p.index).inserted else {
                    throw SAEKitError(
                        .badInput, path: f, subject: "features", reason: "feature \(p.index) appears twice", remedy: dashboardRemedy)
                }
                parsed.append(p)
            }
        }
        let root = isDir.boolValue ? (path.hasSuffix("/") ? path : path + "/") : (path as NSString).deletingLastPathComponent + "/"
        return try makeSource(
            kind: isDir.boolValue ? "saedashboard-batch-json-folder" : "saedashboard-batch-json", path: path,
            name: name ?? setName ?? "saedashboard", parsed: parsed, files: files, root: root)
    }

    // MARK: - Parsing

    static func defaultName(_ model: String?, _ source: String?) -> String {
        [model, source].compactMap { $0 }.joined(separator: "/").isEmpty
            ? "neuronpedia" : [model, source].compactMap { $0 }.joined(separator: "/")
    }

    static func readWhole(_ path: String, remedy: String) throws -> JSONFields {
        let map = try MappedFile(path: path)
        guard map.count > 0 else { throw SAEKitError(.badInput, path: path, reason: "is empty", remedy: remedy) }
        return try JSONFields.parse(map.bytes, path: path, location: "", remedy: remedy)
    }

    static func parseFeatureFile(_ path: String) throws -> Parsed {
        let o = try readWhole(path, remedy: featureRemedy)
        if let err = o.value("error") as? String, o.value("activations") == nil {
            throw SAEKitError(
                .badInput, path: path, subject: "error", reason: "the file is an API error response (\"\(err.prefix(80))\")",
                remedy: "download the feature again")
        }
        return try parseNeuronpediaFeature(o, indexKey: "index")
    }

    /// A feature object with `activations` (camelCase rows) and optional `explanations`.
    static func parseNeuronpediaFeature(_ o: JSONFields, indexKey: String) throws -> Parsed {
        let index = try o.requireIndex(indexKey)
        let model = try o.optionalStringOrNumber("modelId")
        let source = try o.optionalStringOrNumber("layer")
        let rowsJSON = try o.objects("activations", required: true) ?? []
        var rows: [ActivationRow] = []
        rows.reserveCapacity(rowsJSON.count)
        for (i, r) in rowsJSON.enumerated() { rows.append(try ActivationRow.parse(r, ordinal: i)) }
        var explanations: [String] = []
        for e in try o.objects("explanations", required: false) ?? [] {
            explanations.append(try e.requireString("description"))
        }
        let contexts = ActivationRow.contexts(rows)
        let stats = ActivationRow.stats(
            feature: index, fracNonzero: try o.optionalNumber("frac_nonzero"),
            maxActApprox: try o.optionalNumber("maxActApprox"), contexts: contexts, rows: rows)
        return Parsed(
            index: index, model: model, source: source,
            feature: ImportedFeature(stats: stats, explanations: explanations, logits: try LogitEffects.parse(o)),
            contexts: contexts, samples: rows.map(\.value))
    }

    static func parseDashboardFile(_ path: String) throws -> (String, [Parsed]) {
        let o = try readWhole(path, remedy: dashboardRemedy)
        let model = try o.optionalStringOrNumber("model_id")
        let layer = try o.optionalStringOrNumber("layer")
        let set = try o.optionalStringOrNumber("sae_set")
        let suffix = try o.optionalStringOrNumber("sae_id_suffix")
        // Neuronpedia names such a source "<layer>-<sae_set>[__<suffix>]".
        var source = [layer, set].compactMap { $0 }.joined(separator: "-")
        if let suffix, !suffix.isEmpty { source += "__" + suffix }
        let name = defaultName(model, source.isEmpty ? nil : source)
        var out: [Parsed] = []
        for f in try o.objects("features", required: true) ?? [] {
            let index = try f.requireIndex("feature_index")
            let rowsJSON = try f.objects("activations", required: true) ?? []
            var rows: [ActivationRow] = []
            for (i, r) in rowsJSON.enumerated() { rows.append(try ActivationRow.parse(r, ordinal: i)) }
            let contexts = ActivationRow.contexts(rows)
            let stats = ActivationRow.stats(
                feature: index, fracNonzero: try f.optionalNumber("frac_nonzero"), maxActApprox: nil,
                contexts: contexts, rows: rows)
            let feature = ImportedFeature(stats: stats, logits: try LogitEffects.parse(f))
            out.append(Parsed(index: index, model: model, source: source, feature: feature, contexts: contexts, samples: rows.map(\.value)))
        }
        return (name, out)
    }

    static func jsonFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw SAEKitError(.notFound, path: folder, reason: "cannot list the folder", remedy: "check the path and its permissions")
        }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted { naturalLess($0, $1) }.map {
            (folder as NSString).appendingPathComponent($0)
        }
    }

    /// "batch-2" before "batch-10".
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.numeric]) == .orderedAscending
    }

    static func makeSource(kind: String, path: String, name: String, parsed: [Parsed], files: [String], root: String) throws
        -> ImportedFeatureSource
    {
        var features: [Int: ImportedFeature] = [:]
        var contexts: [Int: FeatureContexts] = [:]
        var samples: [Int: [Float]] = [:]
        let all = parsed.flatMap { p in p.contexts.top + p.contexts.intervals.flatMap(\.examples) }
        let logitTokens = parsed.flatMap { p in (p.feature.logits?.positive ?? []) + (p.feature.logits?.negative ?? []) }.map(\.token)
        let tokens = ImportedTokens(rows: all.map(\.tokens), singles: logitTokens)
        for var p in parsed {
            if tokens.byteLevel {
                p.feature.stats.topTokens = p.contexts.top.prefix(5).map(tokens.peak)
                p.feature.logits = tokens.logits(p.feature.logits)
            }
            features[p.index] = p.feature
            contexts[p.index] = p.contexts
            samples[p.index] = p.samples
        }
        let descriptor = DictionaryDescriptor(
            name: name, score: .unknown, architecture: "unknown", dIn: 0,
            featureCount: (features.keys.max() ?? -1) + 1,
            fingerprint: try ImportFingerprint.of(kind: kind, root: root, files: files), path: path, hasNorms: false)
        return ImportedFeatureSource(
            kind: kind, descriptor: descriptor, features: features,
            loader: InMemoryContexts(contexts: contexts, samples: samples), tokens: tokens)
    }
}
