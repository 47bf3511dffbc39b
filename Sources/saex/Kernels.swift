import Foundation
import SAEKit

/// Re-executes saex once with the OpenBLAS kernels and thread count `BLASRuntime.reexecEnvironment`
/// names (the library reads them when it loads, so only a new process can change them).
func reexecWithFastBLASKernels() {
    let environment = BLASRuntime.reexecEnvironment()
    guard !environment.isEmpty else { return }
    for (key, value) in environment { setenv(key, value, 1) }
    setenv("SAEX_BLAS_REEXEC", "1", 1)
    var args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &args)
}
