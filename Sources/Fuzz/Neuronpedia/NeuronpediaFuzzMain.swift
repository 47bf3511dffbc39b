#if !FUZZING
import SAEKitFuzzSupport

/// Without libFuzzer (a normal `swift build`): `saex-fuzz-neuronpedia FILE...` replays inputs through the
/// same checks, so a crash input can be reproduced with the ordinary toolchain.
@main
struct NeuronpediaFuzzReplay {
    static func main() { Fuzz.replay("saex-fuzz-neuronpedia") { NeuronpediaFuzz.check($0) } }
}
#endif
