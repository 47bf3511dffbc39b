import Foundation

/// Recognises which cached-context format a path holds and opens it.
///
/// Recognised (the `kind` of the result):
/// - `neuronpedia-feature-json`, `neuronpedia-feature-json-folder`: `/api/feature/...` responses;
/// - `neuronpedia-bulk-export`, `neuronpedia-bulk-export-batch`: a source folder of an export, or
///   one `batch-N.jsonl[.gz]` inside its features/, activations/ or explanations/ folder;
/// - `saedashboard-batch-json`, `saedashboard-batch-json-folder`: SAEDashboard's batch-N.json;
/// - `delphi-latent-cache`: a hookpoint folder, one split, or a `latents/` folder with one hookpoint.
public enum ImportDetector {
    /// Opens `path`. `tokenText` turns delphi token ids into text; without it ids show as `<id>`.
    public static func open(path: String, tokenText: (@Sendable (Int) -> String)? = nil) throws -> ImportedFeatureSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SAEKitError(.notFound, path: path, reason: "no such file or folder", remedy: "check the path")
        }
        let text = tokenText ?? { "<\($0)>" }
        let name = (path as NSString).lastPathComponent
        if !isDir.boolValue {
            if DelphiImporter.splitRange(name) != nil { return try DelphiImporter.open(path: path, tokenText: text) }
            if name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz") { return try NeuronpediaExportImporter.open(path: path) }
            if name.hasSuffix(".json") {
                return try isDashboard(path) ? NeuronpediaImporter.openDashboard(path: path) : NeuronpediaImporter.openFeature(path: path)
            }
            throw SAEKitError(
                .unsupported, path: path, reason: "is not a cache saex can import",
                remedy: "give a Neuronpedia .json or .jsonl(.gz), an SAEDashboard batch .json, or a delphi <start>_<end>.safetensors")
        }
        if NeuronpediaExportImporter.isSourceFolder(path) { return try NeuronpediaExportImporter.open(path: path) }
        if !DelphiImporter.splits(in: path).isEmpty { return try DelphiImporter.open(path: path, tokenText: text) }
        let json = try NeuronpediaImporter.jsonFiles(in: path)
        if let first = json.first {
            return try isDashboard(first)
                ? NeuronpediaImporter.openDashboard(path: path) : NeuronpediaImporter.openFeatureFolder(path: path)
        }
        let subs = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map {
            (path as NSString).appendingPathComponent($0)
        }
        let delphi = subs.filter { !DelphiImporter.splits(in: $0).isEmpty }
        if !delphi.isEmpty { return try DelphiImporter.open(path: path, tokenText: text) }
        let sources = subs.filter(NeuronpediaExportImporter.isSourceFolder)
        if sources.count == 1 { return try NeuronpediaExportImporter.open(path: sources[0]) }
        if sources.count > 1 {
            throw SAEKitError(
                .badInput, path: path,
                reason:
                    "holds \(sources.count) exported sources (\(sources.prefix(6).map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))",
                remedy: "give the folder of one source")
        }
        throw SAEKitError(
            .badInput, path: path, reason: "has nothing saex can import",
            remedy:
                "give Neuronpedia feature .json files, an export source folder (features/, activations/), SAEDashboard batch-N.json files or a delphi latents folder"
        )
    }

    /// Whether a .json file is an SAEDashboard batch (a top-level `features` array) rather than a feature.
    static func isDashboard(_ path: String) throws -> Bool {
        let o = try NeuronpediaImporter.readWhole(
            path, remedy: "check that this is a Neuronpedia feature JSON or an SAEDashboard batch JSON")
        return o.value("features") is [Any] && o.value("activations") == nil
    }
}

extension ImportedFeatureSource {
    /// A one-line account of what was opened, for the CLI: kind, features with data, feature count and path.
    public var summary: String {
        "\(kind): \(featureIndices.count) features with data (of \(descriptor.featureCount)) from \(descriptor.path)"
    }
}
