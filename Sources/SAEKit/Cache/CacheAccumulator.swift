#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// How a build spends `CacheOptions.memoryLimit`.
///
/// Encode buffers take at most a quarter of the limit (and never more than the historical 256 MiB
/// batch budget), read buffers for assembling the columns a sixteenth (at most 32 MiB), per-row
/// buffers 1 MiB each; the rest holds nonzeros before they are spilled (16 bytes each while a run is
/// sorted), split between the dictionaries, but at most `steadyRunCapacity` per dictionary: larger
/// runs would not make the build faster, and this way a build's peak memory does not depend on the
/// corpus size once it holds a few million nonzeros.
struct BuildMemoryPlan {
    var batch: Int
    var runCapacity: Int
    var readerBytes: Int
    var rowChunkBytes: Int

    static let steadyRunCapacity = 4 << 20

    init(options: CacheOptions, featureCounts: [Int], dIn: Int, gated: Bool) {
        let limit = max(1 << 16, options.memoryLimit)
        let maxF = featureCounts.max() ?? 1
        let perRow = 4 * (2 * dIn + (gated ? 3 : 2) * maxF)
        batch = max(1, min(4096, options.memoryBudget / max(1, 12 * maxF), (limit / 4) / max(1, perRow)))
        readerBytes = max(64 << 10, min(32 << 20, limit / 16))
        rowChunkBytes = max(4 << 10, min(1 << 20, limit / 64))
        let rest = limit - batch * perRow - readerBytes - (2 + featureCounts.count) * rowChunkBytes
        let perDictionary = rest / max(1, featureCounts.count)
        runCapacity = max(1, min(Self.steadyRunCapacity, perDictionary / 16 - maxF))
    }
}

/// What a build collects per row and per dictionary before writing: token ids, norms, ||x - b_dec||,
/// the nonzeros (as spillable columns), exact elasticity sums and, when it sees the inputs x, the
/// exact sums behind each dictionary's FVU.
final class CacheAccumulator {
    let tokens: RowValues<Int32>
    let norms: RowValues<Float>
    let bDecNorms: [RowValues<Float>]
    let columns: [ColumnSpiller]
    let elasticity: [ExactSums]
    /// Sum x and sum x^2 per dimension over real tokens; nil when the build does not see x (`--feature-acts`).
    let moments: InputMoments?
    /// Per dictionary, the sum of ||x - x_hat||^2 over real tokens (one sum each); empty without `moments`.
    let residuals: [ExactSums]
    let plan: BuildMemoryPlan

    /// `reconstructionDIn`: the width of x when the build sees it (for the FVU), else nil.
    init(featureCounts: [Int], plan: BuildMemoryPlan, folder: SpillFolder, reconstructionDIn: Int? = nil) {
        moments = reconstructionDIn.map { InputMoments(dIn: $0) }
        residuals = reconstructionDIn == nil ? [] : featureCounts.map { _ in ExactSums(count: 1, layout: .squares) }
        self.plan = plan
        tokens = RowValues(folder: folder, name: "tokens", chunkBytes: plan.rowChunkBytes)
        norms = RowValues(folder: folder, name: "norms", chunkBytes: plan.rowChunkBytes)
        bDecNorms = featureCounts.indices.map { RowValues(folder: folder, name: "bdec\($0)", chunkBytes: plan.rowChunkBytes) }
        columns = featureCounts.enumerated().map {
            ColumnSpiller(featureCount: $1, capacity: plan.runCapacity, folder: folder, name: "columns\($0)")
        }
        elasticity = featureCounts.map { ExactSums(count: $0) }
    }

    func appendSample(token: Int32, norm: Float) throws {
        try tokens.append(token)
        try norms.append(norm)
    }

    func sampleData(sequences: Int, sequenceLength: Int, keepExact: Bool) throws -> SampleData {
        let t = tokens, n = norms
        var data = SampleData(
            rows: t.count, tokens: TensorBytes(count: t.count) { try t.write(to: $0) },
            norms: TensorBytes(count: n.count) { try n.write(to: $0) }, sequences: sequences,
            sequenceLength: sequenceLength)
        if let m = moments {
            data.inputSums = m.sums.values()
            data.inputSumsExact = keepExact ? m.sums.normalisedStorage() : nil
        }
        return data
    }

    /// Dictionary `di`'s data for the writer (its columns streamed from memory or the spill folder).
    func dictionaryData(
        _ di: Int, descriptor: CacheManifest.Dictionary, keepExact: Bool, alpha: [Float], encoderNorms: [Float],
        decoderNorms: [Float], encoderDecoderCosine: [Float]
    ) throws -> DictionaryCacheData {
        let c = columns[di]
        try c.finish()
        let nnz = c.nonzeroCount
        let readers = plan.readerBytes
        let b = bDecNorms[di]
        return DictionaryCacheData(
            descriptor: descriptor, featureCount: c.featureCount, colPtr: c.colPtr,
            rows: TensorBytes(count: nnz) { try c.write(values: false, to: $0, readerBytes: readers) },
            values: TensorBytes(count: nnz) { try c.write(values: true, to: $0, readerBytes: readers) },
            bDecNorms: TensorBytes(count: b.count) { try b.write(to: $0) },
            elasticitySum: elasticity[di].values(), elasticityExact: keepExact ? elasticity[di].normalisedStorage() : nil,
            alpha: alpha, encoderNorms: encoderNorms, decoderNorms: decoderNorms, encoderDecoderCosine: encoderDecoderCosine,
            residualSum: residuals.isEmpty ? nil : residuals[di].value(0),
            residualExact: keepExact && !residuals.isEmpty ? residuals[di].normalisedStorage() : nil)
    }
}

/// Digests of files' 8 MiB chunks (`DictionaryFingerprint.chunkDigest`), read with pread through a
/// bounded buffer, so that fingerprinting a large activation file does not map it whole.
enum FileDigests {
    static var chunkSize: Int { DictionaryFingerprint.chunkSize }

    static func chunkCount(_ size: Int) -> Int { (size + chunkSize - 1) / chunkSize }

    static func size(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw MappedFile.openError(path: path, errno: errno) }
        return Int(st.st_size)
    }

    static func hex(_ d: UInt64) -> String {
        let s = String(d, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    static func parseHex(_ s: String) -> UInt64? { s.count == 16 ? UInt64(s, radix: 16) : nil }

    /// Digests of chunks `chunks` of the file (size `size`), in order.
    static func digests(path: String, size: Int, chunks: Range<Int>) throws -> [UInt64] {
        guard !chunks.isEmpty else { return [] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFile.openError(path: path, errno: errno) }
        defer { close(fd) }
        let group = 4  // chunks read and hashed together, one per thread
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: group * chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var out: [UInt64] = []
        var c = chunks.lowerBound
        while c < chunks.upperBound {
            let k = min(group, chunks.upperBound - c)
            let start = c * chunkSize
            let n = min(k * chunkSize, size - start)
            if let failure = FullIO.read(fd, buffer, n, at: start) {
                throw SAEKitError(
                    .ioFailure, path: path, reason: "reading the file failed at byte \(start + failure.done) (errno \(failure.errno))")
            }
            var d = [UInt64](repeating: 0, count: k)
            d.withUnsafeMutableBufferPointer { o in
                let base = o.baseAddress!
                Parallel.forEach(k) { j in
                    base[j] = DictionaryFingerprint.chunkDigest(UnsafeRawPointer(buffer + j * chunkSize), min(chunkSize, n - j * chunkSize))
                }
            }
            out += d
            c += k
        }
        return out
    }
}
