import Foundation
import SAEKit

/// Re-executes saex once with the OpenBLAS kernels `BLASRuntime.coreTypeToReexecWith` names (the
/// library picks its kernels when it loads, so only a new process can change them).
func reexecWithFastBLASKernels() {
    guard let core = BLASRuntime.coreTypeToReexecWith() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1); setenv("SAEX_BLAS_REEXEC", "1", 1)
    var args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &args)
}
