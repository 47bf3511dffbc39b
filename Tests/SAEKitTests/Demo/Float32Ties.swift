import Foundation
@testable import SAEKit

/// Comparing saex's float32 results on the demo with the float64 numpy reference, modulo ties.
///
/// saex encodes in float32 (BLAS, its own summation order), the reference in float64. Every
/// activation saex computes is assumed to lie within `eps * (1 + |reference|)` of the reference
/// value. `encoderReproducesNumpy` checks exactly that premise on the 16 reference tokens
/// (pre-activations and activations), and `topContextsEqualNumpy` on the 160 reference top values.
/// Measured with numpy against the rebuilt demo cache over all 5,027 tokens and 2,048 features of
/// both dictionaries: at most 3.5e-6 relative (9.5e-6 absolute), so 1e-5 has a margin of about 3.
///
/// Under that premise two activations can come out in a different order in saex than in the
/// reference only if their values are within `2 * eps * (1 + |value|)` of each other (`tied`).
/// Anything that depends only on order (top-k lists, rank correlations) is then fixed except for
/// such ties, and the tests allow exactly that freedom and nothing else.
enum Float32Ties {
    static let eps = 1e-5

    /// An F64 tensor's values at full precision (`TensorView.floats()` rounds to float32, which
    /// alone would move a reference statistic by up to 6e-8).
    static func float64s(_ t: TensorView) throws -> [Double] {
        guard t.dtype == .f64 else {
            throw SAEKitError(
                .badInput, path: t.name, reason: "expected F64, found \(t.dtype.rawValue)", remedy: "regenerate the reference")
        }
        return (0..<t.elementCount).map { i in
            Double(bitPattern: UInt64(littleEndian: t.rawBytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        }
    }

    /// Whether `a` and `b` (values on one side, saex's or the reference's) may be ordered
    /// differently on the other side. The small extra factor covers measuring the tolerance from
    /// saex's value instead of the reference's (1 + |saex| <= (1 + |ref|) * (1 + eps)).
    static func tied(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 2 * eps * (1 + eps) * (1 + max(abs(a), abs(b)))
    }

    /// Whether saex's `value` agrees with the reference's within the premise.
    static func agrees(_ value: Double, _ reference: Double) -> Bool {
        abs(value - reference) <= eps * (1 + abs(reference))
    }

    /// Spearman correlation with average ranks for ties (scipy.stats.spearmanr); nil if either
    /// side is constant.
    static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        let rx = averageRanks(x), ry = averageRanks(y)
        let n = Double(x.count)
        let mx = rx.reduce(0, +) / n, my = ry.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// 1-based ranks, equal values sharing the average of their ranks.
    static func averageRanks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var ranks = [Double](repeating: 0, count: v.count)
        var s = 0
        while s < order.count {
            var e = s + 1
            while e < order.count && v[order[e]] == v[order[s]] { e += 1 }
            let r = Double(s + e + 1) / 2  // mean of s+1 ... e
            for i in s..<e { ranks[order[i]] = r }
            s = e
        }
        return ranks
    }

    /// The range that the reference's Spearman correlation of activation with norm, over a
    /// feature's active tokens, can take given saex's `values` and `norms` for those tokens.
    ///
    /// - Activations: sorted by saex's value and cut wherever two neighbours are not `tied`, the
    ///   tokens fall into groups; two tokens in different groups have the same order in both, so
    ///   the reference ranks of a group are its own block of consecutive ranks, in any order.
    /// - Norms: saex stores ‖x‖ as float32 rounded from float64, and rounding is monotonic, so
    ///   the order of the norms is the reference's except where two round to the same float32
    ///   (4 pairs of the 5,027 tokens); there saex averages the ranks and the reference (no ties
    ///   in float64) has them in some order.
    /// - The reference has no ties among any feature's active values or among the norms (checked
    ///   with numpy), so its Spearman is Σ(a−m)(b−m) / ((n³−n)/12) with a, b permutations of
    ///   1...n. The extreme sums over the activation groups follow from the rearrangement
    ///   inequality (sort the group's ranks with or against the norm ranks); each float32 norm tie
    ///   of k tokens can add at most (k²/4)(spread of the possible activation ranks)/2 on top.
    ///
    /// Without ties the range is one point: the Spearman of saex's own ordering.
    static func spearmanRange(values: [Double], norms: [Double]) -> ClosedRange<Double> {
        let n = values.count
        let mean = Double(n + 1) / 2
        let normRanks = averageRanks(norms)
        let order = values.indices.sorted { values[$0] < values[$1] }
        var low = 0.0, high = 0.0
        var rankLow = [Double](repeating: 0, count: n), rankHigh = [Double](repeating: 0, count: n)
        var s = 0
        while s < n {
            var e = s + 1
            while e < n && tied(values[order[e - 1]], values[order[e]]) { e += 1 }
            let ranks = (s..<e).map { Double($0 + 1) - mean }
            let b = order[s..<e].map { normRanks[$0] - mean }.sorted()
            for (r, x) in zip(ranks, b) { high += r * x }
            for (r, x) in zip(ranks.reversed(), b) { low += r * x }
            for i in s..<e {
                rankLow[order[i]] = Double(s + 1)
                rankHigh[order[i]] = Double(e)
            }
            s = e
        }
        var slack = 0.0
        let byNorm = norms.indices.sorted { norms[$0] < norms[$1] }
        s = 0
        while s < n {
            var e = s + 1
            while e < n && norms[byNorm[e]] == norms[byNorm[s]] { e += 1 }
            if e - s > 1 {
                let group = byNorm[s..<e]
                let spread = group.map { rankHigh[$0] }.max()! - group.map { rankLow[$0] }.min()!
                let k = Double(e - s)
                slack += spread * (k * k / 4) / 2
            }
            s = e
        }
        let variance = (Double(n) * Double(n) * Double(n) - Double(n)) / 12
        return ((low - slack) / variance)...((high + slack) / variance)
    }

    /// Checks saex's top contexts against the reference's, best first, modulo ties: each
    /// reference group of `tied` values must fill its own positions in saex's list in some order;
    /// the last group of a full list (`full`: the reference listed only the best `reference.count`)
    /// may also share its places with unlisted contexts tied with the reference's last value.
    /// Returns the problems found (empty when the lists agree).
    static func compareTop(
        saex: [(sequence: Int, position: Int, value: Double)],
        reference: [(sequence: Int, position: Int, value: Double)], full: Bool
    ) -> [String] {
        var problems: [String] = []
        let k = reference.count
        guard saex.count >= k else { return ["saex lists \(saex.count) contexts, the reference \(k)"] }
        if !full && saex.count != k { problems.append("saex lists \(saex.count) contexts, the reference all \(k)") }
        func key(_ c: (sequence: Int, position: Int, value: Double)) -> [Int] { [c.sequence, c.position] }
        let referenceKeys = Set(reference.map(key))
        var s = 0
        while s < k {
            var e = s + 1
            while e < k && tied(reference[e - 1].value, reference[e].value) { e += 1 }
            let group = Set(reference[s..<e].map(key))
            let last = reference[e - 1].value
            for j in s..<e {
                let c = saex[j]
                if group.contains(key(c)) { continue }
                if full && e == k && !referenceKeys.contains(key(c)) && tied(c.value, last) { continue }
                problems.append(
                    "position \(j): (\(c.sequence), \(c.position)) = \(c.value) is not one of the reference's tied contexts \(reference[s..<e].map { "(\($0.sequence), \($0.position)) = \($0.value)" })"
                )
            }
            s = e
        }
        // Values where both list the same context (the premise, checked on these 160 values).
        let saexValues = Dictionary(saex.map { (key($0), $0.value) }, uniquingKeysWith: { a, _ in a })
        for r in reference {
            if let v = saexValues[key(r)], !agrees(v, r.value) {
                problems.append("(\(r.sequence), \(r.position)): saex \(v), reference \(r.value)")
            }
        }
        return problems
    }
}
