import Dispatch

/// Runs independent iterations on all cores. The body must only write disjoint memory per
/// iteration; that is the caller's promise, which Swift cannot check for raw pointers.
enum Parallel {
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { b in
            nonisolated(unsafe) let f = b
            DispatchQueue.concurrentPerform(iterations: count) { f($0) }
        }
    }
}
