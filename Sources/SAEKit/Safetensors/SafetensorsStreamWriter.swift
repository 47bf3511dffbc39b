#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a safetensors file whose tensors are produced piece by piece, without holding them in memory.
///
/// The tensors (names, dtypes, shapes) are declared up front; their bytes are then appended in
/// declaration order. Metadata can be set until `finish()`, which writes the header into space
/// reserved at the start (padded with spaces, as JSON allows), fsyncs and renames the temporary file
/// into place. If the writer is dropped without `finish()`, the temporary file is removed.
public final class SafetensorsStreamWriter {
    public struct Spec {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public init(_ name: String, _ dtype: DType, _ shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        var byteCount: Int { shape.reduce(1, *) * (dtype.byteSize ?? 1) }
    }

    public let path: String
    public var metadata: [String: String] = [:]
    private let specs: [Spec]
    private let tmp: String
    private var fd: Int32
    private let reserved: Int
    private var written = 0
    private let total: Int
    private var finished = false

    /// `metadataReserve`: bytes kept free for metadata set later.
    public init(path: String, tensors: [Spec], metadataReserve: Int = 4096) throws {
        self.path = path
        self.specs = tensors
        total = tensors.reduce(0) { $0 + $1.byteCount }
        let probe = try SafetensorsStreamWriter.header(specs: tensors, metadata: [:])
        var r = probe.count + metadataReserve
        r = (r + 8 + 7) / 8 * 8 - 8  // 8 + reserved is a multiple of 8
        reserved = r
        let dir = (path as NSString).deletingLastPathComponent
        tmp = (dir.isEmpty ? "" : dir + "/") + ".\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw SAEKitError(.ioFailure, path: path, reason: "cannot create a temporary file beside it (\(String(cString: strerror(err))))",
                              remedy: "check that the folder exists and is writable")
        }
        guard lseek(fd, off_t(8 + reserved), SEEK_SET) >= 0 else {
            throw SAEKitError(.ioFailure, path: path, reason: "cannot seek in the temporary file")
        }
    }

    deinit {
        if !finished {
            close(fd)
            unlink(tmp)
        }
    }

    private static func header(specs: [Spec], metadata: [String: String]) throws -> Data {
        var obj: [String: Any] = [:]
        var offset = 0
        for s in specs {
            obj[s.name] = ["dtype": s.dtype.rawValue, "shape": s.shape, "data_offsets": [offset, offset + s.byteCount]] as [String: Any]
            offset += s.byteCount
        }
        if !metadata.isEmpty { obj["__metadata__"] = metadata }
        return try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
    }

    /// Appends raw bytes of the tensors, in declaration order.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(written + bytes.count <= total, "more bytes than declared")
        var off = 0
        while off < bytes.count {
            let w = write(fd, base + off, bytes.count - off)
            if w < 0 {
                if errno == EINTR { continue }
                let err = errno
                throw SAEKitError(.ioFailure, path: path, reason: "write failed (\(String(cString: strerror(err))))", remedy: "check free disk space")
            }
            off += w
        }
        written += bytes.count
    }

    public func append<T>(_ values: [T]) throws {
        try values.withUnsafeBytes { try append($0) }
    }

    /// Writes the header, fsyncs and renames into place.
    public func finish() throws {
        precondition(written == total, "declared \(total) bytes, wrote \(written)")
        var header = try SafetensorsStreamWriter.header(specs: specs, metadata: metadata)
        guard header.count <= reserved else {
            throw SAEKitError(.ioFailure, path: path, reason: "metadata exceeds the reserved header space")
        }
        header.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: reserved - header.count))
        var n = UInt64(reserved).littleEndian
        var prefix = Data(bytes: &n, count: 8)
        prefix.append(header)
        try prefix.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let w = pwrite(fd, raw.baseAddress! + off, raw.count - off, off_t(off))
                if w < 0 {
                    if errno == EINTR { continue }
                    throw SAEKitError(.ioFailure, path: path, reason: "cannot write the header (errno \(errno))")
                }
                off += w
            }
        }
        guard fsync(fd) == 0 else { throw SAEKitError(.ioFailure, path: path, reason: "fsync failed (errno \(errno))") }
        close(fd)
        finished = true
        guard rename(tmp, path) == 0 else {
            let err = errno
            unlink(tmp)
            throw SAEKitError(.ioFailure, path: path, reason: "cannot rename the temporary file into place (\(String(cString: strerror(err))))")
        }
        AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
    }
}
