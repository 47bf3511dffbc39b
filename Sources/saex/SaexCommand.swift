import ArgumentParser
import Foundation
import SAEKit

/// Entry point: parses arguments, runs the command, and renders every error as one line with the
/// documented exit code (0 success, 1 failure, 2 bad usage or bad input). No stack traces.
@main
struct SaexMain {
    static func main() {
        reexecWithFastBLASKernels()
        do {
            var command = try Saex.parseAsRoot()
            try command.run()
        } catch let error as SAEKitError {
            Console.error("saex: \(error)")
            exit(error.exitCode)
        } catch let error as CleanExit {
            Saex.exit(withError: error)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Saex.exitCode(for: error)
            if code == .success {
                Console.out(Saex.fullMessage(for: error))
                exit(0)
            }
            // One line, like every other saex error: the parser's message and where the usage is.
            // ArgumentParser uses 64 (EX_USAGE) for usage errors; saex documents 2.
            var message = Saex.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            if message.hasSuffix(".") { message.removeLast() }
            Console.error("saex: \(message); see '\(usageCommand()) --help'")
            exit(code == .validationFailure || code.rawValue == 64 ? 2 : (code.rawValue == 0 ? 1 : code.rawValue))
        }
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
        subcommands: [Explore.self, Inspect.self, Encode.self, CacheCommand.self, Contexts.self, Analyze.self, Summary.self, Pairs.self,
                      Report.self, LabelsCommand.self, BlindCommand.self, LabelCommand.self],
        defaultSubcommand: Explore.self
    )
}

/// stdout for results, stderr for diagnostics.
enum Console {
    static func out(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    static var stderrIsTTY: Bool { isatty(2) == 1 }
}

/// Output formats shared by commands.
enum TextOrJSON: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

func jsonString<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try enc.encode(value), as: UTF8.self)
}
