import ArgumentParser
import ExplorerUI
import Foundation
import SAEKit

/// `saex blind run|report`: blind A/B rating of two dictionaries of a cache, and its report.
struct BlindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blind",
        abstract: "Blind A/B rating: rate features without knowing their dictionary, then report.",
        discussion: """
            run opens (or resumes) a blind session (CACHE.blind/; the demo's in $XDG_STATE_HOME/saex/): a \
            sample of features per dictionary from two dictionaries of the cache, stratified by density and \
            shuffled. Each item shows only the feature's contexts; answer y/m/n (can you name a concept?), \
            optionally a verdict (1-5) and a concept (e). Answers are saved as you go; quit and rerun to \
            resume. Once every item is answered, the answers are stored as your labels (provenance blind) in \
            the cache's labels file. report prints the statistics without a terminal, and the agreement of \
            the raters whose blind labels the labels file holds. Keys: docs/KEYS.md; raters: docs/LABELS.md.
            """,
        subcommands: [BlindRun.self, BlindReportCommand.self])
}

/// Where a cache's blind session lives: --session, else CACHE.blind (the demo's in its state folder).
struct BlindLocation: ParsableArguments {
    @Option(help: "The session folder (default: CACHE.blind; the demo's in $XDG_STATE_HOME/saex/demo.blind).") var session: String?
    @Option(help: "The labels file (default: CACHE.labels; the demo's in $XDG_STATE_HOME/saex/).") var labels: String?

    func directory(cache: String, create: Bool = false) throws -> String {
        if let session { return session }
        let beside = cache + ".blind"
        // The demo's session lives in its state folder, unless one was started beside it before.
        if Demo.isDemoCache(cache), !FileManager.default.fileExists(atPath: beside + "/" + BlindSession.keyFileName) {
            return (try Demo.labelsPath(create: create) as NSString).deletingLastPathComponent + "/demo.blind"
        }
        return beside
    }
}

struct BlindRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open or resume a blind A/B session (needs a terminal).")

    @Argument(help: "A cache from saex cache build.") var cache: String
    @Option(help: "Features to sample per dictionary for a new session (default: 50).") var sample: Int?
    @Option(
        help: ArgumentHelp(
            "Seed of the sample for a new session (default: random, recorded in the session; another rater giving "
                + "the same seed, sample and dictionaries rates the same features)."))
    var seed: UInt64?
    @Option(help: ArgumentHelp("The two dictionaries to compare, by name, for a new session (default: the first two).", valueName: "A,B"))
    var dicts: String?
    @Option(help: "Colours: auto, 256, 8 or none (NO_COLOR also turns them off).") var color: ColorArgument = .auto
    @OptionGroup var location: BlindLocation
    @OptionGroup var author: AuthorOption

    static let defaultSample = 50

    func validate() throws {
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() throws {
        let directory = try location.directory(cache: cache, create: true)
        let alternative = "for the results use saex blind report \(cache)"
        try requireTerminal { try requireInteractiveTerminal(program: "blind labelling", alternative: alternative) }
        guard FileManager.default.fileExists(atPath: cache) else {
            throw SAEKitError(.notFound, path: cache, reason: "no such file", remedy: "give a cache from saex cache build")
        }
        Console.error(TerminalText.escapedLine("opening \(cache)..."))
        let source = try CacheFeatureSource(
            path: cache, announce: { Console.error(TerminalText.escapedLine($0)) },
            progress: { Progress.report(stage: $0, done: $1, total: $2) })
        let session = try openOrCreate(source, directory: directory)
        defer { session.close() }
        try requireTerminal {
            try runBlindSession(source: source, session: session, options: BlindOptions(colorMode: color.mode), alternative: alternative)
        }
        let progress = session.progress
        guard session.isComplete else {
            Console.error(
                TerminalText.escapedLine(
                    "answered \(progress.answered) of \(progress.total) in \(directory); run saex blind run \(cache) to resume"))
            return
        }
        try Console.out(Data(session.report().text.utf8))
        try storeAnswers(session, source: source)
    }

    /// A complete session's answers become the rater's labels (provenance blind).
    func storeAnswers(_ session: BlindSession, source: CacheFeatureSource) throws {
        let rater = session.rater ?? author.resolved
        let place = try LabelsLocation.resolve(cache: cache, labels: location.labels, create: true)
        let store: LabelStore
        do {
            store = try LabelStore(path: place.path)
        } catch let e as SAEKitError where e.code == .busy {
            Console.error(
                "saex: \(e.path ?? place.path): busy, the answers were not stored as labels; "
                    + "close the other saex and run saex blind run \(cache) again to store them")
            return
        }
        defer { store.close() }
        try store.recordDictionaries(source.dictionaries)
        let names = Dictionary(source.dictionaries.map { ($0.fingerprint, $0.name) }, uniquingKeysWith: { a, _ in a })
        let report = try store.storeBlindAnswers(session.answerLabels(rater: rater), dictionaryNames: names)
        for c in report.clashes {
            for line in c.lines { Console.error(line.replacingOccurrences(of: "conflict:", with: "kept your own label:")) }
        }
        Console.error(
            TerminalText.escapedLine("\(report.summary) in \(place.path)")
                + " (rater \(TerminalText.escapedLine(rater.isEmpty ? "(no author)" : rater)))")
    }

    /// Resumes the session in `directory`, or draws a new sample there. Options that would change an
    /// existing session are an error rather than silently ignored.
    func openOrCreate(_ source: CacheFeatureSource, directory: String) throws -> BlindSession {
        if FileManager.default.fileExists(atPath: directory + "/" + BlindSession.keyFileName) {
            let session = try BlindSession(directory: directory)
            let perDictionary = session.progress.total / 2
            let names = session.dictionaries.map(\.name)
            let otherDicts = try dicts.map { try DictsOption.names($0) != names } ?? false
            let conflicts = otherDicts || (sample.map { $0 != perDictionary } ?? false) || (seed.map { $0 != session.seed } ?? false)
            if conflicts {
                session.close()
                throw SAEKitError(
                    .badInput, path: directory,
                    reason:
                        "already holds a blind session (\(perDictionary) per dictionary of \(names.joined(separator: ", ")), seed \(session.seed))",
                    remedy: "drop --sample, --seed and --dicts to resume it, or give --session DIR "
                        + "(or move the folder away) to start a new one")
            }
            return session
        }
        let all = source.dictionaries
        guard all.count >= 2 else {
            throw SAEKitError(
                .badInput, path: cache, reason: "has \(all.count) dictionary; a blind comparison needs two",
                remedy: "build a cache with two dictionaries")
        }
        var chosen = [0, 1]
        if let dicts { chosen = try DictsOption.indices(dicts, in: all.map(\.name), cache: cache) }
        let offered = chosen.map { d in
            BlindDictionary(
                name: all[d].name, fingerprint: all[d].fingerprint, featureCount: all[d].featureCount,
                density: Array(source.table(dict: d).density.buffer))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        return try BlindSession.create(
            directory: directory, dictionaries: offered, perDictionary: sample ?? Self.defaultSample,
            seed: seed ?? generator.next(), rater: author.resolved)
    }
}

struct BlindReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the report of a blind session, with inter-rater agreement.",
        discussion: """
            The interpretable fraction per dictionary with Wilson intervals, the bootstrap difference, Fisher \
            and Mann-Whitney tests (docs/LABELS.md). An unfinished session is refused unless --unblind: its \
            report shows which dictionary the answered items came from. Agreement: over the session's \
            features that two or more raters answered blind (their labels merged into one file with saex \
            labels merge), Krippendorff's alpha and Cohen's kappa per pair of raters, with bootstrap intervals.
            """)

    @Argument(help: "A cache from saex cache build.") var cache: String
    @Option(help: "Report format: text or json.") var format: TextOrJSON = .text
    @Flag(help: "Report an unfinished session anyway (this unblinds the answered items).") var unblind = false
    @OptionGroup var location: BlindLocation

    func run() throws {
        let directory = try location.directory(cache: cache)
        guard FileManager.default.fileExists(atPath: directory + "/" + BlindSession.keyFileName) else {
            throw SAEKitError(.notFound, path: directory, reason: "no blind session here", remedy: "start one with saex blind run \(cache)")
        }
        let session = try BlindSession(directory: directory, readOnly: true)
        defer { session.close() }
        let progress = session.progress
        if !session.isComplete, !unblind {
            throw SAEKitError(
                .badInput, path: directory,
                reason: "the session is unfinished (\(progress.answered) of \(progress.total) answered) "
                    + "and its report would unblind you",
                remedy: "finish it with saex blind run \(cache), or add --unblind to see the report now")
        }
        let report = session.report()
        let agreement = try self.agreement(session)
        switch format {
        case .text:
            var text = report.text
            for d in agreement { for line in d.textLines { text += line + "\n" } }
            try Console.out(Data(text.utf8))
        case .json:
            try Console.out(TerminalText.jsonEscapingControls(try report.jsonData(agreement: agreement)))
        }
    }

    /// Agreement over the session's features among the blind labels of the labels file.
    func agreement(_ session: BlindSession) throws -> [DictionaryAgreement] {
        guard let store = try LabelsLocation.resolve(cache: cache, labels: location.labels).openIfPresent() else { return [] }
        let features = Set(session.features)
        return DictionaryAgreement.compute(
            store.everyLabel, dictionaries: session.dictionaries.map { ($0.name, $0.fingerprint) },
            include: { $0.label.provenance == .blind && features.contains($0.key) })
    }
}

/// `saex label --blind|--report`: the former spelling of `saex blind run|report`, kept working.
struct LabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Former spelling of saex blind run (--blind) and saex blind report (--report).",
        shouldDisplay: false)

    @Argument(help: "A cache from saex cache build.") var cache: String
    @Flag(help: "saex blind run.") var blind = false
    @Flag(help: "saex blind report.") var report = false
    @Option(help: "As saex blind run --sample.") var sample: Int?
    @Option(help: "As saex blind run --seed.") var seed: UInt64?
    @Option(help: ArgumentHelp("As saex blind run --dicts.", valueName: "A,B")) var dicts: String?
    @Option(help: "As saex blind report --format.") var format: TextOrJSON?
    @Flag(help: "As saex blind report --unblind.") var unblind = false
    @Option(help: "Colours: auto, 256, 8 or none.") var color: ColorArgument = .auto
    @OptionGroup var location: BlindLocation
    @OptionGroup var author: AuthorOption

    func validate() throws {
        guard blind != report else { throw ValidationError("give exactly one of --blind or --report (now saex blind run|report)") }
        if report, sample != nil || seed != nil || dicts != nil {
            throw ValidationError("--sample, --seed and --dicts apply to --blind only")
        }
        if blind, format != nil || unblind { throw ValidationError("--format and --unblind apply to --report only") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() throws {
        let old = blind ? "blind" : "report", new = blind ? "run" : "report"
        Console.error("saex: note: saex label --\(old) is now saex blind \(new); this spelling keeps working")
        if report {
            var r = BlindReportCommand()
            r.cache = cache
            r.format = format ?? .text
            r.unblind = unblind
            r.location = location
            try r.run()
        } else {
            var r = BlindRun()
            r.cache = cache
            r.sample = sample
            r.seed = seed
            r.dicts = dicts
            r.color = color
            r.location = location
            r.author = author
            try r.run()
        }
    }
}
