import CSignals
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// A read-only memory map of a whole regular file.
///
/// A class because it owns a resource: the mapping lives as long as the object. The bytes must not
/// be written through; files saex writes are replaced by rename, never modified in place, so a live
/// map stays valid. An empty file maps to `base == nil` and `count == 0`.
///
/// Someone else may still change the file in place: truncate it (a read past the new end raises
/// SIGBUS) or copy another file over it (`cp`, `rsync --inplace`: same inode, other bytes). Every
/// mapping is registered with the SIGBUS guard (CSignals), which puts zero pages in place of a
/// vanished region so the read finishes, and its size and modification time are kept: before a
/// result computed from mapped bytes is shown or written, `checkUnchanged` turns either event into
/// one line ("PATH: changed on disk while saex was reading it").
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer?
    public let count: Int
    private let ownsHeapCopy: Bool
    private var guardSlot: Int32 = -1
    private var registryKey = -1

    /// Holds a heap copy of `data` (for members extracted from archives); `path` names its origin.
    public init(path: String, copying data: Data) {
        self.path = path
        self.count = data.count
        self.ownsHeapCopy = true
        if data.isEmpty {
            base = nil
        } else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 16)
            data.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
            base = UnsafeRawPointer(p)
        }
    }

    /// Maps `path`. Fails with a one-line error for missing files, folders, and unreadable files.
    /// `populate` asks the kernel to read the whole file in at once (MAP_POPULATE), for files that
    /// will be read entirely (dictionary weights); caches leave it off so only what is used is read.
    public init(path: String, populate: Bool = false) throws {
        self.path = path
        self.ownsHeapCopy = false
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            throw MappedFile.openError(path: path, errno: err)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SAEKitError(.ioFailure, path: path, reason: "cannot stat the file (errno \(errno))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw SAEKitError(.badInput, path: path, reason: "is a folder, expected a file", remedy: "give the path of the file inside it")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SAEKitError(.badInput, path: path, reason: "is not a regular file", remedy: "give the path of a regular file")
        }
        let size = Int(st.st_size)
        count = size
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0)
        guard let p, p != MAP_FAILED else {
            throw SAEKitError(
                .ioFailure, path: path, reason: "cannot map the file into memory (errno \(errno))",
                remedy: "check free address space and the file system")
        }
        base = UnsafeRawPointer(p)
        guardSlot = saex_mapguard_register(p, size)
        registryKey = MappedFile.live.register(Identity(path: path, st, slot: guardSlot))
    }

    deinit {
        if registryKey >= 0 { MappedFile.live.unregister(registryKey) }
        saex_mapguard_unregister(guardSlot)
        guard let base else { return }
        if ownsHeapCopy {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        }
    }

    /// True when the file changed under this mapping: a read faulted (the file shrank), or the file
    /// at `path` is still this inode but its size or modification time moved. A file replaced by
    /// rename is not a change: the mapping keeps the old, complete bytes.
    public var changedOnDisk: Bool {
        guard registryKey >= 0 else { return false }
        return MappedFile.live.identity(registryKey)?.changed ?? false
    }

    /// Throws for the first live mapping whose file changed on disk (see `changedOnDisk`), naming
    /// it: "PATH: changed on disk while saex was reading it; REMEDY". Call it before showing or
    /// writing anything computed from mapped bytes.
    public static func checkUnchanged(remedy: String = "run the command again once the file is complete") throws {
        if let path = live.firstChanged() {
            throw SAEKitError(.ioFailure, path: path, reason: "changed on disk while saex was reading it", remedy: remedy)
        }
    }

    /// What identified the file when it was mapped.
    struct Identity {
        var path: String
        var device, inode: UInt64
        var size: Int64
        var modified: timespec
        /// The SIGBUS guard's slot, -1 when unguarded.
        var slot: Int32

        init(path: String, _ st: stat, slot: Int32) {
            self.path = path
            self.slot = slot
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            modified = st.st_mtim
        }

        /// A read faulted, or the same inode at `path` has another size or modification time. A
        /// missing or replaced file is not a change.
        var changed: Bool {
            if slot >= 0, saex_mapguard_faulted(slot) != 0 { return true }
            var st = stat()
            guard stat(path, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else { return false }
            return Int64(st.st_size) != size || st.st_mtim.tv_sec != modified.tv_sec || st.st_mtim.tv_nsec != modified.tv_nsec
        }
    }

    /// The live mappings, in the order they were made.
    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Int: Identity] = [:]
        private var next = 0

        func register(_ identity: Identity) -> Int {
            lock.lock()
            defer { lock.unlock() }
            next += 1
            entries[next] = identity
            return next
        }

        func unregister(_ key: Int) {
            lock.lock()
            defer { lock.unlock() }
            entries[key] = nil
        }

        func identity(_ key: Int) -> Identity? {
            lock.lock()
            defer { lock.unlock() }
            return entries[key]
        }

        func firstChanged() -> String? {
            lock.lock()
            let all = entries.sorted { $0.key < $1.key }.map(\.value)
            lock.unlock()
            return all.first(where: \.changed)?.path
        }
    }

    static let live = Registry()

    /// Whether the bytes are a map of the file (not a heap copy): only then may pages be released.
    public var isMapped: Bool { !ownsHeapCopy }

    /// The mapped bytes.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    static func openError(path: String, errno err: Int32) -> SAEKitError {
        switch err {
        case ENOENT:
            return SAEKitError(.notFound, path: path, reason: "no such file", remedy: "check the path")
        case EACCES, EPERM:
            return SAEKitError(.notFound, path: path, reason: "permission denied", remedy: "make the file readable (chmod u+r)")
        case EISDIR:
            return SAEKitError(.badInput, path: path, reason: "is a folder, expected a file", remedy: "give the path of the file inside it")
        default:
            return SAEKitError(.ioFailure, path: path, reason: "cannot open the file (errno \(err))")
        }
    }
}
