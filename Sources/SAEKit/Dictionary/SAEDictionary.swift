/// How pre-activations become feature activations. Each rule carries the parameters it needs,
/// so a JumpReLU without thresholds or a gated rule without its gate cannot be built.
public enum ActivationRule: Sendable, Equatable {
    /// f = max(pre, 0).
    case relu
    /// Keep the k largest pre-activations of each token, then ReLU them.
    case topK(k: Int)
    /// f = pre where pre > thresholds[i] (per feature, [d_sae]), else 0 (SAELens jumprelu; BatchTopK at inference).
    case jumpReLU(thresholds: [Float])
    /// f = pre where pre > t (one scalar), else 0: a raw SAELens BatchTopK checkpoint's `topk_threshold`.
    case batchTopKThreshold(Double)
    /// f = 1[u W_enc + b_gate > 0] * ReLU(u (W_enc * exp(r_mag)) + b_mag) (SAELens gated); the
    /// dictionary's `bEnc` holds b_mag, the bias of the magnitude path that gives the value.
    case gated(GatedPath)

    /// True for `.gated`: the encoder then computes a second (gate) pre-activation.
    public var isGated: Bool {
        if case .gated = self { return true }
        return false
    }

    /// The rule's name; part of the dictionary fingerprint, so it must not change.
    public var description: String {
        switch self {
        case .relu: return "ReLU"
        case .topK(let k): return "TopK (k = \(k))"
        case .jumpReLU: return "JumpReLU (per-feature threshold)"
        case .batchTopKThreshold(let t): return "BatchTopK threshold \(t)"
        case .gated: return "gated"
        }
    }
}

/// The extra parameters of a gated SAE: the gate's bias and the magnitude path's log scale.
public struct GatedPath: Sendable, Equatable {
    /// b_gate [d_sae]: the gate is open where u W_enc + b_gate > 0.
    public var bGate: [Float]
    /// r_mag [d_sae]: the magnitude path uses W_enc * exp(r_mag).
    public var rMag: [Float]
}

/// The learned magnitude exponent of a cosine-scored dictionary.
public enum AlphaSpec: Sendable, Equatable {
    /// One alpha for the whole dictionary.
    case global(Float)
    /// One alpha per feature.
    case perFeature([Float])

    public func value(_ feature: Int) -> Float {
        switch self {
        case .global(let a): return a
        case .perFeature(let v): return v[feature]
        }
    }

    public var values: [Float] {
        switch self {
        case .global(let a): return [a]
        case .perFeature(let v): return v
        }
    }
}

/// How a feature's pre-activation is scored.
public enum Score: Sendable, Equatable {
    /// pre_i = u . W_enc[:, i] + b_enc_i.
    case innerProduct
    /// pre_i = cos(W_enc[:, i], u) * ||u||^alpha_i + b_enc_i; u = 0 gives b_enc_i.
    case cosine(AlphaSpec)

    /// Which score, without its parameters: what caches, summaries and browsers record.
    public enum Kind: String, Sendable, Codable, Equatable {
        /// w . u + b: activation grows with the input norm.
        case innerProduct = "inner_product"
        /// cos(w, u) * ||u||^alpha + b.
        case cosine
        /// Not known (imported caches).
        case unknown
    }

    public var kind: Kind {
        switch self {
        case .innerProduct: return .innerProduct
        case .cosine: return .cosine
        }
    }
}

/// What is done to x before encoding (and undone after decoding), as SAELens's `normalize_activations`.
public enum InputNormalization: Sendable, Equatable {
    case none
    /// x * s in, x_hat / s out (`expected_average_only_in` with `activation_scaler.json`).
    case constantScale(Float)
    /// x * sqrt(d_in) / ||x|| in, x_hat * ||x|| / sqrt(d_in) out (`constant_norm_rescale`).
    case constantNormRescale
    /// (x - mean) / std per token in, x_hat * std + mean out (`layer_norm`).
    case layerNorm

    public var description: String {
        switch self {
        case .none: return "none"
        case .constantScale(let s): return "x * \(s) (expected_average_only_in)"
        case .constantNormRescale: return "constant_norm_rescale"
        case .layerNorm: return "layer_norm"
        }
    }
}

/// The ecosystem format a dictionary was read from.
public enum DictionaryFormat: String, Sendable, Equatable {
    case saeLensV6 = "SAELens v6"
    case saeLensV5 = "SAELens v5 (flat config)"
    case sparsify = "sparsify"
    case gemmaScope = "Gemma Scope params.npz"
    case cosine = "saex cosine"
}

/// Where a dictionary came from and what it was trained on.
public struct DictionaryMetadata: Sendable, Equatable {
    public var format: DictionaryFormat
    /// The architecture as written ("standard", "topk", "jumprelu", "gated", "batchtopk", "cosine", ...).
    public var architecture: String
    /// The weights' storage dtype ("F32", "F16", "BF16").
    public var dtype: String
    public var modelName: String?
    public var hookName: String?
    /// The folder or file it was loaded from.
    public var path: String
}

/// A trained SAE dictionary, independent of the format it came from.
///
/// Encoder weights are kept in the file's layout (`encoderIsFeatureMajor`: [d_sae, d_in] as in
/// sparsify, else [d_in, d_sae] as in SAELens), borrowed from the memory map when F32 and aligned.
/// The decoder is [d_sae, d_in]. Immutable and shareable across threads.
public struct SAEDictionary: Sendable {
    public var dIn: Int
    public var dSAE: Int
    public var wEnc: FloatStorage
    public var encoderIsFeatureMajor: Bool
    /// b_enc [d_sae]; for a gated dictionary its magnitude path's b_mag.
    public var bEnc: [Float]
    public var wDec: FloatStorage
    public var bDec: [Float]
    public var applyBDecToInput: Bool
    public var rule: ActivationRule
    public var score: Score
    /// SAELens topk's `rescale_acts_by_decoder_norm`: pre *= ||W_dec[i]|| before the rule, f /= it before decoding.
    public var rescaleActsByDecoderNorm: Bool
    public var normalization: InputNormalization
    public var metadata: DictionaryMetadata
    /// Hex digest of the weights as stored; see `DictionaryFingerprint`.
    public var fingerprint: String

    /// Encoder weight W_enc[j, i] (input j, feature i) whatever the layout.
    @inlinable
    public func encoderWeight(input j: Int, feature i: Int) -> Float {
        encoderIsFeatureMajor ? wEnc.pointer[i * dIn + j] : wEnc.pointer[j * dSAE + i]
    }

    /// The alpha of `feature`: 1 for inner-product dictionaries.
    public func alpha(_ feature: Int) -> Float {
        switch score {
        case .innerProduct: return 1
        case .cosine(let a): return a.value(feature)
        }
    }
}
