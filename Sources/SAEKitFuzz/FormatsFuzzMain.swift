#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`), the target replays files: `saex-fuzz-formats FILE...`
/// runs each file through the same checks as the fuzzer, so a crash input can be reproduced and
/// debugged without the fuzzing toolchain. Exits 0 when every file passes the checks.
@main
struct FormatsFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-formats") { FormatsFuzz.check($0); return "checked" } }
}
#endif
