import Glibc

/// Whole transfers through a file descriptor: a short read or write goes on where it stopped and
/// EINTR retries. The one home of that loop; each caller turns a failure into its own error.
enum FullIO {
    /// Why a transfer stopped early: the errno of the failed call (0 when a read met the end of the
    /// file, or a write moved nothing) and how many bytes had moved.
    struct Failure {
        var errno: Int32
        var done: Int

        /// The system's words for `errno`.
        var reason: String { String(cString: strerror(errno)) }
    }

    /// Writes `n` bytes from `p` at `offset` (pwrite), or at the file position when `offset` is nil.
    static func write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, at offset: Int? = nil) -> Failure? {
        transfer(n) { done in
            offset.map { pwrite(fd, p + done, n - done, off_t($0 + done)) } ?? Glibc.write(fd, p + done, n - done)
        }
    }

    /// Writes all of `bytes` (see `write(_:_:_:at:)`).
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> Failure? {
        guard let base = bytes.baseAddress else { return nil }
        return write(fd, base, bytes.count, at: offset)
    }

    /// Reads exactly `n` bytes at `offset` into `p`.
    static func read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int, at offset: Int) -> Failure? {
        transfer(n) { done in pread(fd, p + done, n - done, off_t(offset + done)) }
    }

    private static func transfer(_ n: Int, _ call: (Int) -> Int) -> Failure? {
        var done = 0
        while done < n {
            let moved = call(done)
            if moved < 0 && Glibc.errno == EINTR { continue }
            guard moved > 0 else { return Failure(errno: moved < 0 ? Glibc.errno : 0, done: done) }
            done += moved
        }
        return nil
    }
}
