import Foundation
import Testing
@testable import SAEKit

/// The dense path for heavy tokens (ActivationCorrelation.DensePath) against a brute-force
/// Pearson correlation computed here in plain double loops over dense columns, and against the
/// all-sparse path. The data has what makes the dense path worth having: a few tokens on which
/// most features fire, as on a standard encoder's high-norm tokens.
struct ActivationCorrelationDenseTests {
    static let tokens = 300, featuresA = 40, featuresB = 33

    /// Columns with ~3 active features per ordinary token and ~80% on every 50th token.
    static func columns(features: Int, seed: UInt64) -> (SparseColumns, [[Double]]) {
        var rng = SplitMix(seed: seed)
        var dense = [[Double]](repeating: [Double](repeating: 0, count: tokens), count: features)
        for t in 0..<tokens {
            let heavy = t % 50 == 7
            for f in 0..<features where rng.uniform() < (heavy ? 0.8 : 3.0 / Double(features)) {
                dense[f][t] = Double(Float(0.1 + 5 * rng.uniform()))
            }
        }
        let cols = dense.map { col in col.enumerated().filter { $0.element != 0 }.map { (row: UInt32($0.offset), value: Float($0.element)) }
        }
        return (SparseColumns(rowCount: tokens, columns: cols), dense)
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
    }

    @Test(arguments: [nil, 1, 500, Int.max] as [Int?])
    func heavyTokensGiveTheBruteForceCorrelations(cutoff: Int?) throws {
        let (a, da) = Self.columns(features: Self.featuresA, seed: 11)
        let (b, db) = Self.columns(features: Self.featuresB, seed: 12)
        // cutoff 500: only the heavy tokens (about 32 x 26 active) go dense; 1: every token does.
        let requested = (0..<Self.featuresA).map { [($0 * 7) % Self.featuresB, ($0 * 3 + 1) % Self.featuresB] }
        let r = ActivationCorrelation.topK(a: a, b: b, k: 5, excludeSelf: false, requested: requested, threads: 2, denseCutoff: cutoff)
        for f in 0..<Self.featuresA {
            // Top 5 among co-active features, by the brute-force value.
            var want: [(Int, Double)] = []
            for g in 0..<Self.featuresB where (0..<Self.tokens).contains(where: { da[f][$0] != 0 && db[g][$0] != 0 }) {
                if let c = Self.pearson(da[f], db[g]) { want.append((g, c)) }
            }
            want.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let got = r.top.list(f)
            #expect(got.count == min(5, want.count), "feature \(f): \(got.count) matches, want \(min(5, want.count))")
            for (q, m) in got.enumerated() where q < want.count {
                #expect(abs(Double(m.value) - want[q].1) < 1e-6, "feature \(f) match \(q): \(m.value) vs \(want[q].1)")
            }
            for (q, g) in requested[f].enumerated() {
                let c = Self.pearson(da[f], db[g])
                #expect((r.requested[f][q] == nil) == (c == nil))
                if let c, let v = r.requested[f][q] { #expect(abs(Double(v) - c) < 1e-6, "feature \(f) requested \(g)") }
            }
        }
    }

    @Test func densePathPicksOnlyTheHeavyTokens() {
        let (a, _) = Self.columns(features: Self.featuresA, seed: 11)
        let (b, _) = Self.columns(features: Self.featuresB, seed: 12)
        let d = ActivationCorrelation.DensePath(a: a, bt: ActivationCorrelation.transpose(b), featuresB: Self.featuresB, cutoff: 500)
        defer { d.deallocate() }
        #expect(d.count == 6)  // tokens 7, 57, ..., 257
        #expect((0..<Self.tokens).filter { d.slot[$0] >= 0 } == [7, 57, 107, 157, 207, 257])
    }
}
