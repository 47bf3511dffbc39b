import Foundation

/// The fraction of variance unexplained by a reconstruction, over the real tokens (padding is left
/// out): FVU = sum_t ||x_t - x_hat_t||^2 / sum_t ||x_t - mean(x)||^2, the mean taken per input
/// dimension over the same tokens. The one definition `saex encode` and `saex cache build` share.
///
/// Every sum is exact (`ExactSums`, `Layout.squares`), so that it does not depend on the order of
/// the tokens or on how a corpus is split into --shard parts: the numerator adds each token's
/// squared error (a Double sum over the dimensions in order), the denominator is
/// sum_j (S2_j - S1_j^2 / n) from S1_j = sum x_j and S2_j = sum x_j^2 (each x_j^2 exact in Double).
public enum FVU {
    /// ||x - x_hat||^2 of one row, summed over the dimensions in order in Double.
    @inline(__always)
    public static func squaredError(x: UnsafePointer<Float>, xHat: UnsafePointer<Float>, dIn: Int) -> Double {
        var s: Double = 0
        for j in 0..<dIn {
            let e = Double(x[j]) - Double(xHat[j])
            s += e * e
        }
        return s
    }

    /// The FVU from the rounded sums: `residual` (sum of squared errors), `inputSums` [2 x d_in]
    /// (S1 then S2) over `count` tokens. nil for fewer than 2 tokens, inputs without variance, or a
    /// value that is not a finite number >= 0.
    public static func value(residual: Double, inputSums: UnsafeBufferPointer<Double>, count: Int) -> Double? {
        let dIn = inputSums.count / 2
        guard count >= 2, dIn > 0 else { return nil }
        var total: Double = 0
        for j in 0..<dIn { total += inputSums[dIn + j] - inputSums[j] * inputSums[j] / Double(count) }
        let v = residual / total
        return total > 0 && v.isFinite && v >= 0 ? v : nil
    }
}

/// S1_j = sum x_j and S2_j = sum x_j^2 per input dimension over real tokens, exactly: the FVU's
/// denominator, the same for every dictionary that reads x.
public final class InputMoments: @unchecked Sendable {
    public let dIn: Int
    /// [2 x d_in]: S1, then S2.
    public let sums: ExactSums
    public private(set) var count = 0

    public init(dIn: Int) {
        self.dIn = dIn
        sums = ExactSums(count: 2 * dIn, layout: .squares)
    }

    @inline(__always)
    public func add(row x: UnsafePointer<Float>) {
        for j in 0..<dIn {
            sums.add(x[j], to: j)
            let v = Double(x[j])
            sums.add(v * v, to: dIn + j)
        }
        count += 1
    }
}

/// Streams the FVU of one dictionary (`FVU`) from dense rows and their reconstructions.
public final class FVUAccumulator: @unchecked Sendable {
    public let moments: InputMoments
    public let residual = ExactSums(count: 1, layout: .squares)

    public init(dIn: Int) { moments = InputMoments(dIn: dIn) }

    /// Adds `n` real rows x and their reconstructions x_hat, [n x d_in] each.
    public func add(x: UnsafePointer<Float>, xHat: UnsafePointer<Float>, rows n: Int) {
        let dIn = moments.dIn
        for r in 0..<n {
            moments.add(row: x + r * dIn)
            residual.add(FVU.squaredError(x: x + r * dIn, xHat: xHat + r * dIn, dIn: dIn), to: 0)
        }
    }

    /// nil for fewer than 2 rows or inputs without variance.
    public var value: Double? {
        moments.sums.values().withUnsafeBufferPointer { FVU.value(residual: residual.value(0), inputSums: $0, count: moments.count) }
    }
}
