import Foundation

/// Model activations (and optionally their token ids) from a `.safetensors` or `.npy` file, mapped.
///
/// Shapes: `activations` [n, d_in] or [n_seq, seq_len, d_in] (F32, F16, BF16; flattened to rows in
/// C order), `tokens` [n_seq, seq_len] (I32/I64; -1 marks padding). Rows are converted to Float32
/// on demand, a batch at a time, so the file is never read whole into memory.
public struct ActivationFile: Sendable {
    public let path: String
    public let activations: TensorView
    /// Token ids, one per row; nil when the input has none.
    public let tokens: TensorView?
    public let rows: Int
    public let dIn: Int
    /// Sequence count and length when the input is [n_seq, seq_len, d_in]; else (rows, 1).
    public let sequences: Int
    public let sequenceLength: Int

    /// Opens `path`; `tensor` names the activation tensor in a safetensors file (default
    /// "activations", or the only float tensor). `tokensPath` is a separate `.npy`/`.safetensors`.
    public init(path: String, tensor: String? = nil, tokensPath: String? = nil) throws {
        self.path = path
        var acts: TensorView
        var toks: TensorView?
        if path.hasSuffix(".npy") {
            acts = try NPYFile(path: path).tensor
        } else {
            let f = try SafetensorsFile(path: path)
            if let tensor {
                acts = try f.require(tensor)
            } else if let a = f.tensor("activations") {
                acts = a
            } else {
                let floats = f.tensors.filter { [.f32, .f16, .bf16].contains($0.dtype) && $0.shape.count >= 2 }
                guard floats.count == 1, let only = f.tensor(floats[0].name) else {
                    throw SAEKitError(
                        .badInput, path: path, subject: "tensor \"activations\"",
                        reason: "missing (the file has: \(f.names.joined(separator: ", ")))", remedy: "name the tensor with --tensor NAME")
                }
                acts = only
            }
            toks = f.tensor("tokens")
        }
        if let tokensPath {
            if tokensPath.hasSuffix(".npy") {
                toks = try NPYFile(path: tokensPath).tensor
            } else {
                toks = try SafetensorsFile(path: tokensPath).require("tokens")
            }
        }
        guard [.f32, .f16, .bf16, .f64].contains(acts.dtype) else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(acts.name)\"",
                reason: "has dtype \(acts.dtype.rawValue), expected F32, F16 or BF16")
        }
        switch acts.shape.count {
        case 2:
            rows = acts.shape[0]; dIn = acts.shape[1]; sequences = rows; sequenceLength = 1
        case 3:
            sequences = acts.shape[0]; sequenceLength = acts.shape[1]; dIn = acts.shape[2]; rows = sequences * sequenceLength
        default:
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(acts.name)\"",
                reason: "has shape \(acts.shape), expected [n, d_in] or [n_seq, seq_len, d_in]")
        }
        guard dIn > 0 else {
            throw SAEKitError(.badInput, path: path, subject: "tensor \"\(acts.name)\"", reason: "has d_in = 0")
        }
        if let t = toks {
            guard t.dtype.isInteger else {
                throw SAEKitError(
                    .badInput, path: tokensPath ?? path, subject: "tensor \"\(t.name)\"",
                    reason: "has dtype \(t.dtype.rawValue), expected I32 or I64",
                    remedy: "store the token ids as int32 or int64")
            }
            let expected = acts.shape.count == 3 ? [sequences, sequenceLength] : [rows]
            guard t.shape == expected || t.elementCount == rows && (t.shape.count == 2 && acts.shape.count == 2) else {
                throw SAEKitError(
                    .badInput, path: tokensPath ?? path, subject: "tensor \"\(t.name)\"",
                    reason: "has shape \(t.shape) but the activations need \(expected)",
                    remedy: "tokens and activations must come from the same run")
            }
        }
        activations = acts
        tokens = toks
    }

    /// Converts rows `range` to Float32 into `dst` ([range.count x d_in]).
    public func copyRows(_ range: Range<Int>, into dst: UnsafeMutablePointer<Float>) throws {
        try activations.copyFloats((range.lowerBound * dIn)..<(range.upperBound * dIn), into: dst)
    }

    /// All token ids (one per row), or nil.
    public func tokenIDs() throws -> [Int64]? {
        try tokens?.int64s()
    }
}
