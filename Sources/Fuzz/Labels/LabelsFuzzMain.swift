#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-labels FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct LabelsFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-labels") { LabelsFuzz.check($0) } }
}
#endif
