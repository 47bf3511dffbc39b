#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Activation files read as one corpus: their rows concatenated in the order given (for a glob,
/// sorted by name), so that files an activation dump wrote in shards build one cache.
///
/// Every file must have the same d_in and the same sequence length (files of [n, d_in] count as
/// sequences of length 1). Rows are numbered across files: row = sequence * sequence_length + position.
public struct ActivationCorpus: Sendable {
    public let files: [ActivationFile]
    public let dIn: Int
    public let sequenceLength: Int
    /// Sequences over all files.
    public let sequences: Int
    /// First sequence of each file, then the total.
    public let sequenceOffsets: [Int]

    public var rows: Int { sequences * sequenceLength }

    public init(files: [ActivationFile]) throws {
        guard let first = files.first else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--activations", reason: "no activation file given",
                remedy: "give one or more files, or a quoted glob")
        }
        for f in files.dropFirst() {
            guard f.dIn == first.dIn else {
                throw SAEKitError(
                    .badInput, path: f.path, subject: "tensor \"\(f.activations.name)\"",
                    reason: "has d_in = \(f.dIn) but \(first.path) has \(first.dIn)", remedy: "give files of one activation dump")
            }
            guard f.sequenceLength == first.sequenceLength else {
                throw SAEKitError(
                    .badInput, path: f.path, subject: "tensor \"\(f.activations.name)\"",
                    reason: "has sequence length \(f.sequenceLength) but \(first.path) has \(first.sequenceLength)",
                    remedy: "give files of one activation dump")
            }
        }
        self.files = files
        dIn = first.dIn
        sequenceLength = first.sequenceLength
        var offsets = [0]
        for f in files { offsets.append(offsets.last! + f.sequences) }
        sequenceOffsets = offsets
        sequences = offsets.last!
    }

    /// Opens `paths` (already expanded). `tokensPath` is allowed with a single file only.
    public init(paths: [String], tensor: String? = nil, tokensPath: String? = nil) throws {
        if tokensPath != nil && paths.count > 1 {
            throw SAEKitError(
                .badInput, path: tokensPath, subject: "--tokens", reason: "applies to a single activation file, \(paths.count) were given",
                remedy: "store the tokens inside each activation file")
        }
        try self.init(files: paths.map { try ActivationFile(path: $0, tensor: tensor, tokensPath: tokensPath) })
    }

    /// Expands the --activations arguments: an argument with `*`, `?` or `[` is a glob (quoted, so
    /// that saex expands it), whose matches are taken in sorted name order (byte order), leaving out
    /// `*.features.safetensors` (the sparse feature files an activation dump writes beside its
    /// shards); other arguments are taken as given, in the order given.
    public static func expand(_ arguments: [String], skipFeatureFiles: Bool = true) throws -> [String] {
        var out: [String] = []
        for a in arguments {
            guard a.contains(where: { "*?[".contains($0) }) else {
                out.append(a)
                continue
            }
            var g = glob_t()
            defer { globfree(&g) }
            let rc = glob(a, 0, nil, &g)
            var matches: [String] = []
            if rc == 0 {
                for i in 0..<Int(g.gl_pathc) {
                    if let p = g.gl_pathv[i] { matches.append(String(cString: p)) }
                }
            }
            if skipFeatureFiles { matches.removeAll { $0.hasSuffix(".features.safetensors") } }
            guard !matches.isEmpty else {
                throw SAEKitError(.notFound, path: a, reason: "the pattern matches no file", remedy: "check the folder and the pattern")
            }
            out += matches.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        return out
    }

    /// The file holding global sequence `s`, and its index there.
    func locate(sequence s: Int) -> (file: Int, local: Int) {
        var lo = 0, hi = files.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if sequenceOffsets[mid] <= s { lo = mid } else { hi = mid - 1 }
        }
        return (lo, s - sequenceOffsets[lo])
    }

    /// The parts of global rows `range` that lie in each file: (file index, local row range, first global row).
    func segments(rows range: Range<Int>) -> [(file: Int, rows: Range<Int>, global: Int)] {
        var out: [(file: Int, rows: Range<Int>, global: Int)] = []
        let L = sequenceLength
        for (i, f) in files.enumerated() {
            let g0 = sequenceOffsets[i] * L, g1 = g0 + f.rows
            let lo = max(g0, range.lowerBound), hi = min(g1, range.upperBound)
            if lo < hi { out.append((i, (lo - g0)..<(hi - g0), lo)) }
        }
        return out
    }
}

/// `--shard I/N`: the I-th of N parts of a corpus (I counted from 0), whole sequences each.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses "I/N"; refuses anything else, or I outside 0 ..< N, in one line.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--shard \(text)", reason: "expected I/N, e.g. 0/4",
                remedy: "give the part number counted from 0 and the number of parts, as --shard $SLURM_ARRAY_TASK_ID/N")
        }
        guard n >= 1 else {
            throw SAEKitError(.badInput, path: nil, subject: "--shard \(text)", reason: "the number of parts must be 1 or more")
        }
        guard (0..<n).contains(i) else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--shard \(text)", reason: "the part number must be 0 to \(n - 1) (counted from 0)",
                remedy: "use --array=0-\(n - 1) with --shard $SLURM_ARRAY_TASK_ID/\(n)")
        }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Sequences of part `index` of `total`: as even as whole sequences allow, in order.
    public func sequences(of total: Int) -> Range<Int> {
        (index * total / count)..<((index + 1) * total / count)
    }
}

extension ActivationFile {
    /// Token ids of local rows `range` (nil when the file has none).
    func tokenIDs(rows range: Range<Int>) throws -> [Int64]? {
        guard let t = tokens else { return nil }
        guard t.dtype.byteSize != nil, let base = t.rawBytes.baseAddress else { return range.isEmpty ? [] : nil }
        var out = [Int64](repeating: 0, count: range.count)
        for (k, i) in range.enumerated() {
            let v = t.dtype.integer(i, in: base) ?? 0
            out[k] = t.dtype == .u64 && v < 0 ? .max : v  // a U64 id above Int64.max clamps
        }
        return out
    }

    /// Lets the kernel drop this process's mapped pages of local rows `range` once they are read,
    /// so that a long build's resident memory does not grow with the file (a batch job's memory
    /// limit counts mapped file pages). Only whole pages inside the range are released.
    func releaseRows(_ range: Range<Int>) {
        releaseMapped(activations, byteRange: (range.lowerBound * dIn * activationWidth)..<(range.upperBound * dIn * activationWidth))
        if let t = tokens, let w = t.dtype.byteSize, t.file === activations.file {
            releaseMapped(t, byteRange: (range.lowerBound * w)..<(range.upperBound * w))
        }
    }

    private var activationWidth: Int { activations.dtype.byteSize ?? 4 }
}

/// madvise(MADV_DONTNEED) over the whole pages of `byteRange` of a mapped tensor.
func releaseMapped(_ t: TensorView, byteRange: Range<Int>) {
    guard t.file.isMapped, let fileBase = t.file.base else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let lo = t.absoluteOffset + byteRange.lowerBound, hi = t.absoluteOffset + byteRange.upperBound
    let start = (lo + page - 1) / page * page, end = hi / page * page
    guard end > start else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: fileBase + start), end - start, MADV_DONTNEED)
}
