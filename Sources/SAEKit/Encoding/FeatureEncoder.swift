import CVecMath
import Foundation

/// Encodes activations with a dictionary exactly as its trainer does, in batches through BLAS.
///
/// Pre-activations: u = normalise(x) - b_dec (when applied); inner product pre = u W_enc + b_enc;
/// cosine pre_i = cos(W_enc[:, i], u) * ||u||^alpha_i + b_enc_i, computed as
/// (u . W_enc[:, i]) * ||u||^(alpha_i - 1) / ||W_enc[:, i]|| + b_enc_i from the same sgemm, with
/// u = 0 or a zero encoder column giving b_enc_i. Then the activation rule (docs/FORMATS.md).
public struct FeatureEncoder: Sendable {
    public let dictionary: SAEDictionary
    /// ||W_enc[:, i]|| per feature.
    public let encoderNorms: [Float]
    /// ||W_dec[i, :]|| per feature.
    public let decoderNorms: [Float]
    /// W_enc * exp(r_mag) for gated dictionaries, in W_enc's layout.
    private let magnitudeWeights: FloatStorage?

    public init(_ d: SAEDictionary) {
        dictionary = d
        var enc = [Float](repeating: 0, count: d.dSAE)
        if d.encoderIsFeatureMajor {
            for i in 0..<d.dSAE { enc[i] = BLAS.norm(d.dIn, d.wEnc.pointer + i * d.dIn) }
        } else {
            var acc = [Double](repeating: 0, count: d.dSAE)
            let w = d.wEnc.pointer
            for j in 0..<d.dIn {
                let row = w + j * d.dSAE
                for i in 0..<d.dSAE { let v = Double(row[i]); acc[i] += v * v }
            }
            for i in 0..<d.dSAE { enc[i] = Float(acc[i].squareRoot()) }
        }
        encoderNorms = enc
        decoderNorms = (0..<d.dSAE).map { BLAS.norm(d.dIn, d.wDec.pointer + $0 * d.dIn) }
        if case .gated(let path) = d.rule {
            let scale = path.rMag.map { Float(exp(Double($0))) }
            magnitudeWeights = FloatStorage(count: d.dIn * d.dSAE) { dst in
                for j in 0..<d.dIn {
                    for i in 0..<d.dSAE {
                        let idx = d.encoderIsFeatureMajor ? i * d.dIn + j : j * d.dSAE + i
                        dst[idx] = d.wEnc.pointer[idx] * scale[i]
                    }
                }
            }
        } else {
            magnitudeWeights = nil
        }
    }

    /// Rows per batch that keep the two [rows x d_sae] buffers near `bytes`.
    public func batchRows(memoryBudget bytes: Int = 256 << 20) -> Int {
        max(1, min(8192, bytes / max(1, 8 * dictionary.dSAE)))
    }

    /// Per-row values needed to undo the input normalisation after decoding.
    public struct InputTransform {
        public var scale: [Float]
        public var shift: [Float]
    }

    /// Writes normalise(x) - b_dec (when applied) into `u`; returns how to undo the normalisation.
    @discardableResult
    public func prepareInput(_ x: UnsafePointer<Float>, rows n: Int, into u: UnsafeMutablePointer<Float>) -> InputTransform {
        let d = dictionary
        let dIn = d.dIn
        var scale = [Float](repeating: 1, count: n)
        var shift = [Float](repeating: 0, count: n)
        for r in 0..<n {
            let src = x + r * dIn
            let dst = u + r * dIn
            switch d.normalization {
            case .none:
                dst.update(from: src, count: dIn)
            case .constantScale(let s):
                for j in 0..<dIn { dst[j] = src[j] * s }
                scale[r] = 1 / s
            case .constantNormRescale:
                let nrm = BLAS.norm(dIn, src)
                let s: Float = nrm > 0 ? Float(dIn).squareRoot() / nrm : 1
                for j in 0..<dIn { dst[j] = src[j] * s }
                scale[r] = 1 / s
            case .layerNorm:
                var mean: Double = 0
                for j in 0..<dIn { mean += Double(src[j]) }
                mean /= Double(dIn)
                var v: Double = 0
                for j in 0..<dIn { let c = Double(src[j]) - mean; v += c * c }
                let std = (v / Double(dIn)).squareRoot() + 1e-5  // SAELens: (x - mu) / (std + eps)
                for j in 0..<dIn { dst[j] = Float((Double(src[j]) - mean) / std) }
                scale[r] = Float(std)
                shift[r] = Float(mean)
            }
            if d.applyBDecToInput {
                d.bDec.withUnsafeBufferPointer { b in for j in 0..<dIn { dst[j] -= b[j] } }
            }
        }
        return InputTransform(scale: scale, shift: shift)
    }

    /// Pre-activations of `n` prepared rows `u` (from `prepareInput`) into `pre` [n x d_sae].
    /// For gated dictionaries `pre` is the magnitude path and `gate` receives the gate path.
    public func preActivations(
        _ u: UnsafePointer<Float>, rows n: Int, into pre: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>? = nil
    ) {
        let d = dictionary
        let dIn = d.dIn, dSAE = d.dSAE
        let ldb = d.encoderIsFeatureMajor ? dIn : dSAE
        if let wMag = magnitudeWeights, case .gated(let path) = d.rule {
            BLAS.gemm(
                m: n, n: dSAE, k: dIn, a: u, lda: dIn, b: wMag.pointer, ldb: ldb, bTransposed: d.encoderIsFeatureMajor, c: pre, ldc: dSAE)
            let bMag = d.bEnc, bGate = path.bGate
            for r in 0..<n { let row = pre + r * dSAE; for i in 0..<dSAE { row[i] += bMag[i] } }
            if let gate {
                BLAS.gemm(
                    m: n, n: dSAE, k: dIn, a: u, lda: dIn, b: d.wEnc.pointer, ldb: ldb, bTransposed: d.encoderIsFeatureMajor, c: gate,
                    ldc: dSAE)
                for r in 0..<n { let row = gate + r * dSAE; for i in 0..<dSAE { row[i] += bGate[i] } }
            }
            return
        }
        BLAS.gemm(
            m: n, n: dSAE, k: dIn, a: u, lda: dIn, b: d.wEnc.pointer, ldb: ldb, bTransposed: d.encoderIsFeatureMajor, c: pre, ldc: dSAE)
        let bEnc = d.bEnc
        switch d.score {
        case .innerProduct:
            bEnc.withUnsafeBufferPointer { b in
                for r in 0..<n {
                    let row = pre + r * dSAE
                    for i in 0..<dSAE { row[i] += b[i] }
                }
            }
        case .cosine(let alpha):
            let invEnc = encoderNorms.map { $0 > 0 ? 1 / $0 : 0 }
            var scale = [Float](repeating: 0, count: dSAE)
            for r in 0..<n {
                let row = pre + r * dSAE
                let un = Double(BLAS.norm(dIn, u + r * dIn))
                if un == 0 {
                    for i in 0..<dSAE { row[i] = bEnc[i] }
                    continue
                }
                switch alpha {
                case .global(let a):
                    let f = Float(pow(un, Double(a) - 1))
                    for i in 0..<dSAE { row[i] = row[i] * f * invEnc[i] + bEnc[i] }
                case .perFeature(let a):
                    // ||u||^(a_i - 1) = exp((a_i - 1) log ||u||), in bulk through libmvec.
                    let logU = Float(log(un))
                    for i in 0..<dSAE { scale[i] = (a[i] - 1) * logU }
                    saex_expf_inplace(&scale, dSAE)
                    for i in 0..<dSAE { row[i] = row[i] * scale[i] * invEnc[i] + bEnc[i] }
                }
            }
        }
        if d.rescaleActsByDecoderNorm {
            for r in 0..<n {
                let row = pre + r * dSAE
                for i in 0..<dSAE { row[i] *= decoderNorms[i] }
            }
        }
    }

    /// Applies the activation rule to `pre` [n x d_sae], writing `acts`. `gate` is required for gated dictionaries.
    public func activate(
        _ pre: UnsafePointer<Float>, rows n: Int, into acts: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>? = nil
    ) {
        let d = dictionary
        let dSAE = d.dSAE
        switch d.rule {
        case .relu:
            for idx in 0..<(n * dSAE) { acts[idx] = max(pre[idx], 0) }
        case .jumpReLU(let t):
            for r in 0..<n {
                let p = pre + r * dSAE, a = acts + r * dSAE
                for i in 0..<dSAE { let v = p[i]; a[i] = (v > t[i] && v > 0) ? v : 0 }
            }
        case .batchTopKThreshold(let t):
            let tf = Float(t)
            for idx in 0..<(n * dSAE) { let v = pre[idx]; acts[idx] = (v > tf && v > 0) ? v : 0 }
        case .gated:
            guard let gate else { preconditionFailure("gated activation needs the gate pre-activations") }
            for idx in 0..<(n * dSAE) { acts[idx] = gate[idx] > 0 ? max(pre[idx], 0) : 0 }
        case .topK(let k):
            let kk = min(k, dSAE)
            var heap = TopKSelector(capacity: kk)
            for r in 0..<n {
                let p = pre + r * dSAE, a = acts + r * dSAE
                heap.reset()
                for i in 0..<dSAE { heap.offer(value: p[i], index: i) }
                a.update(repeating: 0, count: dSAE)
                for (v, i) in heap.items where v > 0 { a[i] = v }
            }
        }
    }

    /// Encodes `n` rows of x [n x d_in] into `acts` [n x d_sae]; optionally also keeps `pre`.
    public func encode(
        _ x: UnsafePointer<Float>, rows n: Int, into acts: UnsafeMutablePointer<Float>, pre preOut: UnsafeMutablePointer<Float>? = nil
    ) {
        let d = dictionary
        let u = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * d.dIn))
        defer { u.deallocate() }
        prepareInput(x, rows: n, into: u)
        let pre = preOut ?? UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * d.dSAE))
        defer { if preOut == nil { pre.deallocate() } }
        var gate: UnsafeMutablePointer<Float>?
        if d.rule.isGated { gate = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * d.dSAE)) }
        defer { gate?.deallocate() }
        preActivations(u, rows: n, into: pre, gate: gate)
        activate(pre, rows: n, into: acts, gate: gate)
    }

    /// Convenience: encodes an array of rows.
    public func encode(_ x: [Float], rows n: Int) -> [Float] {
        precondition(x.count == n * dictionary.dIn)
        var out = [Float](repeating: 0, count: n * dictionary.dSAE)
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { o in encode(xs.baseAddress!, rows: n, into: o.baseAddress!) }
        }
        return out
    }

    /// Reconstructs x_hat [n x d_in] from `acts` [n x d_sae], undoing decoder-norm rescaling and the input transform.
    public func decode(_ acts: UnsafePointer<Float>, rows n: Int, transform: InputTransform?, into out: UnsafeMutablePointer<Float>) {
        let d = dictionary
        let dIn = d.dIn, dSAE = d.dSAE
        var src = acts
        var scaled: UnsafeMutablePointer<Float>?
        if d.rescaleActsByDecoderNorm {
            let s = UnsafeMutablePointer<Float>.allocate(capacity: n * dSAE)
            for r in 0..<n { for i in 0..<dSAE { s[r * dSAE + i] = decoderCoefficient(i, acts[r * dSAE + i]) } }
            scaled = s
            src = UnsafePointer(s)
        }
        defer { scaled?.deallocate() }
        BLAS.gemm(m: n, n: dIn, k: dSAE, a: src, lda: dSAE, b: d.wDec.pointer, ldb: dIn, bTransposed: false, c: out, ldc: dIn)
        for r in 0..<n { finishReconstruction(out + r * dIn, transform: transform, row: r) }
    }

    /// What feature i's decoder row is multiplied by for activation `a`: `a`, or with
    /// `rescale_acts_by_decoder_norm` a / ||W_dec[i]|| (0 for a zero row).
    @inline(__always)
    func decoderCoefficient(_ i: Int, _ a: Float) -> Float {
        guard dictionary.rescaleActsByDecoderNorm else { return a }
        let nrm = decoderNorms[i]
        return nrm > 0 ? a / nrm : 0
    }

    /// Adds feature i's share of the reconstruction, coefficient x W_dec[i], to `row` [d_in]: one
    /// row of `decode` from its nonzeros alone (L0 x d_in operations instead of d_sae x d_in).
    /// Start from a zero row, add every nonzero, then `finishReconstruction`.
    @inline(__always)
    public func accumulate(feature i: Int, activation a: Float, into row: UnsafeMutablePointer<Float>) {
        let dIn = dictionary.dIn
        let c = decoderCoefficient(i, a)
        let w = dictionary.wDec.pointer + i * dIn
        for j in 0..<dIn { row[j] += c * w[j] }
    }

    /// Turns f W_dec (one row) into x_hat: adds b_dec and undoes row `r`'s input normalisation.
    public func finishReconstruction(_ out: UnsafeMutablePointer<Float>, transform: InputTransform?, row r: Int) {
        let d = dictionary
        for j in 0..<d.dIn { out[j] += d.bDec[j] }
        if let t = transform {
            for j in 0..<d.dIn { out[j] = out[j] * t.scale[r] + t.shift[r] }
        }
    }
}

/// Keeps the k largest (value, index) pairs seen; ties keep the lower index.
typealias TopKSelector = BoundedHeap<LargestValuesOrder>

/// Orders (value, index) by value, then by -index: the root is the weakest kept item.
enum LargestValuesOrder: KeepOrder {
    @inline(__always)
    static func weaker(_ a: (Float, Int), _ b: (Float, Int)) -> Bool { a.0 < b.0 || (a.0 == b.0 && a.1 > b.1) }
}

extension BoundedHeap where Order == LargestValuesOrder {
    @inline(__always)
    mutating func offer(value: Float, index: Int) { offer((value, index)) }
}
