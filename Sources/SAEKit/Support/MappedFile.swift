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
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer?
    public let count: Int
    private let ownsHeapCopy: Bool

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
            throw SAEKitError(.ioFailure, path: path, reason: "cannot map the file into memory (errno \(errno))", remedy: "check free address space and the file system")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if ownsHeapCopy {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        }
    }

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
