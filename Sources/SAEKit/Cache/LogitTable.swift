/// Every feature's logit effects: the `count` tokens whose logits its decoder direction raises most
/// and lowers most, through the final norm's weight into the unembedding (docs/ANALYSIS.md):
///
///     effect_i = (W_dec[i] - mean(W_dec[i]) for a LayerNorm) * normScale @ W_U
///
/// computed with one sgemm per block of features (so the [features, d_vocab] product is never
/// whole in memory), each block's rows searched for their extremes in parallel.
public struct LogitTable: Sendable, Equatable {
    /// Tokens kept on each side.
    public static let defaultCount = 10
    /// Bytes of logits held at once: the block of features one sgemm computes.
    public static let defaultBlockBytes = 64 << 20

    public let featureCount: Int
    public let count: Int
    /// [featureCount, count], most positive first; ties to the lower token id; -1 pads a row with fewer values.
    public var positiveIDs: [Int32]
    public var positiveValues: [Float]
    /// [featureCount, count], most negative first; ties to the lower token id.
    public var negativeIDs: [Int32]
    public var negativeValues: [Float]

    public init(
        featureCount: Int, count: Int, positiveIDs: [Int32], positiveValues: [Float], negativeIDs: [Int32],
        negativeValues: [Float]
    ) {
        self.featureCount = featureCount
        self.count = count
        self.positiveIDs = positiveIDs
        self.positiveValues = positiveValues
        self.negativeIDs = negativeIDs
        self.negativeValues = negativeValues
    }

    /// Feature `f`'s effects, with token ids shown through `tokenText`.
    public func effects(feature f: Int, tokenText: (Int) -> String) -> LogitEffects {
        func side(_ ids: [Int32], _ values: [Float]) -> [TokenLogit] {
            (f * count..<(f + 1) * count).compactMap { k in
                ids[k] < 0 ? nil : TokenLogit(token: tokenText(Int(ids[k])), value: values[k], id: Int(ids[k]))
            }
        }
        return LogitEffects(positive: side(positiveIDs, positiveValues), negative: side(negativeIDs, negativeValues))
    }

    /// The table of the `features` x `dIn` decoder rows `decoder` (row-major) through `unembedding`.
    /// `blockBytes` bounds the block of logits held at once.
    public static func compute(
        decoder: UnsafePointer<Float>, features: Int, dIn: Int, unembedding u: Unembedding,
        count: Int = defaultCount, blockBytes: Int = defaultBlockBytes,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> LogitTable {
        precondition(dIn == u.dModel)
        let v = u.dVocab
        let k = min(count, v)
        let noIDs = [Int32](repeating: -1, count: features * k), noValues = [Float](repeating: .nan, count: features * k)
        var table = LogitTable(
            featureCount: features, count: k, positiveIDs: noIDs, positiveValues: noValues, negativeIDs: noIDs,
            negativeValues: noValues)
        guard features > 0, k > 0 else { return table }
        let rows = max(1, min(features, blockBytes / (4 * v)))
        // At least BLAS.stableRows rows per product (zeros past the real ones), so a feature's logits
        // do not depend on the block size.
        let capacity = max(rows, BLAS.stableRows)
        let directions = UnsafeMutablePointer<Float>.allocate(capacity: capacity * dIn)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: capacity * v)
        defer { directions.deallocate(); logits.deallocate() }
        var start = 0
        while start < features {
            let n = min(rows, features - start)
            for r in 0..<n { u.direction(decoder + (start + r) * dIn, into: directions + r * dIn) }
            let m = max(n, BLAS.stableRows)
            if m > n { (directions + n * dIn).initialize(repeating: 0, count: (m - n) * dIn) }
            BLAS.gemm(m: m, n: v, k: dIn, a: directions, lda: dIn, b: u.wU.pointer, ldb: v, bTransposed: false, c: logits, ldc: v)
            table.positiveIDs.withUnsafeMutableBufferPointer { pi in
                table.positiveValues.withUnsafeMutableBufferPointer { pv in
                    table.negativeIDs.withUnsafeMutableBufferPointer { ni in
                        table.negativeValues.withUnsafeMutableBufferPointer { nv in
                            nonisolated(unsafe) let out = (pi.baseAddress!, pv.baseAddress!, ni.baseAddress!, nv.baseAddress!)
                            nonisolated(unsafe) let block = logits
                            let base = start
                            Parallel.forEach(n) { r in
                                let o = (base + r) * k
                                extremes(
                                    block + r * v, count: v, keep: k, topIDs: out.0 + o, topValues: out.1 + o,
                                    bottomIDs: out.2 + o, bottomValues: out.3 + o)
                            }
                        }
                    }
                }
            }
            start += n
            progress(start, features)
        }
        return table
    }

    /// The `keep` largest and `keep` smallest of `values` (NaN skipped), largest (smallest) first,
    /// ties to the lower index; unused slots keep their -1 / NaN.
    static func extremes(
        _ values: UnsafePointer<Float>, count n: Int, keep: Int, topIDs: UnsafeMutablePointer<Int32>,
        topValues: UnsafeMutablePointer<Float>, bottomIDs: UnsafeMutablePointer<Int32>,
        bottomValues: UnsafeMutablePointer<Float>
    ) {
        var top = Kept(ids: topIDs, values: topValues, keep: keep, largest: true)
        var bottom = Kept(ids: bottomIDs, values: bottomValues, keep: keep, largest: false)
        for i in 0..<n where !values[i].isNaN {
            top.offer(values[i], i)
            bottom.offer(values[i], i)
        }
    }

    /// The best `keep` values offered so far, best first, kept sorted by insertion.
    struct Kept {
        let ids: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Float>
        let keep: Int
        let largest: Bool
        var count = 0

        @inline(__always) func better(_ a: Float, _ b: Float) -> Bool { largest ? a > b : a < b }

        /// Keeps `x` (at index `i`) when it is strictly better than the worst kept value: an equal
        /// value at a higher index loses the tie.
        @inline(__always) mutating func offer(_ x: Float, _ i: Int) {
            guard count < keep || better(x, values[keep - 1]) else { return }
            var j = min(count, keep - 1)
            while j > 0 && better(x, values[j - 1]) {
                values[j] = values[j - 1]
                ids[j] = ids[j - 1]
                j -= 1
            }
            values[j] = x
            ids[j] = Int32(i)
            count = min(count + 1, keep)
        }
    }
}

extension Unembedding {
    /// The direction `d` (a decoder row of d_model values) as the unembedding reads it: centred for a
    /// LayerNorm (which removes the mean before anything else), then scaled by the norm's weight.
    func direction(_ d: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var mean: Float = 0
        if finalNorm == .layerNorm {
            var s: Double = 0
            for j in 0..<dModel { s += Double(d[j]) }
            mean = Float(s / Double(dModel))
        }
        if let scale = normScale {
            for j in 0..<dModel { out[j] = (d[j] - mean) * scale[j] }
        } else {
            for j in 0..<dModel { out[j] = d[j] - mean }
        }
    }
}
