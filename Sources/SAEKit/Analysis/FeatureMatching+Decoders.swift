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
    public static func crossMatches(
        a: DecoderRows, b: DecoderRows, activationsA: SparseColumns?, activationsB: SparseColumns?,
        limit: Int = 5, blockRows: Int = 1024, threads: Int? = nil,
        profile: AnalysisProfile? = nil, decoderMatches given: DecoderMatches? = nil
    ) throws -> CrossDictionaryMatches {
        guard a.dim == b.dim else {
            throw SAEKitError(
                .badInput, path: nil, subject: "decoders", reason: "decoder widths \(a.dim) and \(b.dim) differ",
                remedy: "compare dictionaries trained on the same activations")
        }
        if let x = activationsA, x.featureCount != a.rows { throw mismatch(x.featureCount, a.rows) }
        if let y = activationsB, y.featureCount != b.rows { throw mismatch(y.featureCount, b.rows) }
        let dm =
            given
            ?? profile.time("decoder matching") {
                DecoderMatching.match(
                    a: a.storage.pointer, rowsA: a.rows, b: b.storage.pointer, rowsB: b.rows, dim: a.dim, k: limit,
                    blockRows: blockRows, threads: threads)
            }
        let corr = correlations(
            activationsA, activationsB, within: false, k: limit, decoderA: { dm.matchesOfA($0).map(\.feature) },
            decoderB: { dm.matchesOfB($0).map(\.feature) }, threads: threads, profile: profile)
        let ab = lists(
            count: a.rows, k: limit, decoder: { dm.matchesOfA($0) }, mutual: { dm.isMutual(a: $0, b: $1) },
            corr: corr?.aToB, ofMatch: corr.map { c in { c.ofA($0, $1) } }, cosine: { a.cosine($0, b, $1) }, profile: profile)
        let ba = lists(
            count: b.rows, k: limit, decoder: { dm.matchesOfB($0) }, mutual: { dm.isMutual(a: $1, b: $0) },
            corr: corr?.bToA, ofMatch: corr.map { c in { c.ofB($0, $1) } }, cosine: { b.cosine($0, a, $1) }, profile: profile)
        return CrossDictionaryMatches(aToB: ab, bToA: ba)
    }

    /// `neighbours` on decoder rows alone.
    public static func neighbours(
        _ d: DecoderRows, activations: SparseColumns?, limit: Int = 5, blockRows: Int = 1024,
        threads: Int? = nil, profile: AnalysisProfile? = nil,
        decoderMatches given: DecoderMatches? = nil
    ) throws -> [FeatureMatchLists] {
        if let x = activations, x.featureCount != d.rows { throw mismatch(x.featureCount, d.rows) }
        let dm =
            given
            ?? profile.time("decoder matching") {
                DecoderMatching.neighbours(d.storage.pointer, rows: d.rows, dim: d.dim, k: limit, blockRows: blockRows, threads: threads)
            }
        return withinLists(dm, count: d.rows, activations: activations, limit: limit, threads: threads, profile: profile) {
            d.cosine($0, d, $1)
        }
    }

    private static func mismatch(_ columns: Int, _ rows: Int) -> SAEKitError {
        SAEKitError(
            .badInput, path: nil, subject: "activations", reason: "\(columns) activation columns for a decoder of \(rows) rows",
            remedy: "pass the activations encoded with this dictionary")
    }
}
