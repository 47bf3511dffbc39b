#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes files so that readers see either the old or the new complete content, never a mix.
///
/// The bytes go to a temporary file in the same folder, are flushed with fsync, and the temporary
/// file is renamed over the target; then the folder is fsynced so the rename is durable. A live
/// memory map of the old file stays valid.
public enum AtomicFile {
    /// Writes `chunks` (in order) to `path` atomically and durably.
    public static func write(path: String, chunks: [Data]) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: path, reason: "cannot create a temporary file beside it (\(String(cString: strerror(err))))",
                              remedy: "check that the folder exists and is writable")
        }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            for chunk in chunks {
                try chunk.withUnsafeBytes { raw in
                    var off = 0
                    while off < raw.count {
                        let w = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                        if w < 0 {
                            if errno == EINTR { continue }
                            let err = errno
                            throw SAEKitError(.ioFailure, path: path, reason: "write failed (\(String(cString: strerror(err))))", remedy: "check free disk space")
                        }
                        off += w
                    }
                }
            }
            guard fsync(fd) == 0 else {
                throw SAEKitError(.ioFailure, path: path, reason: "fsync failed (errno \(errno))", remedy: "check the disk")
            }
        }
        guard rename(tmp, path) == 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: path, reason: "cannot rename the temporary file into place (\(String(cString: strerror(err))))")
        }
        ok = true
        syncDirectory(dir.isEmpty ? "." : dir)
    }

    /// fsyncs a folder so that a rename inside it survives a crash.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
