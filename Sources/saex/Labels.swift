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

    @Argument(help: "A cache file.") var cache: String
    @Option(help: "Output format: json, csv or neuronpedia.") var format: ExportFormat = .json
    @Option(name: .shortAndLong, help: "Write here (default: stdout).") var output: String?
    @Option(help: "The labels file (default: CACHE.labels).") var labels: String?
    @Option(help: "Neuronpedia model id (neuronpedia format), e.g. gpt2-small.") var modelId: String?
    @Option(help: ArgumentHelp("Neuronpedia source id per dictionary, NAME=SOURCE (neuronpedia format).", valueName: "NAME=SOURCE"))
    var source: [DictArgument] = []

    func run() throws {
        let path = defaultLabelsPath(cache: cache, labels: labels)
        let target = try output.map { try OutputTarget($0, inputs: [cache, path]) }
        let source = try CacheFeatureSource(path: cache)
        let store = try LabelStore(path: path, readOnly: true)
        let index = Dictionary(uniqueKeysWithValues: source.dictionaries.enumerated().map { ($0.element.fingerprint, $0.offset) })
        let export = store.makeExport(dictionaries: source.dictionaries, cacheFingerprint: source.cache.manifest.fingerprint) { key in
            guard let d = index[key.fingerprint], key.feature >= 0, key.feature < source.dictionaries[d].featureCount else { return nil }
            return source.stats(dict: d, feature: key.feature)
        }
        let data: Data
        switch format {
        case .json:
            data = TerminalText.jsonEscapingControls(try export.jsonData())
        case .csv:
            data = Data(export.csv().utf8)
        case .neuronpedia:
            guard let modelId else { throw ValidationError("--format neuronpedia needs --model-id and --source NAME=SOURCE for each dictionary") }
            var targets: [String: NeuronpediaTarget] = [:]
            for s in self.source { targets[s.name] = NeuronpediaTarget(modelId: modelId, source: s.path) }
            let rows = export.neuronpediaExplanations(targets: targets)
            if rows.skipped > 0 { Console.error("saex: skipped \(rows.skipped) labels without a concept or a --source") }
            data = TerminalText.jsonEscapingControls(try rows.jsonData())
        }
        if let target {
            try target.write([data])
            Console.error(TerminalText.escapedLine("wrote \(export.labels.count) labels to \(target)"))
        } else {
            try Console.out(data)
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
        try Console.out(report.summary)
        if !report.conflicts.isEmpty { throw ExitCode(1) }
    }
}
