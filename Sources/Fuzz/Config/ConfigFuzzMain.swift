#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-config FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct ConfigFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-config") { ConfigFuzz.check($0) } }
}
#endif
