import Foundation

/// Sparse feature activations written beside an activation dump (`OUT.features.safetensors`,
/// docs/FORMATS.md "Sparse feature activations"): per dictionary the nonzero activations of every
/// token as CSR, their pre-activations and the per-row terms the elasticity needs, plus the token
/// ids, the input norms and the raw activations of a seeded sample of tokens for a CPU cross-check.
public struct FeatureActsFile: @unchecked Sendable {
    public struct Meta: Decodable, Sendable {
        public var version: Int
        public var rows: Int
        public var sequences: Int
        public var sequenceLength: Int
        public var dIn: Int
        public var dictionaries: [DictionaryEntry]
        public var check: Check?
        public var device: String?
        public var dtype: String?

        public struct DictionaryEntry: Decodable, Sendable {
            public var name: String
            public var fingerprint: String?
            public var path: String?
            public var architecture: String?
            public var dSAE: Int
            enum CodingKeys: String, CodingKey { case name, fingerprint, path, architecture, dSAE = "d_sae" }
        }

        public struct Check: Decodable, Sendable {
            public var seed: UInt64?
            public var fraction: Double?
            public var rows: Int
        }

        enum CodingKeys: String, CodingKey {
            case version, rows, sequences, dictionaries, check, device, dtype
            case sequenceLength = "sequence_length", dIn = "d_in"
        }
    }

    /// One dictionary's tensors.
    public struct Part: @unchecked Sendable {
        public let name: String
        public let featureCount: Int
        public let rowPtr: UnsafeBufferPointer<Int64>
        public let features: UnsafeBufferPointer<Int32>
        public let values, pre, uNorm, uDotBDec, bDecNorms: UnsafeBufferPointer<Float>
        /// row_ptr, features, values, pre, u_norm, u_dot_bdec, bdec_norms.
        let tensors: [TensorView]

        /// Releases this process's mapped pages of rows `rows` (their entries and per-row values), so
        /// that reading a large file does not grow the resident memory (see `ActivationFile.releaseRows`).
        func release(rows: Range<Int>) {
            guard !rows.isEmpty else { return }
            let lo = Int(rowPtr[rows.lowerBound]), hi = Int(rowPtr[rows.upperBound])
            releaseMapped(tensors[0], byteRange: (rows.lowerBound * 8)..<(rows.upperBound * 8))
            for t in tensors[1...3] { releaseMapped(t, byteRange: (lo * 4)..<(hi * 4)) }
            for t in tensors[4...6] { releaseMapped(t, byteRange: (rows.lowerBound * 4)..<(rows.upperBound * 4)) }
        }
    }

    public let path: String
    public let file: SafetensorsFile
    public let meta: Meta
    public let tokens: UnsafeBufferPointer<Int32>
    public let norms: UnsafeBufferPointer<Float>
    public let checkRows: UnsafeBufferPointer<Int64>
    public let checkActivations: UnsafeBufferPointer<Float>
    public let parts: [String: Part]

    public var rows: Int { meta.rows }
    public var sequences: Int { meta.sequences }
    public var sequenceLength: Int { meta.sequenceLength }

    /// Opens and validates `path`: metadata, every tensor's dtype and shape, CSR structure.
    public init(path: String) throws {
        self.path = path
        let file = try SafetensorsFile(path: path)
        self.file = file
        func bad(_ subject: String, _ reason: String) -> SAEKitError {
            SAEKitError(
                .badInput, path: path, subject: subject, reason: reason,
                remedy: "write the file again with scripts/dump_activations.py --encode")
        }
        guard let text = file.metadata["saex_features"] else {
            throw SAEKitError(
                .badInput, path: path, subject: "__metadata__.saex_features", reason: "missing: not a sparse feature activation file",
                remedy: "give the OUT.features.safetensors files that scripts/dump_activations.py --encode writes")
        }
        let meta: Meta
        do {
            meta = try JSONDecoder().decode(Meta.self, from: Data(text.utf8))
        } catch {
            throw bad("__metadata__.saex_features", "is incomplete (\(CacheManifest.describe(error)))")
        }
        guard meta.version == 1 else {
            throw SAEKitError(
                .unsupported, path: path, subject: "__metadata__.saex_features",
                reason: "has version \(meta.version); this saex reads version 1",
                remedy: "use the saex whose scripts/dump_activations.py wrote it")
        }
        let (r, overflow) = meta.sequences.multipliedReportingOverflow(by: meta.sequenceLength)
        guard meta.sequences >= 1, meta.sequenceLength >= 1, meta.dIn >= 1, !overflow, r == meta.rows, meta.rows < Int(UInt32.max) else {
            throw bad(
                "__metadata__.saex_features",
                "rows \(meta.rows), sequences \(meta.sequences), sequence_length \(meta.sequenceLength), d_in \(meta.dIn) do not fit together"
            )
        }
        self.meta = meta
        func buffer<T>(_ name: String, _ dtype: DType, _ shape: [Int]?, _ type: T.Type) throws -> (UnsafeBufferPointer<T>, TensorView) {
            guard let t = file.tensor(name) else { throw bad("tensor \"\(name)\"", "missing") }
            guard t.dtype == dtype, shape == nil ? t.shape.count == 1 : t.shape == shape! else {
                throw bad("tensor \"\(name)\"", "is \(t.summary), expected \(dtype.rawValue) \(shape.map { "\($0)" } ?? "[n]")")
            }
            guard let base = t.rawBytes.baseAddress else { return (UnsafeBufferPointer(start: nil, count: 0), t) }
            guard Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 else {
                throw bad("tensor \"\(name)\"", "is not aligned in the file")
            }
            return (UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: t.elementCount), t)
        }
        let R = meta.rows
        tokens = try buffer("tokens", .i32, [meta.sequences, meta.sequenceLength], Int32.self).0
        norms = try buffer("norms", .f32, [R], Float.self).0
        checkRows = try buffer("check.rows", .i64, nil, Int64.self).0
        let m = checkRows.count
        checkActivations = try buffer("check.activations", .f32, [m, meta.dIn], Float.self).0
        guard meta.check?.rows ?? m == m else {
            throw bad("tensor \"check.rows\"", "holds \(m) rows but the metadata says \(meta.check?.rows ?? 0)")
        }
        var previous: Int64 = -1
        for (k, row) in checkRows.enumerated() {
            guard row > previous, row < Int64(R), tokens[Int(row)] >= 0 else {
                throw bad("tensor \"check.rows\"", "entry \(k) (\(row)) is not an ascending row of a real token")
            }
            previous = row
        }
        let real = tokens.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let needed = (real + 99) / 100
        guard m >= needed else {
            throw bad("tensor \"check.rows\"", "holds \(m) rows, fewer than 1% of the \(real) real tokens (\(needed))")
        }
        var parts: [String: Part] = [:]
        for d in meta.dictionaries {
            guard !d.name.isEmpty, d.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), d.dSAE >= 1,
                parts[d.name] == nil
            else {
                throw bad("__metadata__.saex_features.dictionaries", "entry \"\(d.name)\" has a bad or repeated name or d_sae \(d.dSAE)")
            }
            let p = d.name + "."
            let (rowPtr, t0) = try buffer(p + "row_ptr", .i64, [R + 1], Int64.self)
            let (features, t1) = try buffer(p + "features", .i32, nil, Int32.self)
            let nnz = features.count
            let (values, t2) = try buffer(p + "values", .f32, [nnz], Float.self)
            let (pre, t3) = try buffer(p + "pre", .f32, [nnz], Float.self)
            let (uNorm, t4) = try buffer(p + "u_norm", .f32, [R], Float.self)
            let (uDot, t5) = try buffer(p + "u_dot_bdec", .f32, [R], Float.self)
            let (bdec, t6) = try buffer(p + "bdec_norms", .f32, [R], Float.self)
            guard rowPtr[0] == 0, rowPtr[R] == Int64(nnz) else {
                throw bad("tensor \"\(p)row_ptr\"", "must start at 0 and end at the \(nnz) entries")
            }
            var released = 0
            for row in 0..<R {
                if row - released >= 1 << 16 {
                    // Validation reads every entry: let the pages go behind it.
                    for t in [t1, t2] { releaseMapped(t, byteRange: (Int(rowPtr[released]) * 4)..<(Int(rowPtr[row]) * 4)) }
                    released = row
                }
                let lo = Int(rowPtr[row]), hi = Int(rowPtr[row + 1])
                guard lo <= hi, hi <= nnz else { throw bad("tensor \"\(p)row_ptr\"", "entry \(row + 1) does not ascend") }
                if hi > lo && tokens[row] < 0 {
                    throw bad(
                        "tensor \"\(p)row_ptr\"",
                        "padding row \(row) (sequence \(row / meta.sequenceLength), position \(row % meta.sequenceLength)) has entries")
                }
                var last: Int32 = -1
                for k in lo..<hi {
                    let f = features[k]
                    guard f > last, Int(f) < d.dSAE else {
                        throw bad(
                            "tensor \"\(p)features\"",
                            "entry \(k) (feature \(f), row \(row)) is not ascending within its row or not below d_sae \(d.dSAE)")
                    }
                    guard values[k] != 0, values[k].isFinite else {
                        throw bad("tensor \"\(p)values\"", "entry \(k) is \(values[k]); entries must be finite and nonzero")
                    }
                    last = f
                }
            }
            for t in [t1, t2] { releaseMapped(t, byteRange: (Int(rowPtr[released]) * 4)..<(nnz * 4)) }
            parts[d.name] = Part(
                name: d.name, featureCount: d.dSAE, rowPtr: rowPtr, features: features, values: values, pre: pre, uNorm: uNorm,
                uDotBDec: uDot, bDecNorms: bdec, tensors: [t0, t1, t2, t3, t4, t5, t6])
        }
        self.parts = parts
    }

    /// The entry of `name` for `dictionary`, checked against the loaded dictionary (d_in, d_sae, fingerprint).
    public func part(for dictionary: NamedDictionary) throws -> Part {
        guard let p = parts[dictionary.name], let entry = meta.dictionaries.first(where: { $0.name == dictionary.name }) else {
            let names = meta.dictionaries.map(\.name).joined(separator: ", ")
            throw SAEKitError(
                .badInput, path: path, subject: "--dict \(dictionary.name)",
                reason: "the file has no dictionary of that name (it has: \(names))",
                remedy: "name each --dict as the dump's --encode NAME=DIR did")
        }
        let d = dictionary.dictionary
        guard meta.dIn == d.dIn, entry.dSAE == d.dSAE else {
            throw SAEKitError(
                .badInput, path: path, subject: "dictionary \"\(dictionary.name)\"",
                reason: "has d_in \(meta.dIn), d_sae \(entry.dSAE) but \(d.metadata.path) has d_in \(d.dIn), d_sae \(d.dSAE)",
                remedy: "give the dictionary the activations were encoded with")
        }
        if let fp = entry.fingerprint, !fp.isEmpty, fp != d.fingerprint {
            throw SAEKitError(
                .badInput, path: path, subject: "dictionary \"\(dictionary.name)\"",
                reason: "was encoded with weights of fingerprint \(fp), but \(d.metadata.path) has \(d.fingerprint)",
                remedy: "give the dictionary the activations were encoded with")
        }
        return p
    }
}
