#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive advisory lock (flock) on a lock file, held until `release` or process exit.
///
/// The kernel drops the lock when the process ends, however it ends (SIGKILL included), so a crash
/// never leaves a stale lock. The lock file itself stays on disk and holds the holder's pid, which
/// the busy error names; deleting it is never needed. Two opens in one process conflict too, because
/// flock locks belong to the open file description.
final class FileLock: @unchecked Sendable {
    let path: String
    private var fd: Int32

    /// Takes the lock on `lockPath` or throws `.busy` naming `resource` (what the lock protects).
    init(lockPath: String, resource: String, what: String) throws {
        path = lockPath
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: lockPath, reason: "cannot create the lock file (\(String(cString: strerror(err))))",
                              remedy: "check that the folder exists and is writable")
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let err = errno
            let holder = FileLock.readHolder(fd)
            close(fd)
            if err == EWOULDBLOCK {
                let who = holder.map { "another saex process (pid \($0))" } ?? "another saex process"
                throw SAEKitError(.busy, path: resource, reason: "\(what) is already open in \(who)",
                                  remedy: "close the other saex (explorer or labels command) and try again")
            }
            throw SAEKitError(.ioFailure, path: lockPath, reason: "cannot lock the file (\(String(cString: strerror(err))))",
                              remedy: "use a local file system that supports flock")
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    private static func readHolder(_ fd: Int32) -> Int? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int(text)
    }

    /// Releases the lock (idempotent).
    func release() {
        if fd >= 0 {
            close(fd)  // closing the only descriptor drops the flock
            fd = -1
        }
    }

    deinit { release() }
}
