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
/// reserved at the start (padded with spaces, as JSON allows) and puts the file in place through
/// `OutputTarget` (a temporary file renamed over a regular file; a spool copied into a device, FIFO
/// or standard output). If the writer is dropped without `finish()`, the temporary file is removed.
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
    private let out: OutputFile
    private let reserved: Int
    private var written = 0
    private let total: Int

    /// `metadataReserve`: bytes kept free for metadata set later.
    public convenience init(path: String, tensors: [Spec], metadataReserve: Int = 4096) throws {
        try self.init(target: try OutputTarget(path), tensors: tensors, metadataReserve: metadataReserve)
    }

    public init(target: OutputTarget, tensors: [Spec], metadataReserve: Int = 4096) throws {
        self.path = target.given
        self.specs = tensors
        total = tensors.reduce(0) { $0 + $1.byteCount }
        let probe = try SafetensorsStreamWriter.header(specs: tensors, metadata: [:])
        var r = probe.count + metadataReserve
        r = (r + 8 + 7) / 8 * 8 - 8  // 8 + reserved is a multiple of 8
        reserved = r
        out = try target.create(seekable: true)
        try out.seek(to: 8 + reserved)
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
        guard bytes.count > 0 else { return }
        precondition(written + bytes.count <= total, "more bytes than declared")
        try out.write(bytes)
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
        try prefix.withUnsafeBytes { try out.write($0, at: 0) }
        try out.commit()
    }
}
