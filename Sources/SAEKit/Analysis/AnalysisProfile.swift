import Foundation

/// Wall-clock seconds spent in each part of an analysis (statistics, decoder matching, activation
/// correlation, ...), for `saex-bench` and progress reports. Parts of the same name add up.
public final class AnalysisProfile: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [String] = []
    private var totals: [String: Double] = [:]

    public init() {}

    /// The parts in the order they first ran, with their total seconds.
    public var parts: [(name: String, seconds: Double)] {
        lock.lock()
        defer { lock.unlock() }
        return order.map { ($0, totals[$0] ?? 0) }
    }

    /// Adds `seconds` to part `name`.
    public func add(_ name: String, _ seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        if totals[name] == nil { order.append(name) }
        totals[name, default: 0] += seconds
    }

    /// Runs `body` and adds its wall-clock time to part `name`.
    public func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { add(name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try body()
    }
}

extension Optional where Wrapped == AnalysisProfile {
    /// Times `body` into the profile when there is one.
    func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        if let p = self { return try p.time(name, body) }
        return try body()
    }
}
