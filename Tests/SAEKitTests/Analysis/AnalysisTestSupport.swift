import Foundation
@testable import SAEKit

/// Small builders shared by the analysis tests.
enum AnalysisFixtures {
    /// Sparse columns from dense per-feature activations ([feature][token]).
    static func columns(_ dense: [[Float]]) -> SparseColumns {
        let n = dense.first?.count ?? 0
        return SparseColumns(
            rowCount: n,
            columns: dense.map { col in
                col.enumerated().compactMap { $0.element != 0 ? (row: UInt32($0.offset), value: $0.element) : nil }
            })
    }

    /// A dictionary with the given weights; inner product unless `score` says otherwise.
    static func dictionary(
        wDec: [Float], wEnc: [Float], dIn: Int, dSAE: Int, score: Score = .innerProduct,
        rule: ActivationRule = .relu
    ) -> SAEDictionary {
        SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: FloatStorage(wEnc), encoderIsFeatureMajor: false,
            bEnc: [Float](repeating: 0, count: dSAE), wDec: FloatStorage(wDec), bDec: [Float](repeating: 0, count: dIn),
            applyBDecToInput: false, rule: rule, score: score,
            rescaleActsByDecoderNorm: false, normalization: .none,
            metadata: DictionaryMetadata(format: .cosine, architecture: "test", dtype: "F32", path: "test"), fingerprint: "test")
    }

    /// Deterministic pseudo-random numbers (SplitMix64) so tests need no global RNG state.
    struct Random {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func uniform() -> Double { generator.nextUnit() }
        mutating func normal() -> Float {
            let u1 = max(uniform(), 1e-12), u2 = uniform()
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }
}

/// Straightforward dense references (O(n^2) ranks), independent of the sparse code under test.
enum DenseReference {
    static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var c = 0.0, va = 0.0, vb = 0.0
        for i in 0..<a.count { c += (a[i] - ma) * (b[i] - mb); va += (a[i] - ma) * (a[i] - ma); vb += (b[i] - mb) * (b[i] - mb) }
        return va > 1e-24 && vb > 1e-24 ? c / (va * vb).squareRoot() : nil
    }

    /// Average ranks by counting: rank = #less + (#equal + 1) / 2.
    static func ranks(_ a: [Double]) -> [Double] {
        a.map { v in
            let less = a.filter { $0 < v }.count, equal = a.filter { $0 == v }.count
            return Double(less) + Double(equal + 1) / 2
        }
    }

    static func spearman(_ a: [Double], _ b: [Double]) -> Double? { pearson(ranks(a), ranks(b)) }
}
