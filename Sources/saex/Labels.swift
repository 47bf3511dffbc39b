import ArgumentParser
import Foundation
import SAEKit

/// Where a cache's labels live unless --labels says otherwise: beside the cache.
func defaultLabelsPath(cache: String, labels: String?) -> String { labels ?? cache + ".labels" }

struct LabelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Export and import feature labels.",
        subcommands: [LabelsExport.self, LabelsImport.self])
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv, neuronpedia
}

struct LabelsExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a cache's labels as JSON (docs/LABELS.md, docs/labels.schema.json), CSV or Neuronpedia explanation rows.")

    @Argument(help: "A cache file, or a Neuronpedia, SAEDashboard or delphi cache the explorer imported.") var cache: String
    @Option(help: "Output format: json, csv or neuronpedia.") var format: ExportFormat = .json
    @Option(name: .shortAndLong, help: "Write here (default: stdout).") var output: String?
    @Option(help: "The labels file (default: CACHE.labels).") var labels: String?
    @Option(help: "Neuronpedia model id (neuronpedia format), e.g. gpt2-small.") var modelId: String?
    @Option(help: ArgumentHelp("Neuronpedia source id per dictionary, NAME=SOURCE (neuronpedia format).", valueName: "NAME=SOURCE"))
    var source: [DictArgument] = []

    func run() throws {
        let source = try FeatureSources.open(path: cache)
        let path = defaultLabelsPath(cache: cache, labels: labels)
        let store = try LabelStore(path: path, readOnly: true)
        let fingerprint = (source as? CacheFeatureSource)?.cache.manifest.fingerprint
        let export = store.makeExport(dictionaries: source.dictionaries, cacheFingerprint: fingerprint,
                                      stats: source.exportedStats)
        let data: Data
        switch format {
        case .json:
            data = try export.jsonData()
        case .csv:
            data = Data(export.csv().utf8)
        case .neuronpedia:
            guard let modelId else { throw ValidationError("--format neuronpedia needs --model-id and --source NAME=SOURCE for each dictionary") }
            var targets: [String: NeuronpediaTarget] = [:]
            for s in self.source { targets[s.name] = NeuronpediaTarget(modelId: modelId, source: s.path) }
            let rows = export.neuronpediaExplanations(targets: targets)
            if rows.skipped > 0 { Console.error("saex: skipped \(rows.skipped) labels without a concept or a --source") }
            data = try rows.jsonData()
        }
        if let output {
            try AtomicFile.write(path: output, chunks: [data])
            Console.error("wrote \(export.labels.count) labels to \(output)")
        } else {
            FileHandle.standardOutput.write(data)
            if data.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
        }
    }
}

struct LabelsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Merge an exported JSON file into a cache's labels; conflicts are reported, never overwritten.")

    @Argument(help: "A cache file.") var cache: String
    @Argument(help: "An export written by saex labels export --format json.") var file: String
    @Option(help: "The labels file (default: CACHE.labels).") var labels: String?
    @Flag(help: "Report what would change without writing.") var dryRun = false

    func run() throws {
        let export = try LabelExport.read(path: file)
        let store = try LabelStore(path: defaultLabelsPath(cache: cache, labels: labels))
        defer { store.close() }
        let report = try store.merge(export, dryRun: dryRun)
        Console.out(report.summary)
        if !report.conflicts.isEmpty { throw ExitCode(1) }
    }
}
