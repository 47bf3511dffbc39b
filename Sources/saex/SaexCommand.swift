import ArgumentParser
import Foundation
import SAEKit

/// Entry point: parses arguments, runs the command, and renders every error as one line with the
/// documented exit code (0 success, 1 failure, 2 bad usage or bad input). No stack traces.
@main
struct SaexMain {
    static func main() {
        // Before any file is opened: a closed stdout must not become the first file saex opens.
        StandardStreams.reopenClosedDescriptors()
        reexecWithFastBLASKernels()
        StandardStreams.installSignalHandling()
        do {
            var command = try Saex.parseAsRoot()
            try BLASRuntime.warmUp()
            try command.run()
        } catch let error as SAEKitError {
            // Garbage read from a file that changed under its mapping explains any other error.
            do { try MappedFile.checkUnchanged() } catch let changed as SAEKitError { fail(changed) } catch {}
            fail(error)
        } catch let error as CleanExit {
            if let dashed = dashedPath(), !helpRequested() { usageError(unknownDashed(dashed)) }
            Saex.exit(withError: error)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Saex.exitCode(for: error)
            if code == .success, let dashed = dashedPath(), !helpRequested() { usageError(unknownDashed(dashed)) }
            if code == .success {
                try? Console.out(Saex.fullMessage(for: error))
                exit(0)
            }
            // One line, like every other saex error: the parser's message and where the usage is.
            // ArgumentParser uses 64 (EX_USAGE) for usage errors; saex documents 2.
            var message = oneLine(Saex.message(for: error))
            if message.hasSuffix(".") { message.removeLast() }
            if let dashed = dashedPath() { usageError(unknownDashed(dashed)) }
            Console.error("saex: \(TerminalText.escapedLine(message)); see '\(usageCommand()) --help'")
            exit(code == .validationFailure || code.rawValue == 64 ? 2 : (code.rawValue == 0 ? 1 : code.rawValue))
        }
    }

    static func fail(_ error: SAEKitError) -> Never {
        Console.error("saex: \(error)")
        exit(error.exitCode)
    }

    /// The parser's message as one line. It lists six or more valid values as bullets on the lines
    /// after "Please provide one of the following:"; those are kept, quoted, on the line.
    static func oneLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map(String.init)
        guard let first = lines.first else { return "invalid usage" }
        let bullets = lines.dropFirst().compactMap { line -> String? in
            let item = line.trimmingCharacters(in: .whitespaces)
            return item.hasPrefix("- ") ? "'\(item.dropFirst(2))'" : nil
        }
        guard first.hasSuffix(" one of the following:"), let last = bullets.last else { return first }
        let list = bullets.count == 1 ? last : bullets.dropLast().joined(separator: ", ") + " or " + last
        return first.dropLast(" the following:".count) + " " + list
    }

    static func usageError(_ message: String) -> Never {
        Console.error("saex: \(TerminalText.escapedLine(message))")
        exit(2)
    }

    /// The first argument before `--` that begins with one '-', is longer than one option letter
    /// and is not a number: a file name the parser takes for a cluster of short options (`-x.saexcache`
    /// even holds `h`, which printed the help and exited 0).
    static func dashedPath() -> String? {
        for arg in CommandLine.arguments.dropFirst() {
            if arg == "--" { return nil }
            if arg.hasPrefix("-"), !arg.hasPrefix("--"), arg.count > 2, !arg.hasPrefix("-o="), Double(arg) == nil { return arg }
        }
        return nil
    }

    static func helpRequested() -> Bool {
        CommandLine.arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" || $0 == "help" }
    }

    static func unknownDashed(_ arg: String) -> String {
        "\(arg): unknown option; a file whose name begins with '-' goes after '--' (\(usageCommand()) -- \(arg)) or as ./\(arg)"
    }

    /// "saex", "saex inspect" or "saex cache build": the command the arguments name.
    static func usageCommand() -> String {
        var path = ["saex"]
        var command: ParsableCommand.Type = Saex.self
        for arg in CommandLine.arguments.dropFirst() {
            guard let sub = command.configuration.subcommands.first(where: { $0._commandName == arg }) else { break }
            path.append(arg)
            command = sub
        }
        return path.joined(separator: " ")
    }
}

struct Saex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saex",
        abstract: "Explore sparse-autoencoder features: standard and cosine-scored dictionaries side by side.",
        discussion: "With no command, opens the explorer on the bundled demo data.",
        version: SAEKitVersion.string,
        subcommands: [
            Explore.self, Inspect.self, Encode.self, CacheCommand.self, Contexts.self, Analyze.self, Summary.self, Pairs.self,
            Report.self, LabelsCommand.self, BlindCommand.self, LabelCommand.self
        ],
        defaultSubcommand: Explore.self
    )
}

/// stdout for results (a failed write is an error), stderr for diagnostics (a failed write is dropped).
enum Console {
    static func out(_ s: String) throws {
        try StandardStreams.writeResult(Data((s + "\n").utf8))
    }

    /// Human-facing text, one result line per element: each through `TerminalText.escapedLine`, so
    /// names and paths from files can neither act on the terminal nor split a line.
    static func lines(_ lines: [String]) throws {
        try out(lines.map(TerminalText.escapedLine).joined(separator: "\n"))
    }

    /// Writes `data` as it is (exports, reports), ending it with a newline when it has none.
    static func out(_ data: Data) throws {
        var data = data
        if data.last != UInt8(ascii: "\n") { data.append(0x0A) }
        try StandardStreams.writeResult(data)
    }

    static func error(_ s: String) {
        StandardStreams.writeDiagnostic(Data((s + "\n").utf8))
    }

    static var stderrIsTTY: Bool { isatty(2) == 1 }
}

/// Output formats shared by commands.
enum TextOrJSON: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--dicts A,B` (saex pairs, saex blind run): two different dictionary names separated by a comma.
enum DictsOption {
    static func names(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.count == 2, names[0] != names[1], !names.contains(where: \.isEmpty) else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--dicts \(text)",
                reason: "needs two different dictionary names separated by a comma", remedy: "e.g. --dicts standard,cosine_global")
        }
        return names
    }

    /// The positions in `all` (the names of the dictionaries in `cache`) of the two names `text` gives.
    static func indices(_ text: String, in all: [String], cache: String) throws -> [Int] {
        try names(text).map { name in
            guard let i = all.firstIndex(of: name) else {
                throw SAEKitError(
                    .badInput, path: cache, subject: "--dicts \(text)",
                    reason: "no dictionary named \(name) (the cache has: \(all.joined(separator: ", ")))")
            }
            return i
        }
    }
}

/// Pretty JSON with C1 and bidi controls escaped too (TerminalText.jsonEscapingControls).
func jsonString<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: TerminalText.jsonEscapingControls(try enc.encode(value)), as: UTF8.self)
}
