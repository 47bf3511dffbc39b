import ArgumentParser
import Foundation
import SAEKit

struct LabelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Export, import and merge feature labels (several raters per file; docs/LABELS.md).",
        discussion: """
            A cache's labels are in CACHE.labels unless --labels names another file (the bundled demo's in \
            $XDG_STATE_HOME/saex/demo.labels). Blind rating is saex blind run|report.
            """,
        subcommands: [LabelsExport.self, LabelsImport.self, LabelsMerge.self])
}

enum PreferArgument: String, ExpressibleByArgument, CaseIterable {
    case stored, incoming
    var preference: LabelConflictPreference { self == .stored ? .stored : .incoming }
}

/// Prints each conflict, field by field, to stderr.
func printConflicts(_ report: LabelImportReport) {
    for c in report.conflicts { for line in c.lines { Console.error(line) } }
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
    @Option(help: "The labels file (default: CACHE.labels; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?
    @Option(help: "Neuronpedia model id (neuronpedia format), e.g. gpt2-small.") var modelId: String?
    @Option(help: ArgumentHelp("Neuronpedia source id per dictionary, NAME=SOURCE (neuronpedia format).", valueName: "NAME=SOURCE"))
    var source: [DictArgument] = []

    func run() throws {
        let source = try FeatureSources.open(path: cache)
        let fingerprint = (source as? CacheFeatureSource)?.cache.manifest.fingerprint
        let location = try LabelsLocation.resolve(cache: cache, labels: labels)
        let target = try output.map { try OutputTarget($0, inputs: location.inputs(cache: cache)) }
        let export: LabelExport
        if let store = try location.openIfPresent() {
            for w in store.warnings { Console.error("saex: warning: \(w)") }
            export = store.makeExport(
                dictionaries: source.dictionaries, cacheFingerprint: fingerprint,
                stats: source.exportedStats)
        } else {
            Console.error(TerminalText.escapedLine("saex: no labels yet at \(location.path) (\(location.origin)); the export holds none"))
            export = LabelExport(
                exported: LabelTime.format(Date()), cacheFingerprint: fingerprint,
                dictionaries: source.dictionaries.map {
                    ExportedDictionary(
                        name: $0.name, path: $0.path, architecture: $0.architecture,
                        fingerprint: $0.fingerprint)
                }.sorted { $0.fingerprint < $1.fingerprint },
                labels: [])
        }
        let data: Data
        switch format {
        case .json:
            data = TerminalText.jsonEscapingControls(try export.jsonData())
        case .csv:
            data = Data(export.csv().utf8)
        case .neuronpedia:
            guard let modelId else {
                throw ValidationError("--format neuronpedia needs --model-id and --source NAME=SOURCE for each dictionary")
            }
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
        abstract: "Merge an exported JSON file into a cache's labels, keeping every rater's labels.",
        discussion: """
            A label is a rater's (its author's) label of a feature. Another rater's label is added beside \
            yours; the same rater's different label of a feature is a conflict: each is printed field by \
            field and, without --prefer, the stored label is kept and the exit status is 1.
            """)

    @Argument(help: "A cache file.") var cache: String
    @Argument(help: "An export written by saex labels export --format json.") var file: String
    @Option(help: "The labels file (default: CACHE.labels; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?
    @Option(help: "Resolve conflicts: stored (keep yours) or incoming (take the file's).") var prefer: PreferArgument?
    @Flag(help: "Report what would change without writing.") var dryRun = false

    func run() throws {
        let export = try LabelExport.read(path: file)
        let location = try LabelsLocation.resolve(cache: cache, labels: labels, create: true)
        let store = try LabelStore(path: location.path)
        defer { store.close() }
        let report = try store.merge(export, dryRun: dryRun, prefer: prefer?.preference)
        printConflicts(report)
        try Console.out((dryRun ? "dry run: " : "") + report.summary)
        if !report.conflicts.isEmpty, prefer == nil {
            Console.error(
                TerminalText.escapedLine(
                    "saex: to resolve, rerun with --prefer incoming (take \(file)'s labels) "
                        + "or --prefer stored (keep \(location.path)'s), "
                        + "or edit \(file) and import it again"))
            throw ExitCode(1)
        }
    }
}

struct LabelsMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge labels files (one per rater, say) into one that keeps every rater's labels.",
        discussion: """
            Labels are keyed by feature and rater (the author), so the output holds every rater's label of \
            every feature, with provenance (manual or blind), for saex summary --labels and saex blind report \
            to measure agreement. The same rater's different labels of a feature are conflicts: printed field \
            by field and, without --prefer, nothing is written (exit 1). OUT is replaced atomically and may be \
            one of the inputs.
            """)

    @Argument(help: "Labels files (CACHE.labels of each rater).") var inputs: [String]
    @Option(name: .shortAndLong, help: "The merged labels file to write.") var output: String
    @Option(help: "Resolve conflicts: stored (the earlier file's label) or incoming (the later file's).") var prefer: PreferArgument?

    func run() throws {
        guard inputs.count >= 1 else { throw ValidationError("give the labels files to merge") }
        let merged = try LabelFiles.merge(inputs, prefer: prefer?.preference)
        for w in merged.warnings { Console.error("saex: warning: \(w)") }
        printConflicts(merged.report)
        if !merged.report.conflicts.isEmpty, prefer == nil {
            let n = merged.report.conflicts.count
            Console.error(
                "saex: \(TerminalText.escapedLine(output)): not written, \(n) conflict\(n == 1 ? "" : "s") "
                    + "(the same rater labelled a feature differently); rerun with --prefer stored (the earlier file wins) "
                    + "or --prefer incoming (the later file wins), or fix the inputs")
            throw ExitCode(1)
        }
        try LabelFiles.write(merged, to: output)
        let raters = merged.labels.raters.map { $0.isEmpty ? "(no author)" : TerminalText.escapedLine($0) }
        Console.error(
            "wrote \(TerminalText.escapedLine(output)): \(merged.labels.count) labels of \(merged.labels.features.count) features by \(raters.count) "
                + "rater\(raters.count == 1 ? "" : "s") (\(raters.joined(separator: ", ")))"
                + (merged.report.conflicts.isEmpty ? "" : "; " + merged.report.summary))
    }
}
