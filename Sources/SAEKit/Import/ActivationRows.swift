/// One stored example of a Neuronpedia-style cache: a token window with the feature's value on each
/// token, and the bin it was drawn from.
///
/// Neuronpedia's `Activation` rows use camelCase (`maxValueTokenIndex`, `binMin`, `binMax`,
/// `binContains`); SAEDashboard's batch JSON uses snake_case (`bin_min`, ...) and has no peak
/// index. In both, top-activation examples carry `binMin == -1` and `binContains == -1` (or no bin
/// at all) and interval examples carry a bin `[binMin, binMax]` with `binContains` in 0...1.
struct ActivationRow: Sendable, Equatable {
    var tokens: [String]
    var values: [Float]
    /// Index in `tokens` of the peak: `maxValueTokenIndex` when present, else the first maximum.
    var peak: Int
    var binMin: Double?
    var binMax: Double?
    var binContains: Double?
    /// `dataIndex` (Neuronpedia) when it is a number; the row's ordinal otherwise.
    var sequence: Int
    /// Whether `sequence` came from `dataIndex`.
    var hasDataIndex = false

    var value: Float { values[peak] }

    /// Whether this row is an example of an activation interval rather than a top example.
    var isInterval: Bool {
        guard let lo = binMin, let hi = binMax, let c = binContains else { return false }
        return lo >= 0 && c >= 0 && hi >= lo
    }

    /// Reads a row in either spelling; `ordinal` numbers rows without a `dataIndex`.
    static func parse(_ o: JSONFields, ordinal: Int) throws -> ActivationRow {
        let tokens = try o.requireStrings("tokens")
        let values = try o.requireFloats("values")
        guard tokens.count == values.count else {
            throw o.error("values", "has \(values.count) entries but tokens has \(tokens.count)")
        }
        guard !tokens.isEmpty else { throw o.error("tokens", "is empty") }
        var peak = 0
        if let p = try o.optionalInt("maxValueTokenIndex") {
            guard p >= 0, p < tokens.count else {
                throw o.error("maxValueTokenIndex", "\(p) is outside the \(tokens.count) tokens")
            }
            peak = p
        } else {
            for i in values.indices where values[i] > values[peak] { peak = i }
        }
        let binMin = try o.optionalNumber("binMin") ?? o.optionalNumber("bin_min")
        let binMax = try o.optionalNumber("binMax") ?? o.optionalNumber("bin_max")
        let binContains = try o.optionalNumber("binContains") ?? o.optionalNumber("bin_contains")
        var row = ActivationRow(
            tokens: tokens, values: values, peak: peak, binMin: binMin, binMax: binMax, binContains: binContains, sequence: ordinal)
        if let d = try? o.optionalStringOrNumber("dataIndex"), let n = Int(d) {
            // Neuronpedia numbers dataset rows from 0; a negative index would reach the explorer
            // as a negative sequence number.
            guard n >= 0 else { throw o.error("dataIndex", "\(n) is negative") }
            row.sequence = n
            row.hasDataIndex = true
        }
        return row
    }

    var context: TokenContext {
        TokenContext(sequence: sequence, position: peak, value: value, start: 0, tokens: tokens, activations: values)
    }

    /// Top examples best first (ties keep file order) and interval groups lowest first.
    static func contexts(_ rows: [ActivationRow]) -> FeatureContexts {
        let top = rows.enumerated().filter { !$0.element.isInterval }
            .sorted { ($0.element.value, -$0.offset) > ($1.element.value, -$1.offset) }
            .map(\.element.context)
        var groups: [String: IntervalGroup] = [:]
        for r in rows where r.isInterval {
            guard let lo = r.binMin, let hi = r.binMax, let c = r.binContains else { continue }
            let key = "\(lo)|\(hi)"
            groups[key, default: IntervalGroup(lower: Float(lo), upper: Float(hi), contains: c, examples: [])].examples.append(r.context)
        }
        let intervals = groups.values.sorted { ($0.lower, $0.upper) < ($1.lower, $1.upper) }
        return FeatureContexts(top: top, intervals: intervals, random: [])
    }

    /// Statistics from what a Neuronpedia-style feature carries: density from `frac_nonzero`, the
    /// maximum from `maxActApprox` (else the best example), top tokens from the best examples.
    static func stats(feature: Int, fracNonzero: Double?, maxActApprox: Double?, contexts: FeatureContexts, rows: [ActivationRow])
        -> FeatureStats
    {
        let best = rows.map(\.value).max() ?? 0
        var maxValue = Float(maxActApprox ?? 0)
        if maxValue <= 0 { maxValue = best }
        let density = fracNonzero ?? 0
        let topTokens = contexts.top.prefix(5).map { $0.tokens[$0.peakIndex] }
        return FeatureStats(
            feature: feature, density: density, maxActivation: maxValue, meanActivation: 0,
            dead: density == 0 && maxValue <= 0 && rows.isEmpty, topTokens: topTokens)
    }
}

extension LogitEffects {
    /// The logit tables of a Neuronpedia feature or an SAEDashboard feature: `pos_str` with
    /// `pos_values`, `neg_str` with `neg_values` (each pair the same length), sorted most positive
    /// (most negative) first, ties in file order. Nil when the object has none (Neuronpedia's default
    /// is four empty arrays).
    static func parse(_ o: JSONFields) throws -> LogitEffects? {
        func side(_ strings: String, _ values: String, descending: Bool) throws -> [TokenLogit] {
            let s = o.has(strings) ? try o.requireStrings(strings) : []
            let v = o.has(values) ? try o.requireFloats(values) : []
            guard s.count == v.count else { throw o.error(values, "has \(v.count) entries but \(strings) has \(s.count)") }
            let order = v.indices.sorted { a, b in v[a] != v[b] ? (descending ? v[a] > v[b] : v[a] < v[b]) : a < b }
            return order.map { TokenLogit(token: s[$0], value: v[$0]) }
        }
        let l = LogitEffects(
            positive: try side("pos_str", "pos_values", descending: true),
            negative: try side("neg_str", "neg_values", descending: false))
        return l.isEmpty ? nil : l
    }
}
