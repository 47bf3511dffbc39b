#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CSystemZlib

/// Reads a text file one line at a time, inflating it on the fly when it is gzip'd.
///
/// Gzip is recognised by its magic bytes (1f 8b), not by the file name, and inflated with zlib
/// (automatic header detection, windowBits 15+32); concatenated gzip members are read in turn.
/// Memory stays bounded by the chunk size plus the longest line (capped at `maxLineBytes`).
/// A class because it owns a file descriptor and a zlib stream.
final class LineReader {
    /// Longest line accepted; longer lines are reported as malformed rather than exhausting memory.
    static let maxLineBytes = 512 << 20
    private static let chunk = 1 << 18

    let path: String
    /// Whether the file is gzip'd.
    let isGzip: Bool
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    private let fd: Int32
    private var stream = z_stream()
    private var streamOpen = false
    private var streamEnded = false
    private var input: [UInt8] = []
    private var inputEOF = false
    private var buffer: [UInt8] = []
    private var cursor = 0
    private var finished = false
    /// One chunk of scratch memory that every read and inflate writes into before the bytes it got
    /// are appended to `input` or `buffer`. Allocated once and never zeroed: growing the arrays by a
    /// zero-filled chunk per read cost more than the parsing of a small file.
    private var scratch = [UInt8](unsafeUninitializedCapacity: LineReader.chunk) { _, count in count = LineReader.chunk }

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw MappedFile.openError(path: path, errno: errno) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw SAEKitError(.badInput, path: path, reason: "is a folder, expected a file", remedy: "give the path of the file inside it")
        }
        self.fd = fd
        var magic = [UInt8](repeating: 0, count: 2)
        let n = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 2, 0) }
        isGzip = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B
        if isGzip {
            let rc = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                // self is fully initialised here, so deinit runs on this throw and closes fd
                // (closing it here too would close it twice).
                throw SAEKitError(.ioFailure, path: path, reason: "cannot start the gzip decoder (zlib error \(rc))")
            }
            streamOpen = true
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        close(fd)
    }

    /// The next line without its line break (a trailing "\r" is dropped too), or nil at the end.
    func nextLine() throws -> ArraySlice<UInt8>? {
        // No line break lies before `searched`: a line that spans many chunks is scanned once, not
        // again from its start after every read (quadratic in the length of the line).
        var searched = cursor
        while true {
            if let nl = newline(from: searched) {
                var end = nl
                if end > cursor, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = buffer[cursor..<end]
                cursor = nl + 1
                lineNumber += 1
                return line
            }
            searched = buffer.count
            if finished {
                guard cursor < buffer.count else { return nil }
                let line = buffer[cursor...]
                cursor = buffer.count
                lineNumber += 1
                return line
            }
            if cursor > 0 {
                buffer.removeSubrange(0..<cursor)
                searched -= cursor
                cursor = 0
            }
            guard buffer.count <= LineReader.maxLineBytes else {
                throw SAEKitError(
                    .badInput, path: path, subject: "line \(lineNumber + 1)", reason: "is longer than \(LineReader.maxLineBytes >> 20) MiB",
                    remedy: "check that this is a JSON Lines file")
            }
            try fill()
        }
    }

    /// The index of the first "\n" in `buffer` at or after `from` (libc's memchr).
    private func newline(from: Int) -> Int? {
        guard from < buffer.count else { return nil }
        return buffer.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, let p = memchr(base + from, Int32(UInt8(ascii: "\n")), raw.count - from) else { return nil }
            return base.distance(to: UnsafeRawPointer(p))
        }
    }

    /// Reads up to one chunk from the file and appends it to `dst`; returns the byte count (0 at
    /// the end of the file).
    private func readRaw(into dst: inout [UInt8]) throws -> Int {
        let got = scratch.withUnsafeMutableBytes { read(fd, $0.baseAddress, LineReader.chunk) }
        if got < 0 {
            throw SAEKitError(.ioFailure, path: path, reason: "cannot read the file (errno \(errno))")
        }
        dst.append(contentsOf: scratch[0..<got])
        return got
    }

    /// Appends more decoded bytes to `buffer`, or sets `finished`.
    private func fill() throws {
        guard isGzip else {
            if try readRaw(into: &buffer) == 0 { finished = true }
            return
        }
        if input.isEmpty && !inputEOF {
            if try readRaw(into: &input) == 0 { inputEOF = true }
        }
        if input.isEmpty && inputEOF {
            guard streamEnded else {
                throw SAEKitError(
                    .badInput, path: path, reason: "gzip data ends early (the file is truncated)",
                    remedy: "download or copy the file again")
            }
            finished = true
            return
        }
        if streamEnded {
            // Another gzip member follows the one that ended.
            inflateReset(&stream)
            streamEnded = false
        }
        var consumed = 0
        var produced = 0
        var rc: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inp in
            scratch.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                rc = inflate(&stream, Z_NO_FLUSH)
                consumed = inp.count - Int(stream.avail_in)
                produced = out.count - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
            }
        }
        buffer.append(contentsOf: scratch[0..<produced])
        input.removeSubrange(0..<consumed)
        switch rc {
        case Z_OK:
            break
        case Z_STREAM_END:
            streamEnded = true
        case Z_BUF_ERROR:
            // No progress possible with this input: more input is needed.
            if inputEOF {
                throw SAEKitError(
                    .badInput, path: path, reason: "gzip data ends early (the file is truncated)", remedy: "download or copy the file again"
                )
            }
            if try readRaw(into: &input) == 0 { inputEOF = true }
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
            throw SAEKitError(
                .badInput, path: path, reason: "is not valid gzip data (zlib: \(message))", remedy: "download or copy the file again")
        }
    }
}
