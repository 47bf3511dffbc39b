/// Per-feature numbers read from the weights alone.
///
/// Encoder column i is W_enc[:, i] (the gate path for gated dictionaries), decoder row i is
/// W_dec[i, :]. The cosine between them is nil when either norm is zero.
public struct WeightStatistics: Sendable, Equatable {
    /// ||W_dec[i, :]||.
    public var decoderNorms: [Float]
    /// ||W_enc[:, i]||.
    public var encoderNorms: [Float]
    /// cos(W_enc[:, i], W_dec[i, :]).
    public var encoderDecoderCosines: [Float?]

    public init(decoderNorms: [Float], encoderNorms: [Float], encoderDecoderCosines: [Float?]) {
        self.decoderNorms = decoderNorms
        self.encoderNorms = encoderNorms
        self.encoderDecoderCosines = encoderDecoderCosines
    }

    /// Computes all three from the dictionary, in double precision.
    public init(dictionary d: SAEDictionary) {
        let n = d.dSAE, dim = d.dIn
        var encSq = [Double](repeating: 0, count: n)
        var dot = [Double](repeating: 0, count: n)
        var decSq = [Double](repeating: 0, count: n)
        let dec = d.wDec.pointer, enc = d.wEnc.pointer
        for i in 0..<n {
            let row = dec + i * dim
            var s = 0.0
            for j in 0..<dim { let v = Double(row[j]); s += v * v }
            decSq[i] = s
        }
        if d.encoderIsFeatureMajor {
            for i in 0..<n {
                let e = enc + i * dim, r = dec + i * dim
                var s = 0.0, p = 0.0
                for j in 0..<dim { let v = Double(e[j]); s += v * v; p += v * Double(r[j]) }
                encSq[i] = s
                dot[i] = p
            }
        } else {
            // [d_in, d_sae]: walk input rows, a block of features at a time so decoder rows stay in cache.
            let block = 64
            var f0 = 0
            while f0 < n {
                let f1 = min(n, f0 + block)
                for j in 0..<dim {
                    let e = enc + j * n
                    for i in f0..<f1 {
                        let v = Double(e[i])
                        encSq[i] += v * v
                        dot[i] += v * Double(dec[i * dim + j])
                    }
                }
                f0 = f1
            }
        }
        decoderNorms = decSq.map { Float($0.squareRoot()) }
        encoderNorms = encSq.map { Float($0.squareRoot()) }
        encoderDecoderCosines = (0..<n).map { i in
            let den = (encSq[i] * decSq[i]).squareRoot()
            return den > 0 ? Float(min(1, max(-1, dot[i] / den))) : nil
        }
    }

    /// ||W_dec[i, :]|| per feature.
    static func decoderNorms(_ d: SAEDictionary) -> [Float] {
        (0..<d.dSAE).map { BLAS.norm(d.dIn, d.wDec.pointer + $0 * d.dIn) }
    }
}

/// Alpha per feature: 1 for inner-product dictionaries, the stored alpha for cosine ones.
public enum FeatureAlphas {
    public static func values(of d: SAEDictionary) -> [Float] {
        (0..<d.dSAE).map { d.alpha($0) }
    }
}
