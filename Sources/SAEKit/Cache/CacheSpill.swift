import CSignals
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// A temporary folder beside a cache being written, holding what does not fit the build's memory
/// limit. Created on first use; `remove()` deletes it (the builder calls it on success and on failure).
/// The folder and its files are registered for removal on a terminating signal (SIGINT, SIGTERM as
/// Slurm sends at a time limit), so only SIGKILL leaves them behind.
final class SpillFolder: @unchecked Sendable {
    let output: String
    private(set) var path: String?
    private var files: [SpillFile] = []
    private var cleanupSlots: [Int32] = []

    init(output: String) { self.output = output }

    func file(_ name: String) throws -> SpillFile {
        if path == nil {
            let dir = (output as NSString).deletingLastPathComponent
            let p =
                (dir.isEmpty ? "" : dir + "/")
                + ".\((output as NSString).lastPathComponent).spill-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            cleanupSlots.append(saex_cleanup_register(p, 1))
            guard mkdir(p, 0o700) == 0 else {
                let err = errno
                throw SAEKitError(
                    .ioFailure, path: output, reason: "cannot create a spill folder beside it (\(String(cString: strerror(err))))",
                    remedy: "check that the folder is writable, or raise --memory-limit")
            }
            path = p
        }
        cleanupSlots.append(saex_cleanup_register(path! + "/" + name, 0))
        let f = try SpillFile(path: path! + "/" + name, output: output)
        files.append(f)
        return f
    }

    func remove() {
        for f in files { f.close() }
        files = []
        if let p = path { try? FileManager.default.removeItem(atPath: p) }
        path = nil
        for slot in cleanupSlots { saex_cleanup_unregister(slot) }
        cleanupSlots = []
    }

    deinit { remove() }
}

/// An append-only temporary file read back with pread.
final class SpillFile: @unchecked Sendable {
    let path: String
    let output: String
    private var fd: Int32
    private(set) var size = 0

    init(path: String, output: String) throws {
        self.path = path
        self.output = output
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: output, reason: "cannot create a spill file beside it (\(String(cString: strerror(err))))")
        }
    }

    func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }

    deinit { close() }

    func append(_ p: UnsafeRawPointer, _ n: Int) throws {
        if let failure = FullIO.write(fd, p, n, at: size) {
            throw SAEKitError(
                .ioFailure, path: output, reason: "writing a spill file failed (\(failure.reason))",
                remedy: "check free disk space beside the output")
        }
        size += n
    }

    func read(at offset: Int, into p: UnsafeMutableRawPointer, _ n: Int) throws {
        if let failure = FullIO.read(fd, p, n, at: offset) {
            throw SAEKitError(.ioFailure, path: output, reason: "reading a spill file failed (errno \(failure.errno))")
        }
    }
}

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// Reads a region of a spill file front to back through a fixed buffer.
final class SpillReader {
    private let file: SpillFile
    private var next: Int
    private let end: Int
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var lo = 0, hi = 0

    init(file: SpillFile, offset: Int, length: Int, bufferBytes: Int) {
        self.file = file
        next = offset
        end = offset + length
        capacity = max(64, bufferBytes)
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private func refill() throws {
        let n = min(capacity, end - next)
        guard n > 0 else {
            throw SAEKitError(.ioFailure, path: file.output, reason: "a spill file ended early")
        }
        try file.read(at: next, into: buffer, n)
        next += n
        lo = 0
        hi = n
    }

    /// Copies `n` bytes into `dst`.
    func read(into dst: UnsafeMutableRawPointer, _ n: Int) throws {
        var done = 0
        while done < n {
            if lo == hi { try refill() }
            let k = min(n - done, hi - lo)
            (dst + done).copyMemory(from: buffer + lo, byteCount: k)
            lo += k
            done += k
        }
    }

    func readUInt32() throws -> UInt32 {
        var v: UInt32 = 0
        try withUnsafeMutableBytes(of: &v) { try read(into: $0.baseAddress!, 4) }
        return v
    }
}

/// One value per row (token ids, norms), kept in memory up to a chunk and spilled beyond it.
final class RowValues<T: BitwiseCopyable> {
    private let folder: SpillFolder
    private let name: String
    private let chunk: Int
    private var memory: [T] = []
    private var file: SpillFile?
    private(set) var count = 0

    init(folder: SpillFolder, name: String, chunkBytes: Int = 1 << 20) {
        self.folder = folder
        self.name = name
        chunk = max(1, chunkBytes / MemoryLayout<T>.stride)
        memory.reserveCapacity(min(chunk, 1 << 16))
    }

    func append(_ v: T) throws {
        memory.append(v)
        count += 1
        if memory.count >= chunk { try flush() }
    }

    private func flush() throws {
        if file == nil { file = try folder.file(name) }
        try memory.withUnsafeBytes { try file!.append($0.baseAddress!, $0.count) }
        memory.removeAll(keepingCapacity: true)
    }

    /// Streams every value, in order, into `w`.
    func write(to w: SafetensorsStreamWriter) throws {
        if let f = file {
            let step = 1 << 20
            let buf = UnsafeMutableRawPointer.allocate(byteCount: step, alignment: 16)
            defer { buf.deallocate() }
            var off = 0
            while off < f.size {
                let n = min(step, f.size - off)
                try f.read(at: off, into: buf, n)
                try w.append(UnsafeRawBufferPointer(start: buf, count: n))
                off += n
            }
        }
        try w.append(memory)
    }

    /// All values (tests and small inputs).
    func all() throws -> [T] {
        var out = [T]()
        out.reserveCapacity(count)
        if let f = file {
            let n = f.size / MemoryLayout<T>.stride
            let head = try [T](unsafeUninitializedCapacity: n) { b, c in
                try f.read(at: 0, into: UnsafeMutableRawPointer(b.baseAddress!), f.size)
                c = n
            }
            out += head
        }
        return out + memory
    }
}

/// One dictionary's nonzeros, arriving row by row, turned into sparse columns (CSC) in bounded memory.
///
/// Nonzeros are collected in row order until `capacity` of them are held; that run is then sorted
/// by feature (a counting sort, rows stay ascending) and written to a spill file as per-feature
/// counts, rows and values. Runs cover consecutive row ranges, so a feature's column is its
/// segments in every run, concatenated in run order: writing the cache reads the runs side by side,
/// feature by feature, through small buffers. When everything fits in one run nothing is spilled.
/// The result is the same bytes whatever the capacity.
final class ColumnSpiller {
    let featureCount: Int
    let capacity: Int
    private let folder: SpillFolder
    private let name: String
    /// The current run, in row order: feature ids and values; `rowEnds[r]` ends row r's entries.
    private let features: UnsafeMutablePointer<UInt32>
    private let values: UnsafeMutablePointer<Float>
    private(set) var count = 0
    private var rowEnds: [Int] = []
    private var runFirstRow = 0
    /// Nonzeros per feature over all rows.
    private(set) var totals: [Int64]
    private struct Run { var offset: Int; var nonzeros: Int }
    private var runs: [Run] = []
    private var file: SpillFile?
    /// The columns when nothing was spilled (set by `finish`).
    private var inMemory: (rows: [UInt32], values: [Float])?

    /// `capacity`: nonzeros held before a run is spilled (at least one row's worth is always taken).
    init(featureCount: Int, capacity: Int, folder: SpillFolder, name: String) {
        self.featureCount = featureCount
        self.capacity = max(1, capacity)
        self.folder = folder
        self.name = name
        // A row adds at most featureCount entries past the capacity check.
        features = .allocate(capacity: self.capacity + featureCount)
        values = .allocate(capacity: self.capacity + featureCount)
        totals = [Int64](repeating: 0, count: featureCount)
    }

    deinit {
        features.deallocate()
        values.deallocate()
    }

    /// Bytes this spiller holds at most (two copies of a full run while it is sorted).
    static func bytes(capacity: Int, featureCount: Int) -> Int { 16 * (capacity + featureCount) + 8 * featureCount }

    /// Appends the nonzeros of the next row: `acts[i] != 0` for i in 0..<featureCount; calls `each`
    /// with (feature, value) for every one of them (for the elasticity sums).
    @inline(__always)
    func appendRow(_ acts: UnsafePointer<Float>, _ each: (Int, Float) -> Void) throws {
        var c = count
        let f = features, v = values
        for i in 0..<featureCount where acts[i] != 0 {
            f[c] = UInt32(truncatingIfNeeded: i)
            v[c] = acts[i]
            c &+= 1
            each(i, acts[i])
        }
        count = c
        try endRow()
    }

    /// Appends one nonzero of the current row (features ascending within the row).
    @inline(__always)
    func append(feature: Int, value: Float) {
        features[count] = UInt32(truncatingIfNeeded: feature)
        values[count] = value
        count &+= 1
    }

    /// Ends the current row (possibly empty).
    func endRow() throws {
        rowEnds.append(count)
        if count >= capacity { try spillRun() }
    }

    /// The current run as CSC: per-feature counts, rows (absolute) and values.
    private func transposeRun() -> (counts: [UInt32], rows: [UInt32], values: [Float]) {
        var counts = [UInt32](repeating: 0, count: featureCount)
        for k in 0..<count { counts[Int(features[k])] &+= 1 }
        var next = [Int](repeating: 0, count: featureCount)
        var acc = 0
        for i in 0..<featureCount { next[i] = acc; acc += Int(counts[i]) }
        var rows = [UInt32](repeating: 0, count: count)
        var vals = [Float](repeating: 0, count: count)
        rows.withUnsafeMutableBufferPointer { rp in
            vals.withUnsafeMutableBufferPointer { vp in
                var start = 0
                for (r, end) in rowEnds.enumerated() {
                    let row = UInt32(truncatingIfNeeded: runFirstRow + r)
                    for k in start..<end {
                        let f = Int(features[k])
                        let dst = next[f]
                        rp[dst] = row
                        vp[dst] = values[k]
                        next[f] = dst + 1
                    }
                    start = end
                }
            }
        }
        for i in 0..<featureCount { totals[i] += Int64(counts[i]) }
        return (counts, rows, vals)
    }

    private func resetRun() {
        runFirstRow += rowEnds.count
        rowEnds.removeAll(keepingCapacity: true)
        count = 0
    }

    private func spillRun() throws {
        let t = transposeRun()
        if file == nil { file = try folder.file(name) }
        let f = file!
        runs.append(Run(offset: f.size, nonzeros: t.rows.count))
        try t.counts.withUnsafeBytes { try f.append($0.baseAddress!, $0.count) }
        try t.rows.withUnsafeBytes { if $0.count > 0 { try f.append($0.baseAddress!, $0.count) } }
        try t.values.withUnsafeBytes { if $0.count > 0 { try f.append($0.baseAddress!, $0.count) } }
        resetRun()
    }

    /// Ends the last run: kept in memory when nothing was spilled, else spilled too.
    func finish() throws {
        if runs.isEmpty {
            let t = transposeRun()
            inMemory = (t.rows, t.values)
            resetRun()
        } else if !rowEnds.isEmpty {
            try spillRun()
        }
    }

    var nonzeroCount: Int { Int(totals.reduce(0, +)) }

    /// Column pointers (featureCount + 1) after `finish`.
    var colPtr: [Int64] {
        var p = [Int64](repeating: 0, count: featureCount + 1)
        for i in 0..<featureCount { p[i + 1] = p[i] + totals[i] }
        return p
    }

    /// Whether anything went to disk.
    var spilled: Bool { !runs.isEmpty }

    /// Streams the rows (`values == false`) or the values of every column, in column order, into `w`.
    /// `readerBytes` bounds the read buffers (shared by all runs).
    func write(values wantValues: Bool, to w: SafetensorsStreamWriter, readerBytes: Int) throws {
        if let m = inMemory {
            if wantValues { try w.append(m.values) } else { try w.append(m.rows) }
            return
        }
        guard let file else { return }
        let per = max(4096, readerBytes / max(1, 2 * runs.count))
        let counts = runs.map {
            SpillReader(file: file, offset: $0.offset, length: 4 * featureCount, bufferBytes: min(per, 4 * featureCount))
        }
        let data = runs.map { r in
            SpillReader(
                file: file, offset: r.offset + 4 * featureCount + (wantValues ? 4 * r.nonzeros : 0), length: 4 * r.nonzeros,
                bufferBytes: per)
        }
        let outBytes = 1 << 20
        let out = UnsafeMutableRawPointer.allocate(byteCount: outBytes, alignment: 16)
        defer { out.deallocate() }
        var used = 0
        for _ in 0..<featureCount {
            for (c, d) in zip(counts, data) {
                var n = Int(try c.readUInt32()) * 4
                while n > 0 {
                    let k = min(n, outBytes - used)
                    try d.read(into: out + used, k)
                    used += k
                    n -= k
                    if used == outBytes {
                        try w.append(UnsafeRawBufferPointer(start: out, count: used))
                        used = 0
                    }
                }
            }
        }
        if used > 0 { try w.append(UnsafeRawBufferPointer(start: out, count: used)) }
    }
}
