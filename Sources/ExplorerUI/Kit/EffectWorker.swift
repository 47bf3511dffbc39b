import Foundation

/// Performs background effects on one thread, in order, and hands back their result actions. An
/// effect the performer says a newer one supersedes (an order for a search the user kept typing)
/// is skipped rather than computed, if it has not started.
final class EffectWorker<Performer: EffectPerformer>: @unchecked Sendable {
    private let queue = DispatchQueue(label: "saex.program.worker", qos: .userInitiated)
    private let lock = NSCondition()
    private var results: [Performer.P.Action] = []
    private var inFlight = 0
    /// Effects submitted and not yet started, by submission number.
    private var waiting: [Int: Performer.P.Effect] = [:]
    private var submitted = 0
    let performer: Performer

    init(performer: Performer) { self.performer = performer }

    var busy: Bool { lock.withLock { inFlight > 0 } }
    var hasResults: Bool { lock.withLock { !results.isEmpty } }

    func submit(_ effect: Performer.P.Effect) {
        let number = lock.withLock {
            inFlight += 1
            submitted += 1
            waiting[submitted] = effect
            return submitted
        }
        queue.async { [self] in
            let run: Bool = lock.withLock {
                waiting[number] = nil
                return !waiting.values.contains { performer.supersedes($0, effect) }
            }
            let actions = run ? performer.perform(effect) : []
            lock.withLock {
                results += actions
                inFlight -= 1
                lock.broadcast()
            }
        }
    }

    func drain() -> [Performer.P.Action] {
        lock.withLock {
            let out = results
            results.removeAll()
            return out
        }
    }

    /// Blocks up to 50 ms for the worker to finish something.
    func waitBriefly() {
        lock.lock()
        if inFlight > 0, results.isEmpty { _ = lock.wait(until: Date().addingTimeInterval(0.05)) }
        lock.unlock()
    }
}
