import Dispatch

import Foundation

/// Runs independent iterations on all cores. The body must only write disjoint memory per
/// iteration; that is the caller's promise, which Swift cannot check for raw pointers.
///
/// Under a memory limit, no more threads work at once than OpenBLAS runs (`ResourceCheck.blasThreads`):
/// every thread that calls BLAS at the same time takes its own 128 MiB work buffer.
enum Parallel {
    /// How many threads the analyses use by default: every core, or fewer under a memory limit.
    static let workers =
        ResourceCheck.blasThreads(limit: ResourceCheck.memoryLimit()?.bytes, cpus: ProcessInfo.processInfo.activeProcessorCount)
        ?? ProcessInfo.processInfo.activeProcessorCount
    static var serial: Bool { workers <= 1 }

    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, !serial else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { b in
            nonisolated(unsafe) let f = b
            DispatchQueue.concurrentPerform(iterations: count) { f($0) }
        }
    }
}
