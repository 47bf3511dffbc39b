import Foundation

/// Encodes a whole activation file in memory-bounded batches.
public enum BatchEncoding {
    public struct Result: Sendable {
        /// sum ||x - x_hat||^2 / sum ||x - mean x||^2 over the real tokens (`FVU`); nil for fewer than 2.
        public var fvu: Double?
        /// Mean number of active features per real token.
        public var meanL0: Double
        /// Rows whose token id is -1 (padding): written as zeros, left out of FVU and L0.
        public var paddingRows: Int
    }

    /// What `encodeToFile` will need, from the shapes alone: working memory (batch buffers, the
    /// encoder's pre-activations and gates, the token ids) and the bytes of the output.
    public static func estimate(dictionary d: SAEDictionary, input: ActivationFile) -> (memory: Int, output: Int) {
        let batch = FeatureEncoder(d).batchRows()
        let perBatch = 4 * batch * (4 * d.dIn + (d.rule.isGated ? 3 : 2) * d.dSAE)
        let tokens = input.tokens == nil ? 0 : 8 * input.rows
        let (output, overflow) = input.rows.multipliedReportingOverflow(by: 4 * d.dSAE)
        return (perBatch + tokens + (16 << 20), overflow ? Int.max : output + 8192)
    }

    /// Encodes every row of `input` and writes `feature_acts` F32 [rows, d_sae] to `output`.
    /// When the input has token ids, padding rows (id -1, whose activations are not the model's)
    /// keep their place in the output as all-zero rows, so row i still is token i, and count in
    /// neither the FVU nor the L0.
    public static func encodeToFile(
        dictionary d: SAEDictionary, input: ActivationFile, output: String,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Result {
        let enc = FeatureEncoder(d)
        let writer = try SafetensorsStreamWriter(path: output, tensors: [.init("feature_acts", .f32, [input.rows, d.dSAE])])
        let batch = enc.batchRows()
        let x = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dIn)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dIn)
        let recon = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dIn)
        let acts = UnsafeMutablePointer<Float>.allocate(capacity: batch * d.dSAE)
        defer { x.deallocate(); u.deallocate(); recon.deallocate(); acts.deallocate() }
        let fvu = FVUAccumulator(dIn: d.dIn)
        var l0 = 0
        var start = 0
        let tokens = try input.tokenIDs()
        let padding = tokens?.reduce(0) { $0 + ($1 < 0 ? 1 : 0) } ?? 0
        progress(0, input.rows)
        while start < input.rows {
            let n = min(batch, input.rows - start)
            try input.copyRows(start..<(start + n), into: x)
            enc.encode(x, rows: n, into: acts)
            let transform = enc.prepareInput(x, rows: n, into: u)
            enc.decode(acts, rows: n, transform: transform, into: recon)
            // Runs of real rows go to the FVU together; padding rows are zeroed.
            var r = 0
            while r < n {
                var end = r
                while end < n, (tokens?[start + end] ?? 0) >= 0 { end += 1 }
                if end > r { fvu.add(x: x + r * d.dIn, xHat: recon + r * d.dIn, rows: end - r) }
                r = end
                while r < n, let t = tokens?[start + r], t < 0 {
                    (acts + r * d.dSAE).update(repeating: 0, count: d.dSAE)
                    r += 1
                }
            }
            for i in 0..<(n * d.dSAE) where acts[i] != 0 { l0 += 1 }
            try writer.append(UnsafeRawBufferPointer(start: acts, count: n * d.dSAE * 4))
            start += n
            progress(start, input.rows)
        }
        let real = input.rows - padding
        let value = fvu.value
        writer.metadata["dictionary_fingerprint"] = d.fingerprint
        writer.metadata["dictionary_path"] = d.metadata.path
        writer.metadata["saex_version"] = SAEKitVersion.string
        if let value { writer.metadata["fvu"] = String(format: "%.9g", value) }
        writer.metadata["padding_rows"] = String(padding)
        try writer.finish()
        return Result(fvu: value, meanL0: real > 0 ? Double(l0) / Double(real) : 0, paddingRows: padding)
    }
}
