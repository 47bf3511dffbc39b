#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-delphi FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct DelphiFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-delphi") { DelphiFuzz.check($0) } }
}
#endif
