#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-cache FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct CacheFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-cache") { CacheFuzz.check($0) } }
}
#endif
