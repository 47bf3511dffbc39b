import Foundation

/// A decoder LM's unembedding as `scripts/dump_activations.py` writes it (`OUT.unembed.safetensors`,
/// docs/BRIDGE.md): `W_U` [d_model, d_vocab] (logits = h W_U) and the final norm in front of it.
///
/// Read fully and checked before anything is computed: the shapes, the metadata that says which
/// norm it is, and that every value is finite. `W_U` may be F32, F16 or BF16 (converted to F32).
public struct Unembedding: Sendable {
    /// The norm that sits between the residual stream and `W_U`.
    public enum FinalNorm: String, Sendable, Equatable {
        case layerNorm = "LayerNorm"
        case rmsNorm = "RMSNorm"
        case none
    }

    public let path: String
    public let dModel: Int
    public let dVocab: Int
    /// [d_model, d_vocab], row-major.
    public let wU: FloatStorage
    public let finalNorm: FinalNorm
    /// The weight the norm multiplies by: `final_norm.weight` plus `final_norm_weight_offset` (1 for
    /// Gemma, whose norm multiplies by 1 + weight); nil when there is no norm.
    public let normScale: [Float]?
    /// The offset as read from the metadata (0 when absent).
    public let weightOffset: Float
    public let modelName: String?

    static let remedy = "give the OUT.unembed.safetensors scripts/dump_activations.py wrote for the model (docs/BRIDGE.md)"

    public init(path: String) throws {
        let file = try SafetensorsFile(path: path)
        self.path = path
        func bad(_ subject: String, _ reason: String, remedy: String = Unembedding.remedy) -> SAEKitError {
            SAEKitError(.badInput, path: path, subject: subject, reason: reason, remedy: remedy)
        }
        let floating: Set<DType> = [.f32, .f16, .bf16, .f64]
        let w = try file.require("W_U", remedy: Self.remedy)
        guard w.shape.count == 2, w.shape[0] > 0, w.shape[1] > 0, floating.contains(w.dtype) else {
            throw bad("tensor \"W_U\"", "is \(w.summary), expected F32 [d_model, d_vocab]")
        }
        dModel = w.shape[0]
        dVocab = w.shape[1]
        let meta = file.metadata
        for (key, value) in [("d_model", dModel), ("d_vocab", dVocab)] {
            if let text = meta[key], Int(text) != value {
                throw bad("__metadata__.\(key)", "says \(text) but W_U is \(w.summary) (W_U must be [d_model, d_vocab], logits = h W_U)")
            }
        }
        wU = try w.float32Storage()
        if let k = wU.buffer.firstIndex(where: { !$0.isFinite }) {
            throw bad("tensor \"W_U\"", "holds \(wU[k].isNaN ? "NaN" : "an infinity") at [\(k / dVocab), \(k % dVocab)]")
        }
        let normName = meta["final_norm"] ?? (file.tensor("final_norm.weight") == nil ? "none" : "")
        guard let norm = FinalNorm(rawValue: normName) else {
            throw bad(
                "__metadata__.final_norm",
                normName.isEmpty
                    ? "missing, but the file has final_norm.weight"
                    : "is \"\(normName)\", expected LayerNorm, RMSNorm or none")
        }
        finalNorm = norm
        let offsetText = meta["final_norm_weight_offset"] ?? "0"
        guard let offset = Float(offsetText), offset.isFinite else {
            throw bad("__metadata__.final_norm_weight_offset", "is \"\(offsetText)\", expected a number (1 for Gemma, else 0)")
        }
        weightOffset = offset
        if norm == .none {
            normScale = nil
        } else {
            let t = try file.require("final_norm.weight", remedy: Self.remedy)
            guard t.shape == [dModel], floating.contains(t.dtype) else {
                throw bad("tensor \"final_norm.weight\"", "is \(t.summary), expected F32 [\(dModel)] (d_model of W_U)")
            }
            let weight = try t.floats()
            if let k = weight.firstIndex(where: { !$0.isFinite }) {
                throw bad("tensor \"final_norm.weight\"", "holds \(weight[k].isNaN ? "NaN" : "an infinity") at [\(k)]")
            }
            normScale = weight.map { $0 + offset }
        }
        modelName = meta["model_name"]
    }
}
