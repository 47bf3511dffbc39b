import CSignals
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Where a command's output goes (`-o PATH`), decided once, before any work starts.
///
/// - `-`, `/dev/stdout` (and `/dev/fd/1`, `/proc/self/fd/1`): standard output, written in place.
/// - A symlink: what it points to (the link stays), and `description` says so.
/// - A regular file or a path that does not exist yet: written to a temporary file beside it
///   (`.NAME.tmp-HOST-PID-N`), fsynced and renamed over it, so nothing half-written is ever under
///   the name. A signal that ends saex removes the temporary file; one left by a killed saex on
///   this host is removed by the next write to the same name.
/// - A character device or a FIFO (`/dev/null`, a named pipe): written in place, never replaced.
/// - Anything else (a folder, a block device, a socket) is refused, as is an output that is one of
///   the command's inputs (same device and inode): writing it would destroy the input.
public struct OutputTarget: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A regular file (or a new one): temporary file and rename.
        case file
        /// A character device or FIFO at `path`, written in place.
        case device
        /// An already open descriptor (1 for standard output).
        case descriptor(Int32)
    }

    /// The path as the user gave it.
    public let given: String
    /// Where the bytes go: `given` with symlinks followed.
    public let path: String
    public let kind: Kind
    /// True when `given` is a symlink (the link is kept; its target is written).
    public let throughSymlink: Bool
    /// Whether `commit` first checks that no mapped input changed on disk (`MappedFile.checkUnchanged`):
    /// true for results computed from inputs, false for journals that hold only what the user typed.
    public var checksMappedInputs = true

    /// The output for messages: "OUT", "standard output", or "TARGET (through the symlink OUT)".
    public var description: String {
        switch kind {
        case .descriptor(1): return "standard output"
        case .descriptor(let fd): return "descriptor \(fd)"
        default: return throughSymlink ? "\(path) (through the symlink \(given))" : path
        }
    }

    /// Resolves `given` (named `option` in errors) and checks it against the command's `inputs`
    /// (files, or folders whose files are inputs). `fileOnly`, when set, refuses everything but a
    /// regular file and says why (e.g. "a cache is read back after it is written").
    public init(_ given: String, option: String = "-o", inputs: [String] = [], fileOnly: String? = nil) throws {
        guard !given.isEmpty else {
            throw SAEKitError(.badInput, path: nil, subject: option, reason: "is an empty path", remedy: "give a file name")
        }
        self.given = given
        if let fd = OutputTarget.standardDescriptor(given) {
            path = given
            kind = .descriptor(fd)
            throughSymlink = false
        } else {
            var st = stat()
            throughSymlink = lstat(given, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
            path = throughSymlink ? try OutputTarget.resolveLink(given) : given
            kind = try OutputTarget.classify(path, given: given)
        }
        if let fileOnly, kind != .file {
            throw SAEKitError(
                .badInput, path: given, reason: "is \(kind == .device ? "a device or FIFO" : "standard output"), not a file; \(fileOnly)",
                remedy: "give a file name")
        }
        try checkNotInput(inputs)
    }

    /// An internal file saex keeps beside its data (an analysis, a blind session's answers, a
    /// compacted labels journal): only a regular file or a new path, never through a symlink.
    public static func internalFile(_ path: String) throws -> OutputTarget {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            throw SAEKitError(
                .badInput, path: path, reason: "is not a regular file (\(fileType(st.st_mode))), so saex will not replace it",
                remedy: "move it away")
        }
        return try OutputTarget(internal: path)
    }

    private init(internal path: String) throws {
        given = path
        self.path = path
        kind = .file
        throughSymlink = false
        _ = try OutputTarget.classify(path, given: path)
    }

    /// Writes the whole output: for a file atomically and durably, otherwise in place.
    public func write(_ chunks: [Data]) throws {
        let out = try create(seekable: false)
        for chunk in chunks { try out.write(chunk) }
        try out.commit()
    }

    /// Opens the output for writing piece by piece; `commit()` puts it in place. `seekable` output
    /// (written with `pwrite`) going to a device or descriptor is spooled to an unlinked temporary
    /// file first and copied on commit.
    public func create(seekable: Bool = true) throws -> OutputFile {
        try OutputFile(target: self, seekable: seekable)
    }

    // MARK: Resolution

    static func standardDescriptor(_ path: String) -> Int32? {
        switch path {
        case "-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1": return 1
        case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2": return 2
        default: return nil
        }
    }

    /// The final target of a symlink chain, which need not exist yet (a dangling link names the file to create).
    static func resolveLink(_ link: String) throws -> String {
        var current = link
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { break }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current =
                target.hasPrefix("/")
                ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        throw SAEKitError(
            .badInput, path: link, reason: "is a symlink that cannot be followed (a loop, or too many links)", remedy: "give a file name")
    }

    static func classify(_ path: String, given: String) throws -> Kind {
        var st = stat()
        if stat(path, &st) != 0 {
            let err = errno
            guard err == ENOENT else {
                throw SAEKitError(.ioFailure, path: given, reason: "cannot check the output (\(String(cString: strerror(err))))")
            }
            let dir = (path as NSString).deletingLastPathComponent
            var ds = stat()
            guard stat(dir.isEmpty ? "." : dir, &ds) == 0, (ds.st_mode & S_IFMT) == S_IFDIR else {
                throw SAEKitError(
                    .notFound, path: given, reason: "its folder \(dir.isEmpty ? "." : dir) does not exist",
                    remedy: "create the folder first")
            }
            return .file
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFCHR, S_IFIFO: return .device
        case S_IFDIR: throw SAEKitError(.badInput, path: given, reason: "is a folder", remedy: "give a file name inside it")
        default:
            throw SAEKitError(
                .badInput, path: given, reason: "is a \(fileType(st.st_mode)); saex writes only files, character devices and FIFOs",
                remedy: "give a file name")
        }
    }

    static func fileType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "folder"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFLNK: "symlink"
        default: "regular file"
        }
    }

    /// Refuses an output that is one of `inputs` (or a file in an input folder, one level down and
    /// in its subfolders up to two levels): same device and inode, which also catches hard links
    /// and other spellings of the path.
    func checkNotInput(_ inputs: [String]) throws {
        var out = stat()
        switch kind {
        case .descriptor(let fd): guard fstat(fd, &out) == 0, (out.st_mode & S_IFMT) == S_IFREG else { return }
        default: guard stat(path, &out) == 0, (out.st_mode & S_IFMT) == S_IFREG else { return }
        }
        for input in inputs {
            if let hit = OutputTarget.find(device: out.st_dev, inode: out.st_ino, in: input, depth: 2) {
                throw SAEKitError(
                    .badInput, path: given,
                    reason: "is the input \(hit)\(hit == input ? "" : " (of \(input))"); writing it would destroy the input",
                    remedy: "choose another output file")
            }
        }
    }

    private static func find(device: dev_t, inode: ino_t, in path: String, depth: Int) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) != S_IFDIR { return st.st_dev == device && st.st_ino == inode ? path : nil }
        guard depth > 0, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        for name in names.sorted().prefix(10_000) {
            if let hit = find(device: device, inode: inode, in: (path as NSString).appendingPathComponent(name), depth: depth - 1) {
                return hit
            }
        }
        return nil
    }

    // MARK: Free space

    /// Bytes free for an unprivileged user in the output's file system; nil for devices and descriptors.
    public var freeBytes: Int? {
        guard kind == .file else { return nil }
        let dir = (path as NSString).deletingLastPathComponent
        var fs = statvfs()
        guard statvfs(dir.isEmpty ? "." : dir, &fs) == 0 else { return nil }
        let (product, overflow) = Int(fs.f_bavail).multipliedReportingOverflow(by: Int(fs.f_frsize))
        return overflow ? Int.max : product
    }

    // MARK: Temporary files

    /// `.NAME.tmp-HOST-PID-N` beside `path`.
    static func temporaryName(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(hostName)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// This host's name, reduced to letters, digits, '.', '-' and '_'.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let kept = String(
            name.unicodeScalars.map { s in
                s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "-" || s == "_") ? Character(s) : "_"
            })
        return kept.isEmpty ? "host" : kept
    }()

    /// Removes temporary files a killed saex on this host left beside `path`: `.NAME.tmp-HOST-PID-N`
    /// (or the older `.NAME.tmp-PID-N`) whose process no longer exists. Files of other hosts (a
    /// shared file system) and of live processes are left alone.
    public static func removeStaleTemporaryFiles(besides path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let prefix = "." + (path as NSString).lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 2, let pid = Int32(parts[parts.count - 2]), UInt32(parts[parts.count - 1]) != nil else { continue }
            let host = parts.dropLast(2).joined(separator: "-")
            guard host.isEmpty || host == hostName, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink((dir.isEmpty ? "" : dir + "/") + name)
        }
    }
}

/// An output being written: a temporary file beside a regular file, or a stream. Dropped without
/// `commit()`, it removes its temporary file and leaves the target as it was (a device or stream
/// may already hold what was written into it directly).
public final class OutputFile {
    public let target: OutputTarget
    private var fd: Int32
    /// The temporary file beside the target, for `.file`.
    private var temporary: String?
    private var cleanupSlot: Int32 = -1
    /// Writes go to an unlinked spool file, copied to the device or descriptor on commit.
    private let spooled: Bool
    private var finished = false

    init(target: OutputTarget, seekable: Bool) throws {
        self.target = target
        switch target.kind {
        case .file:
            OutputTarget.removeStaleTemporaryFiles(besides: target.path)
            let tmp = OutputTarget.temporaryName(for: target.path)
            // Registered before it exists, so a signal at any moment after finds it.
            cleanupSlot = saex_cleanup_register(tmp, 0)
            let f = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard f >= 0 else {
                let err = errno
                saex_cleanup_unregister(cleanupSlot)
                throw SAEKitError(
                    .ioFailure, path: target.given, reason: "cannot create a temporary file beside it (\(String(cString: strerror(err))))",
                    remedy: "check that the folder exists and is writable")
            }
            fd = f
            temporary = tmp
            spooled = false
        case .device, .descriptor:
            spooled = seekable
            if seekable {
                fd = try OutputFile.spoolFile(for: target)
            } else {
                fd = try OutputFile.openDestination(target)
            }
        }
    }

    deinit { discard() }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try OutputFile.writeAll(fd, bytes, path: target.given)
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Writes bytes at `offset` (a seekable output only).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        if let failure = FullIO.write(fd, bytes, at: offset) { throw OutputFile.writeError(target.given, failure.errno) }
    }

    /// Moves the write position to `offset` (a seekable output only).
    public func seek(to offset: Int) throws {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            throw SAEKitError(
                .ioFailure, path: target.given, reason: "cannot seek in the temporary file (\(String(cString: strerror(errno))))")
        }
    }

    /// Puts the output in place: fsync and rename over a file, or the spool copied into the device
    /// or descriptor. First checks that no input mapped while computing it changed on disk.
    public func commit() throws {
        guard !finished else { return }
        if target.checksMappedInputs { try MappedFile.checkUnchanged() }
        switch target.kind {
        case .file:
            guard fsync(fd) == 0 else {
                let err = errno
                throw SAEKitError(
                    .ioFailure, path: target.given, reason: "fsync failed (\(String(cString: strerror(err))))", remedy: "check the disk")
            }
            close(fd)
            fd = -1
            guard let tmp = temporary, rename(tmp, target.path) == 0 else {
                let err = errno
                discard()
                throw SAEKitError(
                    .ioFailure, path: target.given,
                    reason: "cannot rename the temporary file into place (\(String(cString: strerror(err))))")
            }
            saex_cleanup_unregister(cleanupSlot)
            cleanupSlot = -1
            temporary = nil
            let dir = (target.path as NSString).deletingLastPathComponent
            AtomicFile.syncDirectory(dir.isEmpty ? "." : dir)
        case .device, .descriptor:
            if spooled { try copySpool() }
            if case .device = target.kind { close(fd) }
            fd = -1
        }
        finished = true
    }

    /// Gives up: removes the temporary file (idempotent).
    public func discard() {
        if fd >= 0 {
            if case .descriptor = target.kind, !spooled {} else { close(fd) }
            fd = -1
        }
        if let tmp = temporary {
            unlink(tmp)
            temporary = nil
        }
        saex_cleanup_unregister(cleanupSlot)
        cleanupSlot = -1
        finished = true
    }

    private func copySpool() throws {
        let dest = try OutputFile.openDestination(target)
        defer { if case .device = target.kind { close(dest) } }
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            throw SAEKitError(.ioFailure, path: target.given, reason: "cannot rewind the spool file (\(String(cString: strerror(errno))))")
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw SAEKitError(
                    .ioFailure, path: target.given, reason: "cannot read the spool file (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            try OutputFile.writeAll(dest, UnsafeRawBufferPointer(start: buffer, count: n), path: target.given)
        }
        close(fd)
    }

    /// An unlinked temporary file in $TMPDIR (or /tmp) for output that must be seekable.
    private static func spoolFile(for target: OutputTarget) throws -> Int32 {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((dir + "/saex-spool-XXXXXX").utf8CString)
        let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard f >= 0 else {
            let err = errno
            throw SAEKitError(
                .ioFailure, path: target.given, reason: "cannot create a spool file in \(dir) (\(String(cString: strerror(err))))",
                remedy: "set TMPDIR to a writable folder, or write to a file")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(f, F_SETFD, FD_CLOEXEC)
        return f
    }

    private static func openDestination(_ target: OutputTarget) throws -> Int32 {
        if case .descriptor(let fd) = target.kind { return fd }
        // No O_CREAT, no O_TRUNC: a device or FIFO is written into, never replaced.
        let f = open(target.path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard f >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: target.given, reason: "cannot open it for writing (\(String(cString: strerror(err))))")
        }
        return f
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        if let failure = FullIO.write(fd, bytes) { throw writeError(path, failure.errno) }
    }

    static func writeError(_ path: String, _ err: Int32) -> SAEKitError {
        let remedy =
            err == EFBIG
            ? "the file-size limit (ulimit -f) is too small for it" : err == EPIPE ? "the reader went away" : "check free disk space"
        return SAEKitError(.ioFailure, path: path, reason: "write failed (\(String(cString: strerror(err))))", remedy: remedy)
    }
}
