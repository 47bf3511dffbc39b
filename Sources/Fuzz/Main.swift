import Foundation

/// Every fuzz target of `saex-fuzz`, by the name `scripts/fuzz.sh TARGET` and the seed folders use.
/// Each check returns what it saw (accepted, or the refusal); a broken property is a precondition
/// failure, which libFuzzer records as a crash.
let fuzzTargets: [String: @Sendable (UnsafeRawBufferPointer) -> String] = [
    "formats": {
        FormatsFuzz.check($0); return "checked"
    },
    "config": ConfigFuzz.check,
    "cache": CacheFuzz.check,
    "labels": LabelsFuzz.check,
    "neuronpedia": NeuronpediaFuzz.check,
    "saedashboard": SAEDashboardFuzz.check,
    "delphi": DelphiFuzz.check
]

#if FUZZING
    /// The target this process fuzzes, from SAEX_FUZZ_TARGET (set by scripts/fuzz.sh); read once.
    let selectedTarget: @Sendable (UnsafeRawBufferPointer) -> String = {
        let name = ProcessInfo.processInfo.environment["SAEX_FUZZ_TARGET"] ?? ""
        guard let target = fuzzTargets[name] else {
            FileHandle.standardError.write(
                Data("saex-fuzz: set SAEX_FUZZ_TARGET to one of \(fuzzTargets.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        _ = selectedTarget(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
#else
    /// Without libFuzzer (a normal `swift build`): `saex-fuzz TARGET FILE...` replays inputs through
    /// the same checks, so a crash input can be reproduced with the ordinary toolchain.
    @main
    struct FuzzReplay {
        static func main() {
            let args = CommandLine.arguments
            guard args.count >= 2, let target = fuzzTargets[args[1]] else {
                FileHandle.standardError.write(
                    Data("usage: saex-fuzz TARGET FILE... (TARGET: \(fuzzTargets.keys.sorted().joined(separator: ", ")))\n".utf8))
                exit(2)
            }
            Fuzz.replay(paths: args.dropFirst(2), target)
        }
    }
#endif
