import Foundation

/// Recognises and loads a dictionary from the path a user gave.
///
/// Recognised (docs/FORMATS.md): a SAELens folder (`cfg.json` + `sae_weights.safetensors`; v6 or v5
/// flat config; standard, topk, jumprelu, gated, batchtopk checkpoints), our cosine format (the same
/// folder with `"architecture": "cosine"`), a sparsify hookpoint folder (`cfg.json` +
/// `sae.safetensors`), and a Gemma Scope `params.npz` (the file or its folder). A path to one of
/// these files is taken as its folder. Everything else fails with a line saying what was expected.
public enum DictionaryLoader {
    /// Loads the dictionary at `path`.
    public static func load(path: String) throws -> SAEDictionary {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SAEKitError(.notFound, path: path, reason: "no such file or folder", remedy: "give a dictionary folder or a params.npz")
        }
        if !isDir.boolValue {
            let name = (path as NSString).lastPathComponent
            let dir = (path as NSString).deletingLastPathComponent
            if name.hasSuffix(".npz") { return try loadGemmaScope(npz: path) }
            if name == "sae_weights.safetensors" || name == "sae.safetensors" || name == "cfg.json" {
                return try load(path: dir.isEmpty ? "." : dir)
            }
            throw SAEKitError(
                .badInput, path: path, reason: "is not a dictionary",
                remedy: "give a SAELens, cosine or sparsify folder (cfg.json + weights) or a Gemma Scope params.npz")
        }
        let fm = FileManager.default
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: (path as NSString).appendingPathComponent(name)) }
        let cfgPath = (path as NSString).appendingPathComponent("cfg.json")
        if exists("cfg.json") && exists("sae_weights.safetensors") {
            let cfg = try JSONFields.config(path: cfgPath)
            let arch = try cfg.optionalString("architecture")
            if arch == "cosine" { return try loadCosine(folder: path, cfg: cfg) }
            return try loadSAELens(folder: path, cfg: cfg)
        }
        if exists("cfg.json") && exists("sae.safetensors") {
            return try loadSparsify(folder: path, cfg: try JSONFields.config(path: cfgPath))
        }
        if exists("params.npz") {
            return try loadGemmaScope(npz: (path as NSString).appendingPathComponent("params.npz"))
        }
        // A sparsify run folder holds one folder per hookpoint.
        let subs = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted().filter {
            fm.fileExists(atPath: (path as NSString).appendingPathComponent("\($0)/sae.safetensors"))
                || fm.fileExists(atPath: (path as NSString).appendingPathComponent("\($0)/sae_weights.safetensors"))
        }
        if !subs.isEmpty {
            let list = subs.prefix(6).map { (path as NSString).appendingPathComponent($0) }.joined(separator: ", ")
            throw SAEKitError(
                .badInput, path: path, reason: "holds \(subs.count) dictionary folder\(subs.count == 1 ? "" : "s"), not one dictionary",
                remedy: "choose one: \(list)\(subs.count > 6 ? ", ..." : "")")
        }
        if exists("cfg.json") {
            throw SAEKitError(
                .badInput, path: path,
                reason: "has cfg.json but no sae_weights.safetensors (SAELens, cosine) or sae.safetensors (sparsify)",
                remedy: "copy the weights file into the folder")
        }
        throw SAEKitError(
            .badInput, path: path, reason: "is not a dictionary folder",
            remedy:
                "expected cfg.json + sae_weights.safetensors (SAELens, cosine), cfg.json + sae.safetensors (sparsify) or params.npz (Gemma Scope)"
        )
    }

    // MARK: - SAELens

    static func loadSAELens(folder: String, cfg: JSONFields) throws -> SAEDictionary {
        let weightsPath = (folder as NSString).appendingPathComponent("sae_weights.safetensors")
        let bag = try TensorBag(safetensors: weightsPath)
        // v5 configs are flat: no metadata object, activation_fn_str / hook_point at top level.
        let isV5 =
            cfg.object("metadata") == nil
            && (cfg.has("activation_fn_str") || cfg.has("activation_fn") || cfg.has("hook_point") || cfg.has("hook_name")
                || cfg.has("model_name"))
        var arch = try cfg.optionalString("architecture") ?? "standard"
        var k: Int? = try cfg.optionalInt("k")
        if isV5 {
            let fn = try cfg.optionalString("activation_fn_str") ?? cfg.optionalString("activation_fn") ?? "relu"
            if fn == "topk" {
                arch = arch == "standard" ? "topk" : arch
                k = try cfg.object("activation_fn_kwargs")?.optionalInt("k") ?? k
                if k == nil {
                    throw SAEKitError(
                        .badInput, path: cfg.path, subject: "key \"activation_fn_kwargs.k\"", reason: "missing for a topk activation",
                        remedy: "add the k the SAE was trained with")
                }
            } else if fn != "relu" {
                throw SAEKitError(
                    .unsupported, path: cfg.path, subject: "key \"activation_fn_str\"", reason: "\"\(fn)\" is not supported",
                    remedy: "saex reads relu and topk v5 SAEs")
            }
        }
        let dIn = try cfg.positiveInt("d_in")
        let dSAE = try cfg.positiveInt("d_sae")
        let applyBDec = try cfg.bool("apply_b_dec_to_input", default: true)
        let normalization = try readNormalization(cfg: cfg, folder: folder)
        if let reshape = try cfg.optionalString("reshape_activations"), reshape != "none" {
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"reshape_activations\"", reason: "\"\(reshape)\" is not supported",
                remedy: "saex reads SAEs on flat activations (reshape_activations: none)")
        }
        let meta = cfg.object("metadata") ?? cfg
        let model = try meta.optionalString("model_name")
        let hook = try meta.optionalString("hook_name") ?? meta.optionalString("hook_point")

        let wEncT = try bag.require("W_enc")
        try checkDIn(cfg: cfg, declared: dIn, tensor: wEncT, axis: 0, bagPath: bag.path)
        let wEnc = try bag.floats(wEncT, shape: [dIn, dSAE])
        let wDec = try bag.floats(try bag.require("W_dec"), shape: [dSAE, dIn])
        let bDec = try bag.floats(try bag.require("b_dec"), shape: [dIn]).array
        var rule: ActivationRule
        var rescale = try cfg.bool("rescale_acts_by_decoder_norm", default: false)
        switch arch {
        case "standard":
            rule = .relu
            rescale = false
        case "topk":
            guard let k else {
                throw SAEKitError(
                    .badInput, path: cfg.path, subject: "key \"k\"", reason: "missing for a topk SAE",
                    remedy: "add the k the SAE was trained with")
            }
            // k <= 0 would reach the encoder's top-k selection as a negative capacity.
            guard k > 0 else {
                throw SAEKitError(
                    .badInput, path: cfg.path, subject: isV5 ? "key \"activation_fn_kwargs.k\"" : "key \"k\"",
                    reason: "must be a positive integer", remedy: "set the k the SAE was trained with")
            }
            rule = .topK(k: k)
        case "jumprelu":
            rule = .jumpReLU(thresholds: try bag.floats(try bag.require("threshold"), shape: [dSAE]).array)
            rescale = false
        case "batchtopk":
            let t = try bag.require("topk_threshold")
            guard t.elementCount == 1 else {
                throw SAEKitError(
                    .badInput, path: bag.path, subject: "tensor \"topk_threshold\"", reason: "has shape \(t.shape), expected a single value"
                )
            }
            let v = try t.scalar()
            guard v.isFinite else {
                throw SAEKitError(
                    .badInput, path: bag.path, subject: "tensor \"topk_threshold\"", reason: "is not finite",
                    remedy: "use another checkpoint")
            }
            rule = .batchTopKThreshold(v)
        case "gated":
            rule = .gated(
                GatedPath(
                    bGate: try bag.floats(try bag.require("b_gate"), shape: [dSAE]).array,
                    rMag: try bag.floats(try bag.require("r_mag"), shape: [dSAE]).array))
            rescale = false
        default:
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"architecture\"", reason: "\"\(arch)\" is not a known SAELens architecture",
                remedy: "saex reads standard, topk, jumprelu, gated, batchtopk and cosine")
        }
        // A gated SAE has no b_enc: its value comes from the magnitude path, whose bias is b_mag.
        let bEnc = try bag.floats(try bag.require(rule.isGated ? "b_mag" : "b_enc"), shape: [dSAE]).array
        let tensors = bag.names.compactMap { bag[$0] }
        return SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: wEnc, encoderIsFeatureMajor: false, bEnc: bEnc, wDec: wDec, bDec: bDec,
            applyBDecToInput: applyBDec, rule: rule,
            score: .innerProduct, rescaleActsByDecoderNorm: rescale, normalization: normalization,
            metadata: DictionaryMetadata(
                format: isV5 ? .saeLensV5 : .saeLensV6, architecture: arch, dtype: wEncT.dtype.rawValue, modelName: model, hookName: hook,
                path: folder),
            fingerprint: DictionaryFingerprint.of(
                architecture: arch, tensors: tensors,
                extra: fingerprintExtras(rule: rule, applyBDec: applyBDec, normalization: normalization, rescale: rescale)))
    }

    static func fingerprintExtras(rule: ActivationRule, applyBDec: Bool, normalization: InputNormalization, rescale: Bool) -> [String] {
        ["rule=\(rule.description)", "bdec=\(applyBDec)", "norm=\(normalization.description)", "rescale=\(rescale)"]
    }

    static func checkDIn(cfg: JSONFields, declared: Int, tensor: TensorView, axis: Int, bagPath: String) throws {
        guard tensor.shape.count == 2 else {
            throw SAEKitError(
                .badInput, path: bagPath, subject: "tensor \"\(tensor.name)\"", reason: "has shape \(tensor.shape), expected a matrix")
        }
        if tensor.shape[axis] != declared {
            throw SAEKitError(
                .badInput, path: cfg.path, subject: "key \"d_in\"",
                reason: "is \(declared) but tensor \(tensor.name) has shape \(tensor.shape)",
                remedy: "the config does not belong to these weights")
        }
    }

    static func readNormalization(cfg: JSONFields, folder: String) throws -> InputNormalization {
        let raw = cfg.dict["normalize_activations"]
        let value: String
        if raw == nil || raw is NSNull {
            value = "none"
        } else if JSONNumber.isBool(raw as Any), let b = raw as? Bool {
            value = b ? "expected_average_only_in" : "none"
        } else if let s = raw as? String {
            value = s
        } else {
            throw SAEKitError(.badInput, path: cfg.path, subject: "key \"normalize_activations\"", reason: "must be a string")
        }
        switch value {
        case "none": return .none
        case "constant_norm_rescale": return .constantNormRescale
        case "layer_norm": return .layerNorm
        case "expected_average_only_in":
            let scalerPath = (folder as NSString).appendingPathComponent("activation_scaler.json")
            guard FileManager.default.fileExists(atPath: scalerPath) else {
                throw SAEKitError(
                    .badInput, path: cfg.path, subject: "key \"normalize_activations\"",
                    reason: "is expected_average_only_in but the folder has no activation_scaler.json",
                    remedy:
                        "copy activation_scaler.json from the training run, or set it to \"none\" if the factor was folded into the weights"
                )
            }
            let scaler = try JSONFields.config(path: scalerPath)
            guard let s = try scaler.optionalDouble("scaling_factor") else { return .none }
            guard s.isFinite, s > 0 else {
                throw SAEKitError(.badInput, path: scalerPath, subject: "key \"scaling_factor\"", reason: "must be a positive number")
            }
            return .constantScale(Float(s))
        default:
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"normalize_activations\"", reason: "\"\(value)\" is not supported",
                remedy: "saex reads none, expected_average_only_in, constant_norm_rescale and layer_norm")
        }
    }

    // MARK: - Cosine

    static func loadCosine(folder: String, cfg: JSONFields) throws -> SAEDictionary {
        let bag = try TensorBag(safetensors: (folder as NSString).appendingPathComponent("sae_weights.safetensors"))
        let dIn = try cfg.positiveInt("d_in")
        let dSAE = try cfg.positiveInt("d_sae")
        let applyBDec = try cfg.bool("apply_b_dec_to_input", default: true)
        let normalization = try readNormalization(cfg: cfg, folder: folder)
        let meta = cfg.object("metadata") ?? cfg
        let wEncT = try bag.require("W_enc")
        try checkDIn(cfg: cfg, declared: dIn, tensor: wEncT, axis: 0, bagPath: bag.path)
        let wEnc = try bag.floats(wEncT, shape: [dIn, dSAE])
        let wDec = try bag.floats(try bag.require("W_dec"), shape: [dSAE, dIn])
        let bDec = try bag.floats(try bag.require("b_dec"), shape: [dIn]).array
        let bEnc = try bag.floats(try bag.require("b_enc"), shape: [dSAE]).array

        let alpha: AlphaSpec
        if let a = bag["alpha"] {
            alpha = try readAlpha(a, dSAE: dSAE, bag: bag, transform: { $0 })
        } else if let a = bag["alpha_logit"] {
            alpha = try readAlpha(a, dSAE: dSAE, bag: bag, transform: { 1 / (1 + exp(-$0)) })
        } else {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"alpha\"", reason: "missing: a cosine dictionary needs alpha or alpha_logit",
                remedy: "add alpha (0-d or [d_sae], values in [0, 1])")
        }
        var rule: ActivationRule = .relu
        if let t = bag["threshold"] {
            rule = .jumpReLU(thresholds: try bag.floats(t, shape: [dSAE]).array)
        } else if let k = try cfg.optionalInt("k") {
            guard k > 0 else { throw SAEKitError(.badInput, path: cfg.path, subject: "key \"k\"", reason: "must be a positive integer") }
            rule = .topK(k: k)
        }
        let tensors = bag.names.compactMap { bag[$0] }
        return SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: wEnc, encoderIsFeatureMajor: false, bEnc: bEnc, wDec: wDec, bDec: bDec,
            applyBDecToInput: applyBDec, rule: rule,
            score: .cosine(alpha), rescaleActsByDecoderNorm: false, normalization: normalization,
            metadata: DictionaryMetadata(
                format: .cosine, architecture: "cosine", dtype: wEncT.dtype.rawValue,
                modelName: try meta.optionalString("model_name"), hookName: try meta.optionalString("hook_name"), path: folder),
            fingerprint: DictionaryFingerprint.of(
                architecture: "cosine", tensors: tensors,
                extra: fingerprintExtras(rule: rule, applyBDec: applyBDec, normalization: normalization, rescale: false)))
    }

    static func readAlpha(_ t: TensorView, dSAE: Int, bag: TensorBag, transform: (Float) -> Float) throws -> AlphaSpec {
        guard t.dtype.isConvertibleToFloat, !t.dtype.isInteger else {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"\(t.name)\"", reason: "has dtype \(t.dtype.rawValue), expected a float type")
        }
        let raw = try t.floats()
        let values = raw.map(transform)
        for (i, v) in values.enumerated() where !(v >= 0 && v <= 1) {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"\(t.name)\"",
                reason: "feature \(i): alpha = \(v) is outside [0, 1]\(raw[i].isNaN ? " (NaN)" : "")",
                remedy: "alpha must lie in [0, 1]; store alpha_logit for an unconstrained parameter")
        }
        if t.shape.isEmpty || t.shape == [1] { return .global(values[0]) }
        guard t.shape == [dSAE] else {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"\(t.name)\"",
                reason: "has shape \(t.shape), expected [] (global) or [\(dSAE)] (per feature)")
        }
        return .perFeature(values)
    }

    // MARK: - sparsify

    static func loadSparsify(folder: String, cfg: JSONFields) throws -> SAEDictionary {
        let bag = try TensorBag(safetensors: (folder as NSString).appendingPathComponent("sae.safetensors"))
        let encT = try bag.require("encoder.weight")
        guard encT.shape.count == 2 else {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"encoder.weight\"", reason: "has shape \(encT.shape), expected [d_sae, d_in]")
        }
        let dIn: Int
        if cfg.has("d_in") {
            dIn = try cfg.positiveInt("d_in")
            if encT.shape[1] != dIn {
                throw SAEKitError(
                    .badInput, path: cfg.path, subject: "key \"d_in\"",
                    reason: "is \(dIn) but tensor encoder.weight has shape \(encT.shape)",
                    remedy: "the config does not belong to these weights")
            }
        } else {
            dIn = encT.shape[1]
        }
        var dSAE = try cfg.optionalInt("num_latents") ?? 0
        if dSAE == 0 {
            let ef = try cfg.optionalInt("expansion_factor") ?? 0
            if ef > 0 {
                // An empty encoder.weight can declare any d_in, so the product may overflow.
                let (n, overflow) = ef.multipliedReportingOverflow(by: dIn)
                guard !overflow else {
                    throw SAEKitError(
                        .badInput, path: cfg.path, subject: "key \"expansion_factor\"", reason: "\(ef) x d_in \(dIn) is too large",
                        remedy: "the config does not belong to these weights")
                }
                dSAE = n
            } else {
                dSAE = encT.shape[0]
            }
        }
        guard dIn > 0, dSAE > 0 else {
            throw SAEKitError(
                .badInput, path: bag.path, subject: "tensor \"encoder.weight\"",
                reason: "has shape \(encT.shape): a dictionary needs at least one feature and one input dimension",
                remedy: "use another checkpoint")
        }
        if try cfg.bool("transcode", default: false) {
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"transcode\"", reason: "transcoders are not supported",
                remedy: "saex reads sparse autoencoders")
        }
        if try cfg.bool("skip_connection", default: false) || bag["W_skip"] != nil {
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"skip_connection\"", reason: "skip connections are not supported")
        }
        let activation = try cfg.optionalString("activation") ?? "topk"
        guard activation == "topk" else {
            throw SAEKitError(
                .unsupported, path: cfg.path, subject: "key \"activation\"", reason: "\"\(activation)\" is not supported",
                remedy: "saex reads topk sparsify SAEs")
        }
        let k = try cfg.positiveInt("k")
        let wEnc = try bag.floats(encT, shape: [dSAE, dIn])
        let bEnc = try bag.floats(try bag.require("encoder.bias"), shape: [dSAE]).array
        let wDec = try bag.floats(try bag.require("W_dec"), shape: [dSAE, dIn])
        let bDec = try bag.floats(try bag.require("b_dec"), shape: [dIn]).array
        let tensors = bag.names.compactMap { bag[$0] }
        let rule = ActivationRule.topK(k: k)
        return SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: wEnc, encoderIsFeatureMajor: true, bEnc: bEnc, wDec: wDec, bDec: bDec,
            applyBDecToInput: true, rule: rule,
            score: .innerProduct, rescaleActsByDecoderNorm: false, normalization: .none,
            metadata: DictionaryMetadata(
                format: .sparsify, architecture: "topk", dtype: encT.dtype.rawValue, modelName: nil,
                hookName: (folder as NSString).lastPathComponent, path: folder),
            fingerprint: DictionaryFingerprint.of(
                architecture: "sparsify-topk", tensors: tensors,
                extra: fingerprintExtras(rule: rule, applyBDec: true, normalization: .none, rescale: false)))
    }

    // MARK: - Gemma Scope

    static func loadGemmaScope(npz: String) throws -> SAEDictionary {
        let bag = try TensorBag(npz: npz)
        let wEncT = try bag.require("W_enc")
        guard wEncT.shape.count == 2 else {
            throw SAEKitError(.badInput, path: npz, subject: "tensor \"W_enc\"", reason: "has shape \(wEncT.shape), expected [d_in, d_sae]")
        }
        let dIn = wEncT.shape[0], dSAE = wEncT.shape[1]
        let wEnc = try bag.floats(wEncT, shape: [dIn, dSAE])
        let wDec = try bag.floats(try bag.require("W_dec"), shape: [dSAE, dIn])
        let bEnc = try bag.floats(try bag.require("b_enc"), shape: [dSAE]).array
        let bDec = try bag.floats(try bag.require("b_dec"), shape: [dIn]).array
        let threshold = try bag.floats(try bag.require("threshold"), shape: [dSAE]).array
        let tensors = bag.names.compactMap { bag[$0] }
        let folder = (npz as NSString).deletingLastPathComponent
        return SAEDictionary(
            dIn: dIn, dSAE: dSAE, wEnc: wEnc, encoderIsFeatureMajor: false, bEnc: bEnc, wDec: wDec, bDec: bDec,
            applyBDecToInput: false, rule: .jumpReLU(thresholds: threshold),
            score: .innerProduct, rescaleActsByDecoderNorm: false, normalization: .none,
            metadata: DictionaryMetadata(
                format: .gemmaScope, architecture: "jumprelu", dtype: wEncT.dtype.rawValue, modelName: nil,
                hookName: folder.isEmpty ? nil : (folder as NSString).lastPathComponent, path: npz),
            fingerprint: DictionaryFingerprint.of(architecture: "gemmascope-jumprelu", tensors: tensors))
    }
}
