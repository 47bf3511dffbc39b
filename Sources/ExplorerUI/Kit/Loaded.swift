/// A value being loaded by an effect.
public enum Loaded<Value: Equatable & Sendable>: Equatable, Sendable {
    case loading
    case ready(Value)
    case failed(String)

    public var value: Value? {
        if case .ready(let v) = self { return v }
        return nil
    }
}

/// A small least-recently-used cache (linear eviction; capacities are tens of entries).
public struct LRUCache<Key: Hashable & Sendable, Value: Equatable & Sendable>: Equatable, Sendable {
    public let capacity: Int
    private var storage: [Key: Value] = [:]
    private var recency: [Key: UInt64] = [:]
    private var tick: UInt64 = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { storage.count }

    /// Reads without changing recency (rendering is pure).
    public func peek(_ key: Key) -> Value? { storage[key] }

    public mutating func insert(_ value: Value, for key: Key) {
        tick += 1
        storage[key] = value
        recency[key] = tick
        if storage.count > capacity, let oldest = recency.min(by: { $0.value < $1.value })?.key {
            storage[oldest] = nil
            recency[oldest] = nil
        }
    }

    public mutating func touch(_ key: Key) {
        guard storage[key] != nil else { return }
        tick += 1
        recency[key] = tick
    }
}

extension LRUCache {
    /// Asks for `key` once: when nothing is cached (or loading) for it, marks it as loading and
    /// appends `effect`; otherwise only refreshes its recency. The one request pattern of every
    /// screen that shows loaded data.
    mutating func request<V, E>(_ key: Key, _ effect: @autoclosure () -> E, into effects: inout [E]) where Value == Loaded<V> {
        if peek(key) == nil {
            insert(.loading, for: key)
            effects.append(effect())
        } else {
            touch(key)
        }
    }
}

/// A status-bar message.
public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    /// Stays through later keys until another message replaces it or Esc clears it (a label that
    /// was NOT saved must not scroll out of sight with the next arrow key).
    public var sticky: Bool

    public init(text: String, isError: Bool, sticky: Bool = false) {
        self.text = text
        self.isError = isError
        self.sticky = sticky
    }
}

/// How much of a context around its peak to show.
public enum ContextWindow: Equatable, Sendable {
    case five, sixteen, whole

    public var next: ContextWindow {
        switch self {
        case .five: .sixteen
        case .sixteen: .whole
        case .whole: .five
        }
    }
    public var radius: Int? {
        switch self {
        case .five: 5
        case .sixteen: 16
        case .whole: nil
        }
    }
    public var title: String { radius.map { "±\($0)" } ?? "whole" }
}

/// Moves a scroll offset by `delta` within [0, limit]. An offset left past the limit (the body
/// got shorter) is clamped first, so the first key back up moves the view at once.
enum Scrolling {
    static func offset(_ current: Int, by delta: Int, limit: Int) -> Int {
        max(0, min(min(current, limit) &+ delta, limit))
    }
}

/// The lines for a value being loaded: a dim "loading WHAT…" note until it arrives, a warning
/// "WHAT unavailable: REASON" when it failed, else `ready`'s lines. `indent` prefixes both notes.
func loadedLines<Value>(_ loaded: Loaded<Value>?, _ what: String, indent: String = "", ready: (Value) -> [Line]) -> [Line] {
    switch loaded {
    case nil, .loading?: return [[Span(indent + "loading \(what)…", .dim)]]
    case .failed(let error)?: return [[Span(indent + "\(what) unavailable: " + error, .warning)]]
    case .ready(let value)?: return ready(value)
    }
}
