/// Decoder rows [rows x dim], row-major, as a cache stores them (no encoder needed).
public struct DecoderRows: Sendable {
    public let storage: FloatStorage
    public let rows: Int
    public let dim: Int
    /// ||row|| per row.
    public let norms: [Float]

    public init(storage: FloatStorage, rows: Int, dim: Int) {
        precondition(storage.count == rows * dim, "decoder storage holds \(storage.count) values, expected \(rows) x \(dim)")
        self.storage = storage
        self.rows = rows
        self.dim = dim
        norms = (0..<rows).map { BLAS.norm(dim, storage.pointer + $0 * dim) }
    }

    func cosine(_ i: Int, _ other: DecoderRows, _ j: Int) -> Float {
        guard norms[i] > 0, other.norms[j] > 0 else { return 0 }
        let d = BLAS.dot(dim, storage.pointer + i * dim, other.storage.pointer + j * other.dim)
        return min(1, max(-1, d / (norms[i] * other.norms[j])))
    }
}

extension FeatureMatching {
    /// `crossMatches` on decoder rows alone (what a cache holds).
    public static func crossMatches(a: DecoderRows, b: DecoderRows, activationsA: SparseColumns?, activationsB: SparseColumns?,
                                    limit: Int = 5, blockRows: Int = 1024, threads: Int? = nil) throws -> CrossDictionaryMatches {
        guard a.dim == b.dim else {
            throw SAEKitError(.badInput, path: nil, subject: "decoders", reason: "decoder widths \(a.dim) and \(b.dim) differ",
                              remedy: "compare dictionaries trained on the same activations")
        }
        if let x = activationsA, x.featureCount != a.rows { throw mismatch(x.featureCount, a.rows) }
        if let y = activationsB, y.featureCount != b.rows { throw mismatch(y.featureCount, b.rows) }
        let dm = DecoderMatching.match(a: a.storage.pointer, rowsA: a.rows, b: b.storage.pointer, rowsB: b.rows, dim: a.dim, k: limit,
                                       blockRows: blockRows, threads: threads)
        let ab = lists(count: a.rows, k: limit, decoder: { dm.matchesOfA($0) }, mutual: { dm.isMutual(a: $0, b: $1) },
                       own: activationsA, other: activationsB, excludeSelf: false, cosine: { a.cosine($0, b, $1) }, threads: threads)
        let ba = lists(count: b.rows, k: limit, decoder: { dm.matchesOfB($0) }, mutual: { dm.isMutual(a: $1, b: $0) },
                       own: activationsB, other: activationsA, excludeSelf: false, cosine: { b.cosine($0, a, $1) }, threads: threads)
        return CrossDictionaryMatches(aToB: ab, bToA: ba)
    }

    /// `neighbours` on decoder rows alone.
    public static func neighbours(_ d: DecoderRows, activations: SparseColumns?, limit: Int = 5, blockRows: Int = 1024,
                                  threads: Int? = nil) throws -> [FeatureMatchLists] {
        if let x = activations, x.featureCount != d.rows { throw mismatch(x.featureCount, d.rows) }
        let dm = DecoderMatching.neighbours(d.storage.pointer, rows: d.rows, dim: d.dim, k: limit, blockRows: blockRows, threads: threads)
        return lists(count: d.rows, k: limit, decoder: { dm.matchesOfA($0) },
                     mutual: { dm.bestOfA($0) == $1 && dm.bestOfA($1) == $0 },
                     own: activations, other: activations, excludeSelf: true, cosine: { d.cosine($0, d, $1) }, threads: threads)
    }

    private static func mismatch(_ columns: Int, _ rows: Int) -> SAEKitError {
        SAEKitError(.badInput, path: nil, subject: "activations", reason: "\(columns) activation columns for a decoder of \(rows) rows",
                    remedy: "pass the activations encoded with this dictionary")
    }
}
