import ArgumentParser
import Foundation
import SAEKit

/// Where a cache's labels live, the same for every command: `--labels FILE` when given, else the
/// bundled demo's in $XDG_STATE_HOME/saex/demo.labels (the checkout may be read-only), else beside
/// the cache as CACHE.labels.
struct LabelsLocation {
    var path: String
    /// Given with --labels.
    var explicit: Bool
    var isDemo: Bool

    /// `cache` nil means the bundled demo. `create` makes the demo's state folder.
    static func resolve(cache: String?, labels: String?, create: Bool = false) throws -> LabelsLocation {
        let demo = cache.map(Demo.isDemoCache) ?? true
        if let labels {
            _ = try LabelStore.journalFile(labels)  // an empty path, a folder, a device or a FIFO: refused at once
            return LabelsLocation(path: labels, explicit: true, isDemo: demo)
        }
        if demo { return LabelsLocation(path: try Demo.labelsPath(create: create), explicit: false, isDemo: true) }
        return LabelsLocation(path: (cache ?? "") + ".labels", explicit: false, isDemo: false)
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// How the path was chosen, for messages: "(--labels)", "(the demo's labels)", "(beside the cache)".
    var origin: String { explicit ? "--labels" : isDemo ? "the demo's labels" : "beside the cache" }

    /// The one-line error for a labels file that is not there, naming where saex looked.
    var missing: SAEKitError {
        SAEKitError(
            .notFound, path: path, reason: "no labels file here (\(origin))",
            remedy: explicit ? "check the path" : "label a feature first, or give --labels FILE")
    }

    /// What a command that reads `cache` with these labels reads, so its `-o` must not be any of
    /// them: the cache, its stored analysis and this labels file (found by default or given).
    func inputs(cache: String) -> [String] { [cache, AnalysisStore.path(for: cache), path] }

    /// The labels read-only, or nil when the file does not exist and was not named with --labels.
    func openIfPresent(rater: String? = nil) throws -> LabelStore? {
        if !exists {
            if explicit { throw missing }
            return nil
        }
        return try LabelStore(path: path, readOnly: true, rater: rater)
    }
}

/// `--author`: who is labelling (docs/LABELS.md, "Raters").
struct AuthorOption: ParsableArguments {
    @Option(help: "Your name as a rater, stamped on the labels you make (default: $SAEX_AUTHOR, else $USER, else your login name).")
    var author: String?

    var resolved: String { LabelAuthor.resolve(explicit: author, environment: ProcessInfo.processInfo.environment) }
}
