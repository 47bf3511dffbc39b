#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-saedashboard FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct SAEDashboardFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-saedashboard") { SAEDashboardFuzz.check($0) } }
}
#endif
