import Foundation

/// Opens what every command that reads features accepts: a cache from `saex cache build`, or a cache
/// another tool wrote that saex imports (Neuronpedia, SAEDashboard, delphi; `ImportDetector`).
public enum FeatureSources {
    /// What a path held.
    public enum Opened {
        case cache(ContextCache)
        case imported(ImportedFeatureSource)
    }

    /// Whether `path` is a saex cache (a safetensors file with a `saex_cache` manifest).
    public static func isCache(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
            let file = try? SafetensorsFile(path: path)
        else { return false }
        return file.metadata["saex_cache"] != nil
    }

    /// Opens `path` without computing a cache's analysis. `vocabularyPath` (a tokenizer.json or a
    /// JSON array of strings) gives a delphi latent cache's token ids their text.
    public static func openInput(path: String, vocabularyPath: String? = nil) throws -> Opened {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SAEKitError(
                .notFound, path: path, reason: "no such file or folder",
                remedy: "give a cache from saex cache build, or a Neuronpedia, SAEDashboard or delphi cache to import")
        }
        if isCache(path) { return .cache(try ContextCache(path: path)) }
        let name = (path as NSString).lastPathComponent
        let importable = [".json", ".jsonl", ".jsonl.gz"].contains { name.hasSuffix($0) } || DelphiImporter.splitRange(name) != nil
        let cacheLike = name.hasSuffix(".saexcache") || name.hasSuffix(".safetensors") || (try? SafetensorsFile(path: path)) != nil
        if !isDir.boolValue && !importable && cacheLike {
            // A damaged cache, or a safetensors file that is not one: the precise reason.
            return .cache(try ContextCache(path: path))
        }
        var tokenText: (@Sendable (Int) -> String)?
        if let vocabularyPath {
            let v = try Vocabulary.load(path: vocabularyPath)
            tokenText = { v.text($0) }
        }
        return .imported(try ImportDetector.open(path: path, tokenText: tokenText))
    }

    /// Opens `path` as a `FeatureSource`: a cache with its analysis (computed and stored beside it
    /// when missing or stale, with `options`; `announce` hears the plan's time estimate first), or an import.
    public static func open(
        path: String, vocabularyPath: String? = nil, options: AnalysisOptions = AnalysisOptions(),
        announce: (String) -> Void = { _ in },
        progress: @escaping CacheBuilder.ProgressHandler = { _, _, _ in }
    ) throws -> any FeatureSource {
        switch try openInput(path: path, vocabularyPath: vocabularyPath) {
        case .cache(let cache):
            return CacheFeatureSource(
                cache: cache, analysis: try CacheAnalysis.load(cache: cache, options: options, announce: announce, progress: progress))
        case .imported(let source): return source
        }
    }
}

extension FeatureSource {
    /// The dictionary called `name`, or with no name the only one; one-line errors naming `path`
    /// and the dictionaries there are.
    public func dictionaryIndex(named name: String?, path: String) throws -> Int {
        let names = dictionaries.map(\.name)
        guard let name else { return try onlyDictionary(names, in: "the input", path: path) }
        guard let i = names.firstIndex(of: name) else {
            throw SAEKitError(
                .badInput, path: path, subject: "--dict \(name)",
                reason: "no dictionary of that name (it has: \(names.joined(separator: ", ")))")
        }
        return i
    }
}

extension ContextCache {
    /// The dictionary called `name`, or with no name the only one.
    public func dictionaryIndex(named name: String?) throws -> Int {
        if let name { return try dictionaryIndex(named: name) }
        return try onlyDictionary(manifest.dictionaries.map(\.name), in: "the cache", path: path)
    }
}

/// 0 when `names` holds one dictionary; else the error asking for --dict NAME.
private func onlyDictionary(_ names: [String], in holder: String, path: String) throws -> Int {
    guard names.count == 1 else {
        throw SAEKitError(
            .badInput, path: path, subject: "--dict",
            reason: "\(holder) holds \(names.count) dictionaries (\(names.joined(separator: ", ")))",
            remedy: "name one with --dict NAME")
    }
    return 0
}
