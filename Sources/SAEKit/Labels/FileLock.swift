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
    /// How often and how far apart a busy lock is retried (about 250 ms in all).
    static let busyRetries = 50
    static let busyRetryMicroseconds: UInt32 = 5_000

    /// Takes the lock on `lockPath` or throws `.busy` naming `resource` (what the lock protects).
    init(lockPath: String, resource: String, what: String) throws {
        path = lockPath
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: lockPath, reason: "cannot create the lock file (\(String(cString: strerror(err))))",
                              remedy: "check that the folder exists and is writable")
        }
        // A process that another thread of ours is starting (posix_spawn, Foundation's Process)
        // shares this descriptor's open file description, and so the lock, from the fork until its
        // exec closes it (O_CLOEXEC): a lock just released can look held for a millisecond or so.
        // Such a holder goes away by itself; a real one (another saex, a second open here) does
        // not. So a busy lock is retried for about a quarter of a second before it counts.
        var rc: Int32
        var err: Int32 = 0
        var retries = 0
        while true {
            rc = flock(fd, LOCK_EX | LOCK_NB)
            if rc == 0 { break }
            err = errno
            if err == EINTR { continue }
            guard err == EWOULDBLOCK, retries < FileLock.busyRetries else { break }
            retries += 1
            usleep(FileLock.busyRetryMicroseconds)
        }
        if rc != 0 {
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
