import ArgumentParser
import ExplorerUI
import Foundation
import SAEKit

enum ColorArgument: String, ExpressibleByArgument, CaseIterable {
    case auto, color256 = "256", color8 = "8", none
    var mode: ColorMode {
        switch self {
        case .auto: return .auto
        case .color256: return .color256
        case .color8: return .color8
        case .none: return .monochrome
        }
    }
}

struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Browse features in the terminal (the default command; with no cache, the bundled demo).",
        discussion: """
            CACHE is a cache from saex cache build, or something saex can import: a Neuronpedia feature \
            JSON or bulk export (.jsonl, .jsonl.gz), an SAEDashboard batch JSON, or a delphi latent cache \
            folder (with --vocab). Labels are kept beside the cache (CACHE.labels; the demo's in \
            $XDG_STATE_HOME/saex/). Press ? inside for the keys (docs/KEYS.md).
            """)

    @Argument(help: "A cache or importable file (default: the bundled demo).") var cache: String?
    @Option(help: "The labels file (default: CACHE.labels; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?
    @OptionGroup var author: AuthorOption
    @Option(help: "Colours: auto, 256, 8 or none (NO_COLOR also turns them off).") var color: ColorArgument = .auto
    @Option(help: "Open this dictionary first (by name).") var dict: String?
    @Option(help: "Open this feature first.") var feature: Int?
    @Option(help: "Vocabulary for a delphi latent cache (tokenizer.json or a JSON array).") var vocab: String?
    @Flag(help: "Show the labels without changing them (also while another saex has them open).") var readOnly = false

    func run() throws {
        let path: String
        let isDemo = cache == nil
        if let cache { path = cache } else { path = try Demo.cachePath() }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SAEKitError(.notFound, path: path, reason: "no such file or folder", remedy: "give a cache from saex cache build")
        }
        try requireTerminal {
            try requireInteractiveTerminal(
                program: "the explorer", alternative: "for text output use saex analyze CACHE or saex contexts CACHE")
        }
        let source = try openSource(path)
        let location = try LabelsLocation.resolve(cache: isDemo ? nil : path, labels: labels, create: !readOnly)
        let labelsPath = location.path
        let rater = author.resolved
        var book: LabelStore?
        var warnings: [String] = []
        if readOnly {
            book = location.exists ? try LabelStore(path: labelsPath, readOnly: true, rater: rater) : nil
        } else {
            do {
                book = try LabelStore(path: labelsPath, rater: rater)
            } catch let e as SAEKitError where e.code == .busy {
                throw SAEKitError(
                    .busy, path: e.path, reason: e.reason,
                    remedy: "close the other saex, or add --read-only to look without changing them")
            }
            try book?.recordDictionaries(source.dictionaries)
        }
        if let store = book {
            warnings += store.warnings
            warnings += store.nameClashes(loaded: source.dictionaries).map(\.message)
            let stale = store.staleDictionaries(knownFingerprints: Set(source.dictionaries.map(\.fingerprint)))
            if !stale.isEmpty {
                warnings.append(
                    "\(stale.count) labelled dictionar\(stale.count == 1 ? "y is" : "ies are") not in this cache (stale labels kept, not shown)"
                )
            }
            let others = store.raters.filter { $0 != rater }
            if !others.isEmpty {
                let names = others.map { $0.isEmpty ? "(no author)" : $0 }.joined(separator: ", ")
                warnings.append(
                    "you label as \(rater.isEmpty ? "(no author)" : rater); the file also holds labels by \(names) "
                        + "(--author NAME to be another rater)")
            }
        }
        defer { book?.close() }
        var initial = 0
        if let dict {
            guard let i = source.dictionaries.firstIndex(where: { $0.name == dict }) else {
                throw SAEKitError(
                    .badInput, path: path, subject: "--dict \(dict)",
                    reason: "no dictionary of that name (the cache has: \(source.dictionaries.map(\.name).joined(separator: ", ")))")
            }
            initial = i
        }
        let exporter = book.map { Self.exporter(store: $0, source: source, to: labelsPath + ".export.json") }
        let options = ExplorerOptions(
            title: "saex " + (isDemo ? "demo" : (path as NSString).lastPathComponent), initialDictionary: initial, initialFeature: feature,
            colorMode: color.mode, author: rater, onExport: exporter,
            initialMessage: warnings.isEmpty ? nil : warnings.joined(separator: "; "),
            // The copy key writes beside the cache (the demo's checkout may be read-only: beside its labels).
            contextsFolder: isDemo ? (labelsPath as NSString).deletingLastPathComponent + "/demo-contexts" : path + ".contexts",
            readOnlyReason: readOnly ? "labels are read-only (--read-only)" : "labels are read-only (no label file was given)")
        try requireTerminal { try runExplorer(source: source, labels: book, options: options) }
    }

    /// The export key's action: writes the labels with their statistics to `out`, says where.
    static func exporter(store: LabelStore, source: any FeatureSource, to out: String) -> @Sendable () -> String {
        {
            do {
                let fingerprint = (source as? CacheFeatureSource)?.cache.manifest.fingerprint
                let e = store.makeExport(dictionaries: source.dictionaries, cacheFingerprint: fingerprint, stats: source.exportedStats)
                let target = try OutputTarget(out)
                try target.write([TerminalText.jsonEscapingControls(try e.jsonData())])
                return "exported \(e.labels.count) labels to \(target)"
            } catch {
                return "export failed: \(error)"
            }
        }
    }

    func openSource(_ path: String) throws -> any FeatureSource {
        if FeatureSources.isCache(path) { Console.error(TerminalText.escapedLine("opening \(path)...")) }
        return try FeatureSources.open(
            path: path, vocabularyPath: vocab, announce: { Console.error(TerminalText.escapedLine($0)) },
            progress: { Progress.report(stage: $0, done: $1, total: $2) })
    }
}

/// The bundled demo: found beside the binary's checkout, or in the working directory.
enum Demo {
    static let relative = "fixtures/demo/demo.saexcache"

    static func cachePath() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SAEX_DEMO"] { candidates.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for up in 1...4 {
            var u = exe
            for _ in 0..<up { u.deleteLastPathComponent() }
            candidates.append(u.appendingPathComponent(relative).path)
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/" + relative)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw SAEKitError(
                .notFound, path: relative, reason: "the bundled demo cache was not found",
                remedy: "run saex from its checkout, set SAEX_DEMO, or give a cache: saex explore CACHE")
        }
        return found
    }

    /// True when `path` is the bundled demo cache (the same file, however it is named).
    static func isDemoCache(_ path: String) -> Bool {
        guard let demo = try? cachePath() else { return false }
        var a = stat(), b = stat()
        guard stat(path, &a) == 0, stat(demo, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// $XDG_STATE_HOME/saex/demo.labels (default ~/.local/state/saex/demo.labels); `create` makes the folder.
    static func labelsPath(create: Bool = true) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        let dir = base + "/saex"
        guard create else { return dir + "/demo.labels" }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw SAEKitError(.ioFailure, path: dir, reason: "cannot create the folder for the demo's labels", remedy: "give --labels PATH")
        }
        return dir + "/demo.labels"
    }
}

/// Runs `body`, turning a `TerminalError` into saex's one-line error with exit code 2.
func requireTerminal(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as TerminalError {
        throw SAEKitError(.badInput, path: nil, reason: e.description)
    }
}
