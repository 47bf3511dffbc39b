import Foundation
import SAEKit

/// Per-dictionary stats columns, built once on first use; safe to use from the worker thread.
final class ColumnsCache: @unchecked Sendable {
    private let lock = NSLock()
    private var columns: [Int: StatsColumns] = [:]

    func get(_ dict: Int, source: any FeatureSource) -> StatsColumns {
        lock.lock()
        defer { lock.unlock() }
        if let c = columns[dict] { return c }
        let c = StatsColumns(source: source, dict: dict)
        columns[dict] = c
        return c
    }
}

/// Runs source reads (contexts, samples, matches, orders, overviews) on one background thread, in
/// order, and hands back result actions. An order request superseded by a newer one (typing a
/// search) is skipped rather than computed.
final class EffectWorker: @unchecked Sendable {
    private let queue = DispatchQueue(label: "saex.explorer.worker", qos: .userInitiated)
    private let lock = NSCondition()
    private var results: [Action] = []
    private var inFlight = 0
    private var latestOrder: OrderRequest?
    let source: any FeatureSource
    let columns: ColumnsCache

    init(source: any FeatureSource, columns: ColumnsCache) {
        self.source = source
        self.columns = columns
    }

    var busy: Bool {
        lock.lock()
        defer { lock.unlock() }
        return inFlight > 0
    }

    var hasResults: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !results.isEmpty
    }

    func submit(_ effect: Effect, labels: [Int: FeatureLabel]) {
        lock.lock()
        inFlight += 1
        if case .computeOrder(let request) = effect { latestOrder = request }
        lock.unlock()
        queue.async { [self] in
            var skip = false
            if case .computeOrder(let request) = effect {
                lock.lock()
                skip = request != latestOrder
                lock.unlock()
            }
            let action = skip ? nil : ExplorerSession.work(effect, source: source, columns: columns, labels: labels)
            lock.lock()
            if let action { results.append(action) }
            inFlight -= 1
            lock.broadcast()
            lock.unlock()
        }
    }

    func drain() -> [Action] {
        lock.lock()
        defer { lock.unlock() }
        let out = results
        results.removeAll()
        return out
    }

    /// Blocks up to 50 ms for the worker to finish something.
    func waitBriefly() {
        lock.lock()
        if inFlight > 0, results.isEmpty { _ = lock.wait(until: Date().addingTimeInterval(0.05)) }
        lock.unlock()
    }
}
