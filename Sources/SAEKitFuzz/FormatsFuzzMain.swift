#if !FUZZING
import Foundation

/// Without libFuzzer (a normal `swift build`), the target replays files: `saex-fuzz-formats FILE...`
/// runs each file through the same checks as the fuzzer, so a crash input can be reproduced and
/// debugged without the fuzzing toolchain. Exits 0 when every file passes the checks.
@main
struct FormatsFuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            FileHandle.standardError.write(Data("usage: saex-fuzz-formats FILE...\n".utf8))
            exit(2)
        }
        for p in paths {
            guard let d = FileManager.default.contents(atPath: p) else {
                FileHandle.standardError.write(Data("\(p): cannot read\n".utf8))
                exit(1)
            }
            d.withUnsafeBytes { FormatsFuzz.check($0) }
            print("\(p): ok")
        }
    }
}
#endif
