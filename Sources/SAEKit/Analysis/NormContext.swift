/// The input norms of one token sample, with what every feature's norm statistics share.
///
/// Computed once per sample in O(n log n): the norms ||x|| of the n real tokens (the caller drops
/// padding), their average ranks (1-based, ties share the mean of the ranks they span), centred
/// norms and sums of squares for Pearson and Spearman, and the `ceil(0.01 n)` highest-norm tokens
/// (ties broken towards the lower token index). Token indices are the rows of `SparseColumns`.
public struct NormContext: Sendable {
    /// Number of tokens n.
    public let count: Int
    /// ||x|| per token.
    public let norms: [Float]
    /// Mean norm.
    public let meanNorm: Double
    /// x_t - mean, per token.
    public let centeredNorms: [Double]
    /// Sum over tokens of (x_t - mean)^2.
    public let normSumSquares: Double
    /// Average rank of each token's norm, 1...n.
    public let ranks: [Double]
    /// rank_t - (n + 1) / 2, per token.
    public let centeredRanks: [Double]
    /// Sum over tokens of (rank_t - (n + 1) / 2)^2 (n(n^2 - 1)/12 without ties).
    public let rankSumSquares: Double
    /// The ceil(0.01 n) highest-norm tokens, ascending token index.
    public let topTokens: [Int]
    /// Everything a feature reads about token t, packed in 16 bytes so that one cache line
    /// serves a token (the per-feature pass gathers tokens in random order).
    let table: TokenTable

    /// The share of tokens in the top set: 1%.
    public static let topFraction = 0.01

    /// - Precondition: norms are finite; fewer than 2^31 tokens.
    public init(norms: [Float]) {
        let n = norms.count
        precondition(n < 1 << 31, "too many tokens for a norm context (limit 2^31)")
        precondition(norms.allSatisfy(\.isFinite), "input norms must be finite")
        count = n
        self.norms = norms
        var sum = 0.0
        for v in norms { sum += Double(v) }
        let mean = n > 0 ? sum / Double(n) : 0
        meanNorm = mean
        let centred = norms.map { Double($0) - mean }
        centeredNorms = centred
        // Exactly zero for constant norms (the rounded mean would leave tiny residues).
        let constant = norms.min() == norms.max()
        normSumSquares = constant ? 0 : centred.reduce(0) { $0 + $1 * $1 }

        // Sort (key, index) pairs; the radix sort is stable so equal norms stay in index order.
        var items = [UInt64](repeating: 0, count: n)
        var scratch = [UInt64](repeating: 0, count: n)
        for t in 0..<n { items[t] = RankSort.pack(key: RankSort.orderedKey(norms[t]), payload: UInt32(t)) }
        items.withUnsafeMutableBufferPointer { it in
            scratch.withUnsafeMutableBufferPointer { s in
                if n > 0 { RankSort.sortByKey(it.baseAddress!, count: n, scratch: s.baseAddress!) }
            }
        }
        var rank = [Double](repeating: 0, count: n)
        var ord = [UInt32](repeating: 0, count: n)
        var i = 0
        while i < n {
            let key = items[i] >> 32
            var j = i + 1
            while j < n && items[j] >> 32 == key { j += 1 }
            let r = Double(i + j + 1) / 2  // mean of ranks i+1 ... j
            for q in i..<j {
                let t = Int(items[q] & 0xFFFF_FFFF)
                rank[t] = r
                ord[t] = UInt32(q)
            }
            i = j
        }
        ranks = rank
        let rMean = Double(n + 1) / 2
        let cr = rank.map { $0 - rMean }
        centeredRanks = cr
        rankSumSquares = cr.reduce(0) { $0 + $1 * $1 }

        // Top 1%: highest norm first, ties towards the lower index.
        let k = n == 0 ? 0 : Int((Self.topFraction * Double(n)).rounded(.up))
        var top: [Int] = []
        top.reserveCapacity(k)
        var q = n - 1
        while top.count < k && q >= 0 {
            // Walk tie groups from the top; inside a group take ascending indices.
            let key = items[q] >> 32
            var lo = q
            while lo > 0 && items[lo - 1] >> 32 == key { lo -= 1 }
            var g = lo
            while g <= q && top.count < k { top.append(Int(items[g] & 0xFFFF_FFFF)); g += 1 }
            q = lo - 1
        }
        top.sort()
        topTokens = top
        var mask = [UInt8](repeating: 0, count: n)
        for t in top { mask[t] = 1 }
        // `ord[t]`: t's place in the order by ascending norm (ties by ascending index).
        table = TokenTable(norms: norms, centeredNorms: centred, centeredRanks: cr, ordinal: ord, isTop: mask)
    }
}

/// Per-token record read by the per-feature statistics: norm, centred norm, centred rank and
/// norm ordinal with the top-1% flag in its high bit.
///
/// Centred ranks are half-integers, exact in Float below 2^22 (4,194,304) tokens and within a
/// relative 6e-8 beyond; centred norms lose nothing that matters next to Float activations.
struct TokenRecord {
    var norm: Float
    var centeredNorm: Float
    var centeredRank: Float
    var ordinalAndTop: UInt32

    static let topBit: UInt32 = 0x8000_0000
}

/// An immutable, 64-byte aligned array of `TokenRecord`.
final class TokenTable: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<TokenRecord>
    let count: Int

    init(norms: [Float], centeredNorms: [Double], centeredRanks: [Double], ordinal: [UInt32], isTop: [UInt8]) {
        count = norms.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<TokenRecord>.stride, alignment: 64)
        pointer = raw.bindMemory(to: TokenRecord.self, capacity: max(1, count))
        for t in 0..<count {
            pointer[t] = TokenRecord(
                norm: norms[t], centeredNorm: Float(centeredNorms[t]), centeredRank: Float(centeredRanks[t]),
                ordinalAndTop: ordinal[t] | (isTop[t] != 0 ? TokenRecord.topBit : 0))
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
