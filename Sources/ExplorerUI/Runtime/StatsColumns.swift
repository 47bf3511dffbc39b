import SAEKit

/// Every feature's sortable statistics of one dictionary, read once (on the first sort, filter,
/// search or overview) so later orders never call the source.
final class StatsColumns: @unchecked Sendable {
    let count: Int
    let alpha: [Float]  // NaN = unknown
    let elasticity: [Float]
    let spearman: [Float]
    let density: [Double]
    let maxActivation: [Float]
    let dead: [Bool]
    let hint: [Bool]
    /// Lowercased top tokens joined by newlines, for search.
    let preview: [String]

    init(source: any FeatureSource, dict: Int) {
        let n = source.dictionaries[dict].featureCount
        count = n
        var alpha = [Float](repeating: .nan, count: n), elasticity = alpha, spearman = alpha, maxActivation = alpha
        var density = [Double](repeating: 0, count: n)
        var dead = [Bool](repeating: false, count: n), hint = dead
        var preview = [String](repeating: "", count: n)
        for f in 0..<n {
            let st = source.stats(dict: dict, feature: f)
            alpha[f] = st.alpha ?? .nan
            elasticity[f] = st.elasticity ?? .nan
            spearman[f] = st.normSpearmanActive ?? .nan
            maxActivation[f] = st.maxActivation
            density[f] = st.density
            dead[f] = st.dead
            hint[f] = st.normDetectorHint
            preview[f] = st.topTokens.joined(separator: "\n").lowercased()
        }
        self.alpha = alpha
        self.elasticity = elasticity
        self.spearman = spearman
        self.density = density
        self.maxActivation = maxActivation
        self.dead = dead
        self.hint = hint
        self.preview = preview
    }

    /// The filtered, searched and sorted order, or nil for the identity order.
    func order(_ request: OrderRequest, labels: [Int: FeatureLabel]) -> [Int32]? {
        let query = request.search.lowercased()
        var rows: [Int32] = []
        rows.reserveCapacity(count)
        for f in 0..<count {
            let keep: Bool
            switch request.filter {
            case .all: keep = true
            case .normDetectorHints: keep = hint[f]
            case .unlabelled: keep = labels[f]?.isEmpty ?? true
            case .verdict(let v): keep = labels[f]?.verdict == v
            case .dead: keep = dead[f]
            case .alphaAbove(let t): keep = !alpha[f].isNaN && alpha[f] > t
            }
            guard keep else { continue }
            if !query.isEmpty, !preview[f].contains(query), !(labels[f]?.concept.lowercased().contains(query) ?? false) { continue }
            rows.append(Int32(f))
        }
        let desc = request.sort.descending
        func byFloat(_ values: [Float]) {
            rows.sort { a, b in
                let x = values[Int(a)], y = values[Int(b)]
                if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? a < b : y.isNaN }  // unknown last either way
                if x != y { return desc ? x > y : x < y }
                return a < b
            }
        }
        switch request.sort.column {
        case .feature: if desc { rows.reverse() }
        case .alpha: byFloat(alpha)
        case .elasticity: byFloat(elasticity)
        case .normCorrelation: byFloat(spearman)
        case .maxActivation: byFloat(maxActivation)
        case .density: byFloat(density.map { Float($0) })
        case .label:
            let rank: (Int32) -> Int = { f in
                guard let l = labels[Int(f)], !l.isEmpty else { return Int.max }
                return l.verdict.map { Verdict.allCases.firstIndex(of: $0) ?? 0 } ?? Verdict.allCases.count
            }
            rows.sort { a, b in
                let x = rank(a), y = rank(b)
                if x != y { return (x == Int.max || y == Int.max) ? y == Int.max : (desc ? x > y : x < y) }
                return a < b
            }
        case .topTokens:
            rows.sort { a, b in
                let x = preview[Int(a)], y = preview[Int(b)]
                if x.isEmpty != y.isEmpty { return y.isEmpty }
                if x != y { return desc ? x > y : x < y }
                return a < b
            }
        }
        return rows
    }

    func overview() -> OverviewData {
        let knownAlpha = alpha.filter { !$0.isNaN }
        let knownNorm = spearman.filter { !$0.isNaN }
        let lo = knownAlpha.min() ?? 0, hi = knownAlpha.max() ?? 1
        let range: ClosedRange<Float> = lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
        return OverviewData(
            featureCount: count, dead: dead.filter { $0 }.count, hints: hint.filter { $0 }.count,
            alphaHistogram: knownAlpha.isEmpty ? [] : Charts.histogram(knownAlpha, bins: 48, range: range), alphaRange: range,
            normHistogram: knownNorm.isEmpty ? [] : Charts.histogram(knownNorm, bins: 48, range: -1...1),
            alphaUnknown: count - knownAlpha.count, normUnknown: count - knownNorm.count)
    }
}
