import Testing
@testable import SAEKit

/// Which OpenBLAS kernels saex asks for. The flag sets are those /proc/cpuinfo lists for the CPUs
/// named; the expected kernel families are OpenBLAS's own names for them.
@Suite struct BLASRuntimeTests {
    static let haswell: Set<String> = ["sse4_2", "avx", "avx2", "fma", "bmi2"]
    static let skylakeSP = haswell.union(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
    /// Xeon Phi (Knights Landing) has AVX-512 F and CD but not BW, DQ or VL.
    static let knightsLanding = haswell.union(["avx512f", "avx512cd", "avx512er", "avx512pf"])

    @Test func unrecognisedAVX512CPUGetsSkylakeXKernels() {
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: Self.skylakeSP, currentCore: "Prescott") == "SkylakeX")
    }

    @Test func unrecognisedAVX2CPUGetsHaswellKernels() {
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: Self.haswell, currentCore: "Prescott") == "Haswell")
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: Self.knightsLanding, currentCore: "Prescott") == "Haswell")
    }

    @Test func oldCPUKeepsTheGenericKernels() {
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: ["sse3", "avx"], currentCore: "Prescott") == nil)
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: ["avx2"], currentCore: "Prescott") == nil)
    }

    @Test func aRecognisedCPUAndTheUsersChoiceAreLeftAlone() {
        #expect(BLASRuntime.recommendedCoreType(environment: [:], cpuFlags: Self.skylakeSP, currentCore: "Haswell") == nil)
        #expect(
            BLASRuntime.recommendedCoreType(
                environment: ["OPENBLAS_CORETYPE": "Haswell"], cpuFlags: Self.skylakeSP,
                currentCore: "Prescott") == nil)
    }
}
