import Foundation

/// Reads an EleutherAI delphi latent cache: `latents/<hookpoint>/<start>_<end>.safetensors`.
///
/// Each split file holds `locations` [n, 3] (sequence row, position, latent - start; any integer
/// dtype, delphi writes U16 or U32), `activations` [n] (F16 as delphi writes it; F32 and BF16 are
/// read too) and `tokens` [n_seqs, ctx_len] (the same in every split; absent when the cache was
/// saved with `save_tokens=False`). `end` is inclusive. Token ids become text through `tokenText`.
///
/// Opening makes two streaming passes over each split (bounded memory: per-latent counters, the
/// 20 best examples and 5 examples per interval). `contexts` and `sample` scan the latent's split
/// again to read the activations around each example.
public enum DelphiImporter {
    static let remedy = "check that this is a delphi latent cache split (<start>_<end>.safetensors)"
    /// Examples kept per latent.
    public static let topCount = 20
    public static let binCount = 10
    public static let examplesPerBin = 5
    static let maxSample = 100_000

    /// Opens a hookpoint folder, one split file, or a `latents/` folder holding exactly one hookpoint.
    /// `window` tokens are shown on each side of an example's peak.
    public static func open(
        path: String, tokenText: @escaping @Sendable (Int) -> String, window: Int = 8,
        name: String? = nil
    ) throws -> ImportedFeatureSource {
        let (folder, splitPaths) = try resolve(path)
        var splits: [Split] = []
        for p in splitPaths { splits.append(try Split(path: p)) }
        splits.sort { $0.start < $1.start }
        for (a, b) in zip(splits, splits.dropFirst()) where b.start <= a.end {
            throw SAEKitError(
                .badInput, path: b.path, reason: "its latents \(b.start)...\(b.end) overlap \((a.path as NSString).lastPathComponent)",
                remedy: "remove the split that does not belong to this cache")
        }
        guard let tokensSplit = splits.first(where: { $0.tokens != nil }), let tokens = tokensSplit.tokens else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"tokens\"",
                reason: "missing in every split (the cache was saved with save_tokens=False)",
                remedy: "re-run delphi's caching with save_tokens=True")
        }
        for s in splits {
            if let t = s.tokens, t.shape != tokens.shape {
                throw SAEKitError(
                    .badInput, path: s.path, subject: "tensor \"tokens\"",
                    reason: "has shape \(t.shape) but \((tokensSplit.path as NSString).lastPathComponent) has \(tokens.shape)",
                    remedy: "keep the splits of one caching run together")
            }
        }
        let nSeqs = tokens.shape[0], ctxLen = tokens.shape[1]
        let totalTokens = Double(nSeqs * ctxLen)
        let tokenIDs = IntColumn(tokens)

        var features: [Int: ImportedFeature] = [:]
        var examples: [Int: Examples] = [:]
        var splitOf: [Int: Int] = [:]
        for (si, s) in splits.enumerated() {
            let acc = try s.summarise(nSeqs: nSeqs, ctxLen: ctxLen)
            for (latent, a) in acc {
                let top = a.top.map { Example(row: $0.row, position: $0.position, value: $0.value) }
                let stats = FeatureStats(
                    feature: latent, density: Double(a.count) / totalTokens, maxActivation: a.max,
                    meanActivation: Float(a.sum / totalTokens), dead: a.count == 0,
                    topTokens: top.prefix(5).map { tokenText(Int(tokenIDs.at($0.row * ctxLen + $0.position))) })
                features[latent] = ImportedFeature(stats: stats, meanKnown: true)
                examples[latent] = Examples(top: top, bins: a.bins, binCounts: a.binCounts, count: a.count, max: a.max)
                splitOf[latent] = si
            }
        }
        let fingerprint = try ImportFingerprint.of(
            kind: "delphi-latent-cache", root: folder.hasSuffix("/") ? folder : folder + "/", files: splitPaths)
        let descriptor = DictionaryDescriptor(
            name: name ?? (folder as NSString).lastPathComponent, score: .unknown, architecture: "unknown", dIn: 0,
            featureCount: (splits.map(\.end).max() ?? -1) + 1, fingerprint: fingerprint, path: path, hasNorms: false)
        let loader = DelphiContexts(
            splits: splits, splitOf: splitOf, examples: examples, tokens: tokenIDs, ctxLen: ctxLen,
            window: max(0, window), tokenText: tokenText)
        return ImportedFeatureSource(kind: "delphi-latent-cache", descriptor: descriptor, features: features, loader: loader)
    }

    /// Whether `name` is a split file name (`<start>_<end>.safetensors`).
    static func splitRange(_ name: String) -> (Int, Int)? {
        guard name.hasSuffix(".safetensors") else { return nil }
        let parts = name.dropLast(".safetensors".count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let a = Int(parts[0]), let b = Int(parts[1])
        else { return nil }
        return (a, b)
    }

    static func splits(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { splitRange($0) != nil }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// The hookpoint folder and its split files.
    static func resolve(_ path: String) throws -> (String, [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SAEKitError(.notFound, path: path, reason: "no such file or folder", remedy: "check the path")
        }
        if !isDir.boolValue {
            guard splitRange((path as NSString).lastPathComponent) != nil else {
                throw SAEKitError(.badInput, path: path, reason: "is not named <start>_<end>.safetensors", remedy: remedy)
            }
            return ((path as NSString).deletingLastPathComponent, [path])
        }
        let direct = splits(in: path)
        if !direct.isEmpty { return (path, direct) }
        let subs = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            .map { (path as NSString).appendingPathComponent($0) }.filter { !splits(in: $0).isEmpty }
        if subs.count == 1 { return (subs[0], splits(in: subs[0])) }
        if subs.count > 1 {
            throw SAEKitError(
                .badInput, path: path,
                reason: "holds \(subs.count) hookpoints (\(subs.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))",
                remedy: "give the folder of one hookpoint")
        }
        throw SAEKitError(.badInput, path: path, reason: "has no <start>_<end>.safetensors splits", remedy: remedy)
    }

    struct Example: Sendable, Equatable {
        var row: Int
        var position: Int
        var value: Float
    }

    struct Examples: Sendable {
        var top: [Example]
        var bins: [[Example]]
        var binCounts: [Int]
        var count: Int
        var max: Float
    }
}

/// Integer elements of a tensor, read in place.
struct IntColumn: @unchecked Sendable {
    let view: TensorView
    let base: UnsafeRawPointer?

    init(_ view: TensorView) {
        self.view = view
        self.base = view.rawBytes.baseAddress
    }

    @inline(__always)
    func at(_ i: Int) -> Int64 {
        guard let base else { return 0 }
        return view.dtype.integer(i, in: base) ?? 0
    }
}

/// One split file of a delphi cache, validated.
struct Split: @unchecked Sendable {
    let path: String
    let start, end: Int
    let file: SafetensorsFile
    let locations: IntColumn
    let activations: TensorView
    let tokens: TensorView?
    var rows: Int { activations.elementCount }

    init(path: String) throws {
        self.path = path
        // end = Int.max would overflow the split's width and the feature count (end + 1).
        guard let (a, b) = DelphiImporter.splitRange((path as NSString).lastPathComponent), a <= b, b < Int.max else {
            throw SAEKitError(
                .badInput, path: path, reason: "the name's range is not <start>_<end> with start <= end < \(Int.max)",
                remedy: DelphiImporter.remedy)
        }
        start = a
        end = b
        file = try SafetensorsFile(path: path)
        let loc = try file.require("locations", remedy: DelphiImporter.remedy)
        guard loc.dtype.isInteger else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"locations\"", reason: "has dtype \(loc.dtype.rawValue), expected an integer type",
                remedy: DelphiImporter.remedy)
        }
        guard loc.shape.count == 2, loc.shape[1] == 3 else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"locations\"", reason: "has shape \(loc.shape), expected [n, 3]",
                remedy: DelphiImporter.remedy)
        }
        let acts = try file.require("activations", remedy: DelphiImporter.remedy)
        guard acts.dtype == .f16 || acts.dtype == .f32 || acts.dtype == .bf16 || acts.dtype == .f64 else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"activations\"", reason: "has dtype \(acts.dtype.rawValue), expected F16 or F32",
                remedy: DelphiImporter.remedy)
        }
        guard acts.shape.count == 1 else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"activations\"", reason: "has shape \(acts.shape), expected [n]",
                remedy: DelphiImporter.remedy)
        }
        guard acts.shape[0] == loc.shape[0] else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"activations\"",
                reason: "has \(acts.shape[0]) values but \"locations\" has \(loc.shape[0]) rows", remedy: DelphiImporter.remedy)
        }
        locations = IntColumn(loc)
        activations = acts
        if let t = file.tensor("tokens") {
            guard t.dtype.isInteger, t.shape.count == 2, t.shape[0] > 0, t.shape[1] > 0 else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"tokens\"",
                    reason: "is \(t.summary), expected integer token ids [n_seqs, ctx_len]", remedy: DelphiImporter.remedy)
            }
            tokens = t
        } else {
            tokens = nil
        }
    }

    /// Calls `body(i, row, position, latent, value)` for every entry, in file order, reading in chunks.
    func forEach(_ body: (Int, Int, Int, Int, Float) throws -> Void) throws {
        let chunk = 1 << 16
        var values = [Float](repeating: 0, count: chunk)
        var i0 = 0
        while i0 < rows {
            let n = min(chunk, rows - i0)
            try values.withUnsafeMutableBufferPointer { buf in
                guard let b = buf.baseAddress else { return }
                try activations.copyFloats(i0..<(i0 + n), into: b)
            }
            for k in 0..<n {
                let i = i0 + k
                try body(i, Int(locations.at(3 * i)), Int(locations.at(3 * i + 1)), Int(locations.at(3 * i + 2)), values[k])
            }
            i0 += n
        }
    }

    struct Accumulator {
        var count = 0
        var sum = 0.0
        var max: Float = 0
        /// Best first; ties by lower (row, position).
        var top: [DelphiImporter.Example] = []
        var bins: [[DelphiImporter.Example]] = Array(repeating: [], count: DelphiImporter.binCount)
        var binCounts = [Int](repeating: 0, count: DelphiImporter.binCount)
    }

    static func better(_ a: DelphiImporter.Example, _ b: DelphiImporter.Example) -> Bool {
        if a.value != b.value { return a.value > b.value }
        return (a.row, a.position) < (b.row, b.position)
    }

    /// The bin of `v` among 10 equal-width bins of (0, max]; nil for v <= 0.
    static func bin(_ v: Float, max: Float) -> Int? {
        guard v > 0, max > 0 else { return nil }
        let b = Int((Double(v) / Double(max) * Double(DelphiImporter.binCount)).rounded(.up)) - 1
        return Swift.min(Swift.max(b, 0), DelphiImporter.binCount - 1)
    }

    /// Validates every entry and summarises each latent (keys are global latent indices).
    func summarise(nSeqs: Int, ctxLen: Int) throws -> [Int: Accumulator] {
        var acc: [Int: Accumulator] = [:]
        let width = end - start + 1
        try forEach { i, row, pos, latent, v in
            guard row >= 0, row < nSeqs else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"locations\"",
                    reason: "row \(i): sequence \(row) is beyond the \(nSeqs) token rows",
                    remedy: "keep the splits of one caching run together")
            }
            guard pos >= 0, pos < ctxLen else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"locations\"",
                    reason: "row \(i): position \(pos) is beyond the context length \(ctxLen)",
                    remedy: "keep the splits of one caching run together")
            }
            guard latent >= 0, latent < width else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"locations\"",
                    reason: "row \(i): latent offset \(latent) is beyond this split's \(width) latents (\(start)...\(end))",
                    remedy: "check that the file name matches the split it holds")
            }
            guard v.isFinite else {
                throw SAEKitError(
                    .badInput, path: path, subject: "tensor \"activations\"", reason: "entry \(i) is \(v.isNaN ? "NaN" : "infinite")",
                    remedy: "re-run delphi's caching")
            }
            let e = DelphiImporter.Example(row: row, position: pos, value: v)
            var a = acc[start + latent] ?? Accumulator()
            a.count += 1
            a.sum += Double(v)
            a.max = Swift.max(a.max, v)
            if a.top.count < DelphiImporter.topCount || Split.better(e, a.top[a.top.count - 1]) {
                let at = a.top.firstIndex { Split.better(e, $0) } ?? a.top.count
                a.top.insert(e, at: at)
                if a.top.count > DelphiImporter.topCount { a.top.removeLast() }
            }
            acc[start + latent] = a
        }
        // Second pass: interval bins need each latent's maximum.
        try forEach { _, row, pos, latent, v in
            guard var a = acc[start + latent], let b = Split.bin(v, max: a.max) else { return }
            a.binCounts[b] += 1
            let e = DelphiImporter.Example(row: row, position: pos, value: v)
            if a.bins[b].count < DelphiImporter.examplesPerBin
                || (e.row, e.position) < (a.bins[b][a.bins[b].count - 1].row, a.bins[b][a.bins[b].count - 1].position)
            {
                let at = a.bins[b].firstIndex { (e.row, e.position) < ($0.row, $0.position) } ?? a.bins[b].count
                a.bins[b].insert(e, at: at)
                if a.bins[b].count > DelphiImporter.examplesPerBin { a.bins[b].removeLast() }
            }
            acc[start + latent] = a
        }
        return acc
    }
}

/// Builds token windows for a delphi latent on demand.
final class DelphiContexts: ImportedContextLoader, @unchecked Sendable {
    let splits: [Split]
    let splitOf: [Int: Int]
    let examples: [Int: DelphiImporter.Examples]
    let tokens: IntColumn
    let ctxLen: Int
    let window: Int
    let tokenText: @Sendable (Int) -> String

    init(
        splits: [Split], splitOf: [Int: Int], examples: [Int: DelphiImporter.Examples], tokens: IntColumn, ctxLen: Int, window: Int,
        tokenText: @escaping @Sendable (Int) -> String
    ) {
        self.splits = splits
        self.splitOf = splitOf
        self.examples = examples
        self.tokens = tokens
        self.ctxLen = ctxLen
        self.window = window
        self.tokenText = tokenText
    }

    func contexts(feature: Int) throws -> FeatureContexts {
        guard let ex = examples[feature], let si = splitOf[feature] else { return .empty }
        let split = splits[si]
        var wantedRows = Set(ex.top.map(\.row))
        for b in ex.bins { for e in b { wantedRows.insert(e.row) } }
        // The latent's activations on the rows the examples come from.
        var values: [Int: [Float]] = [:]
        let local = feature - split.start
        try split.forEach { _, row, pos, latent, v in
            guard latent == local, wantedRows.contains(row) else { return }
            values[row, default: [Float](repeating: 0, count: ctxLen)][pos] = v
        }
        func context(_ e: DelphiImporter.Example) -> TokenContext {
            let lo = max(0, e.position - window), hi = min(ctxLen, e.position + window + 1)
            let acts = values[e.row].map { Array($0[lo..<hi]) } ?? [Float](repeating: 0, count: hi - lo)
            let toks = (lo..<hi).map { tokenText(Int(tokens.at(e.row * ctxLen + $0))) }
            return TokenContext(sequence: e.row, position: e.position, value: e.value, start: lo, tokens: toks, activations: acts)
        }
        var intervals: [IntervalGroup] = []
        for b in 0..<DelphiImporter.binCount where ex.binCounts[b] > 0 {
            let w = ex.max / Float(DelphiImporter.binCount)
            intervals.append(
                IntervalGroup(
                    lower: w * Float(b), upper: b == DelphiImporter.binCount - 1 ? ex.max : w * Float(b + 1),
                    contains: Double(ex.binCounts[b]) / Double(ex.count), examples: ex.bins[b].map(context)))
        }
        return FeatureContexts(top: ex.top.map(context), intervals: intervals, random: [])
    }

    func sampleValues(feature: Int) throws -> [Float] {
        guard let ex = examples[feature], let si = splitOf[feature] else { return [] }
        let split = splits[si]
        let local = feature - split.start
        let stride = max(1, (ex.count + DelphiImporter.maxSample - 1) / DelphiImporter.maxSample)
        var out: [Float] = []
        var seen = 0
        try split.forEach { _, _, _, latent, v in
            guard latent == local else { return }
            if seen % stride == 0 { out.append(v) }
            seen += 1
        }
        return out
    }
}
