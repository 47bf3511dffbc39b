import ArgumentParser
import ExplorerUI
import Foundation
import SAEKit

/// `saex label`: blind A/B labelling of two dictionaries of a cache, and its report.
struct LabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Blind A/B labelling: rate features without knowing their dictionary, then report.",
        discussion: """
        --blind opens (or resumes) the blind session in CACHE.blind/: a sample of features per \
        dictionary from two dictionaries of the cache (the first two unless --dicts), stratified by \
        density and shuffled. Each item shows only the feature's contexts; answer y/m/n (can you name \
        a concept?), optionally a verdict (1-5) and a concept (e). Answers are saved as you go; quit \
        and rerun to resume. --report prints the statistics without a terminal. Keys: docs/KEYS.md.
        """)

    @Argument(help: "A cache from saex cache build.") var cache: String
    @Flag(help: "Open or resume the blind session (needs a terminal).") var blind = false
    @Flag(help: "Print the report of the blind session.") var report = false
    @Option(help: "Features to sample per dictionary for a new session (default: 50).") var sample: Int?
    @Option(help: "Seed of the sample for a new session (default: random, recorded in the session).") var seed: UInt64?
    @Option(help: ArgumentHelp("The two dictionaries to compare, by name, for a new session (default: the first two).", valueName: "A,B"))
    var dicts: String?
    @Option(help: "Report format: text or json.") var format: TextOrJSON?
    @Option(help: "Colours: auto, 256, 8 or none (NO_COLOR also turns them off).") var color: ColorArgument = .auto

    static let defaultSample = 50

    var directory: String { cache + ".blind" }

    func validate() throws {
        guard blind != report else { throw ValidationError("give exactly one of --blind or --report") }
        if report, sample != nil || seed != nil || dicts != nil {
            throw ValidationError("--sample, --seed and --dicts apply to --blind only")
        }
        if blind, format != nil { throw ValidationError("--format applies to --report only") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() throws {
        if report { try printReport() } else { try runBlind() }
    }

    func printReport() throws {
        guard FileManager.default.fileExists(atPath: directory + "/" + BlindSession.keyFileName) else {
            throw SAEKitError(.notFound, path: directory, reason: "no blind session here", remedy: "start one with saex label --blind \(cache)")
        }
        let session = try BlindSession(directory: directory, readOnly: true)
        let report = session.report()
        switch format ?? .text {
        case .text: try Console.out(Data(report.text.utf8))
        case .json: try Console.out(TerminalText.jsonEscapingControls(try report.jsonData()))
        }
    }

    func runBlind() throws {
        let alternative = "for the results use saex label --report \(cache)"
        try requireTerminal { try requireInteractiveTerminal(program: "blind labelling", alternative: alternative) }
        guard FileManager.default.fileExists(atPath: cache) else {
            throw SAEKitError(.notFound, path: cache, reason: "no such file", remedy: "give a cache from saex cache build")
        }
        Console.error(TerminalText.escapedLine("opening \(cache)..."))
        let source = try CacheFeatureSource(path: cache, progress: { Progress.report(stage: $0, done: $1, total: $2) })
        let session = try openOrCreate(source)
        defer { session.close() }
        try requireTerminal { try runBlindSession(source: source, session: session, options: BlindOptions(colorMode: color.mode), alternative: alternative) }
        let progress = session.progress
        if progress.answered == progress.total {
            try Console.out(Data(session.report().text.utf8))
        } else {
            Console.error(TerminalText.escapedLine("answered \(progress.answered) of \(progress.total) in \(directory); run saex label --blind \(cache) to resume"))
        }
    }

    /// Resumes the session in CACHE.blind, or draws a new sample there. Options that would change an
    /// existing session are an error rather than silently ignored.
    func openOrCreate(_ source: CacheFeatureSource) throws -> BlindSession {
        if FileManager.default.fileExists(atPath: directory + "/" + BlindSession.keyFileName) {
            let session = try BlindSession(directory: directory)
            let perDictionary = session.progress.total / 2
            let names = session.dictionaries.map(\.name)
            let otherDicts = try dicts.map { try dictionaryNames($0) != names } ?? false
            let conflicts = otherDicts || (sample.map { $0 != perDictionary } ?? false) || (seed.map { $0 != session.seed } ?? false)
            if conflicts {
                session.close()
                throw SAEKitError(.badInput, path: directory,
                                  reason: "already holds a blind session (\(perDictionary) per dictionary of \(names.joined(separator: ", ")), seed \(session.seed))",
                                  remedy: "drop --sample, --seed and --dicts to resume it, or move the folder away to start a new one")
            }
            return session
        }
        let all = source.dictionaries
        guard all.count >= 2 else {
            throw SAEKitError(.badInput, path: cache, reason: "has \(all.count) dictionary; a blind comparison needs two",
                              remedy: "build a cache with two dictionaries")
        }
        var chosen = [0, 1]
        if let dicts {
            chosen = try dictionaryNames(dicts).map { name in
                guard let i = all.firstIndex(where: { $0.name == name }) else {
                    throw SAEKitError(.badInput, path: cache, subject: "--dicts \(dicts)",
                                      reason: "no dictionary named \(name) (the cache has: \(all.map(\.name).joined(separator: ", ")))")
                }
                return i
            }
        }
        let offered = chosen.map { d in
            BlindDictionary(name: all[d].name, fingerprint: all[d].fingerprint, featureCount: all[d].featureCount,
                            density: Array(source.table(dict: d).density.buffer))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        return try BlindSession.create(directory: directory, dictionaries: offered, perDictionary: sample ?? Self.defaultSample,
                                       seed: seed ?? generator.next())
    }

    /// "A,B" as two distinct names.
    func dictionaryNames(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.count == 2, names[0] != names[1], !names.contains(where: \.isEmpty) else {
            throw SAEKitError(.badInput, path: nil, subject: "--dicts \(text)", reason: "needs two different dictionary names separated by a comma",
                              remedy: "e.g. --dicts standard,cosine_global")
        }
        return names
    }
}
