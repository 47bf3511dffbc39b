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
///
/// The lock file may be planted by someone else. It is opened without following a symlink
/// (O_NOFOLLOW) and without blocking (a FIFO), must be a regular file, and the pid is written only
/// into a file saex made: one it just created, or a small file of the caller's with one link that
/// holds nothing but a pid. Any other file is locked as it is, never truncated or written.
final class FileLock: @unchecked Sendable {
    let path: String
    private var fd: Int32
    /// How often and how far apart a busy lock is retried (about 250 ms in all).
    static let busyRetries = 50
    static let busyRetryMicroseconds: UInt32 = 5_000

    /// Takes the lock on `lockPath` or throws `.busy` naming `resource` (what the lock protects).
    init(lockPath: String, resource: String, what: String) throws {
        path = lockPath
        let (fd, mayWritePid) = try FileLock.open(lockPath)
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
                throw SAEKitError(
                    .busy, path: resource, reason: "\(what) is already open in \(who)",
                    remedy: "close the other saex (explorer or labels command) and try again")
            }
            throw SAEKitError(
                .ioFailure, path: lockPath, reason: "cannot lock the file (\(String(cString: strerror(err))))",
                remedy: "use a local file system that supports flock")
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        if mayWritePid, ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    /// Opens (creating when absent) the lock file; says whether saex may write its pid into it.
    private static func open(_ lockPath: String) throws -> (Int32, Bool) {
        var fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd >= 0 { return (fd, true) }
        var err = errno
        if err == EEXIST {
            fd = Glibc.open(lockPath, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            if fd < 0, errno == EACCES || errno == EROFS {
                fd = Glibc.open(lockPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)  // flock needs no write access
            }
            err = errno
        }
        guard fd >= 0 else {
            if err == ELOOP {
                throw SAEKitError(
                    .badInput, path: lockPath, reason: "is a symlink; saex does not follow lock files",
                    remedy: "remove it (saex makes its own)")
            }
            throw SAEKitError(
                .ioFailure, path: lockPath, reason: "cannot create the lock file (\(String(cString: strerror(err))))",
                remedy: "check that the folder exists and is writable")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SAEKitError(.badInput, path: lockPath, reason: "is not a regular file", remedy: "remove it (saex makes its own)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let ours = st.st_uid == geteuid() && st.st_nlink == 1 && st.st_size <= 32 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR
        guard ours else { return (fd, false) }
        let text = String(decoding: readHolderBytes(fd), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (fd, text.isEmpty || text.allSatisfy(\.isASCII) && Int(text) != nil)
    }

    private static func readHolderBytes(_ fd: Int32) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    private static func readHolder(_ fd: Int32) -> Int? {
        let text = String(decoding: readHolderBytes(fd), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
