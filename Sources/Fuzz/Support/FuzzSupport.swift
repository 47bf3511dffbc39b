import Foundation
import SAEKit
#if canImport(Glibc)
    import Glibc
#endif

/// Helpers shared by the fuzz targets under Sources/Fuzz (see docs/RELIABILITY.md).
///
/// Every check is a `precondition`, so a failed property is a crash that libFuzzer records, and the
/// replay executables report it the same way.
public enum Fuzz {
    /// A refused input must give one of saex's own errors: one line, no control character, naming
    /// a file that starts with `prefix` (the input file, or the folder that holds the input files).
    @discardableResult
    public static func checkRefusal(_ error: Error, naming prefix: String) -> String {
        guard let e = error as? SAEKitError else {
            preconditionFailure("refusal is not a SAEKitError (the CLI would print Swift's text): \(type(of: error)): \(error)")
        }
        let line = e.description
        precondition(!line.unicodeScalars.contains(where: Fuzz.isControl), "control character in error: \(line)")
        precondition(e.path != nil, "error names no file: \(line)")
        precondition(line.hasPrefix(prefix), "error does not name the input (\(prefix)): \(line)")
        return "refused: " + line
    }

    /// C0 and C1 controls and DEL: the scalars of general category Cc, tested without the
    /// Unicode property tables.
    public static func isControl(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || (0x7F...0x9F).contains(s.value) }

    /// Splits `bytes` at every occurrence of `separator` (at most `maxParts` parts; the last part
    /// keeps any further separators). Searches with libc's memchr and memcmp: a byte loop here is
    /// instrumented for coverage and cost a tenth of the cache target's time.
    /// The separator between the files of one input in every multi-file target (and its seeds).
    public static let partSeparator = Array("\0PART\0".utf8)

    public static func split(_ bytes: UnsafeRawBufferPointer, separator: [UInt8] = partSeparator, maxParts: Int) -> [Data] {
        guard let base = bytes.baseAddress else { return [Data()] }
        var parts: [Data] = []
        var start = 0
        let n = bytes.count
        while parts.count < maxParts - 1, start <= n {
            guard let at = find(separator, in: base, from: start, count: n) else { break }
            parts.append(Data(bytes[start..<at]))
            start = at + separator.count
        }
        parts.append(Data(bytes[start..<n]))
        return parts
    }

    private static func find(_ sep: [UInt8], in base: UnsafeRawPointer, from: Int, count n: Int) -> Int? {
        var i = from
        while i + sep.count <= n {
            guard let p = memchr(base + i, Int32(sep[0]), n - i) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(p))
            guard at + sep.count <= n else { return nil }
            if sep.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, sep.count) }) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// The replay of a target built without libFuzzer: runs `check` on each file and prints
    /// `FILE: ok: ` and the outcome `check` returns (what was accepted, or the refusal); a failed
    /// check stops with the precondition's message.
    static func replay(paths: ArraySlice<String>, _ check: (UnsafeRawBufferPointer) -> String) -> Never {
        if paths.isEmpty {
            FileHandle.standardError.write(Data("usage: saex-fuzz TARGET FILE...\n".utf8))
            exit(2)
        }
        for p in paths {
            guard let d = FileManager.default.contents(atPath: p) else {
                FileHandle.standardError.write(Data("\(p): cannot read\n".utf8))
                exit(1)
            }
            let outcome = d.withUnsafeBytes { check($0) }
            print("\(p): ok: \(outcome)")
        }
        exit(0)
    }
}

/// Scratch folders to remove when the process exits (libFuzzer and the replay both end with exit()).
nonisolated(unsafe) private var scratchFolders: [String] = []

/// A private folder on tmpfs (/dev/shm when it exists) that a target rewrites for every input, so
/// that file-based entry points can be fuzzed without touching the disk. Removed at exit (not after
/// a crash: then it holds the crashing input's files, which can help).
public final class ScratchFolder: @unchecked Sendable {
    public let path: String

    public init(_ name: String) {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        path = "\(base)/saex-fuzz-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        precondition(mkdir(path, 0o755) == 0, "cannot create \(path)")
        if scratchFolders.isEmpty {
            atexit { for p in scratchFolders { try? FileManager.default.removeItem(atPath: p) } }
        }
        scratchFolders.append(path)
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `data` to `name` in the folder (replacing it) with plain POSIX calls.
    public func write(_ name: String, _ data: Data) {
        let p = file(name)
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot write \(p)")
        data.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let w = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                precondition(w > 0, "write failed on \(p)")
                off += w
            }
        }
        close(fd)
    }

    public func remove(_ name: String) { unlink(file(name)) }

    /// Removes everything inside the folder (plain POSIX calls: FileManager costs more than the
    /// readers under test).
    public func clear() { Self.removeContents(of: path) }

    private static func removeContents(of dir: String) {
        guard let d = opendir(dir) else { return }
        var names: [(String, Bool)] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            names.append((name, e.pointee.d_type == UInt8(DT_DIR)))
        }
        closedir(d)
        for (name, isDir) in names {
            let p = dir + "/" + name
            if isDir {
                removeContents(of: p)
                rmdir(p)
            } else {
                unlink(p)
            }
        }
    }
}
