import Foundation

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Byte range relative to the start of the data buffer.
    public var dataOffsets: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped, validated safetensors file.
///
/// Opening maps the file and validates the header as strictly as the reference implementation
/// (see `SafetensorsError`); tensor data is not read until a view asks for it. Views keep the map
/// alive. Data is little-endian and may be unaligned: typed access copies unless aligned.
public final class SafetensorsFile: @unchecked Sendable {
    /// The reference implementation's cap on the header length.
    public static let maxHeaderLength: UInt64 = 100_000_000

    public let path: String
    public let file: MappedFile
    /// Tensors in header order as written (sorted by data offset).
    public let tensors: [TensorInfo]
    /// `__metadata__`, if present.
    public let metadata: [String: String]
    /// File offset of the data buffer (8 + header length).
    public let dataStart: Int
    private let index: [String: Int]

    /// Maps and validates `path`; throws a one-line `SAEKitError` naming the file and tensor.
    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(file: file)
    }

    public init(file: MappedFile) throws {
        self.path = file.path
        self.file = file
        do {
            let parsed = try SafetensorsFile.parse(file.bytes)
            tensors = parsed.tensors
            metadata = parsed.metadata
            dataStart = parsed.dataStart
        } catch {
            throw error.userError(path: file.path)
        }
        var idx: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { idx[t.name] = i }
        index = idx
    }

    /// Names of all tensors, in data order.
    public var names: [String] { tensors.map(\.name) }

    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    /// A view of tensor `name`, or nil when absent.
    public func tensor(_ name: String) -> TensorView? {
        guard let i = index[name] else { return nil }
        return TensorView(file: file, info: tensors[i], absoluteOffset: dataStart + tensors[i].dataOffsets.lowerBound)
    }

    /// A view of tensor `name`; throws a one-line error naming the file and tensor when absent.
    public func require(_ name: String, remedy: String? = nil) throws -> TensorView {
        guard let t = tensor(name) else {
            let have = names.prefix(12).joined(separator: ", ")
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"",
                reason: "missing (the file has: \(have.isEmpty ? "no tensors" : have))",
                remedy: remedy ?? "check that this is the right file")
        }
        return t
    }

    // MARK: - Validation

    struct Parsed {
        var tensors: [TensorInfo]
        var metadata: [String: String]
        var dataStart: Int
    }

    /// Validates the bytes of a whole safetensors file; pure, so tests and fuzzers call it directly.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(SafetensorsError) -> Parsed {
        guard bytes.count >= 8 else { throw .fileTooSmall(size: bytes.count) }
        let n = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard n <= maxHeaderLength else { throw .headerTooLarge(length: n) }
        guard 8 + Int(n) <= bytes.count else { throw .headerPastEndOfFile(length: n, fileSize: bytes.count) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(n))])
        guard let header = String(validating: headerBytes, as: UTF8.self) else { throw .headerNotUTF8 }
        guard header.utf8.first == UInt8(ascii: "{") else {
            throw .headerNotJSONObject(detail: "does not start with '{'")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw .headerNotJSONObject(detail: "invalid JSON")
        }
        guard let object = json as? [String: Any] else { throw .headerNotJSONObject(detail: "not an object") }
        if let dup = JSONKeyScanner.firstDuplicateTopLevelKey(in: headerBytes) {
            throw .duplicateTensor(name: dup)
        }

        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(object.count)
        for (name, value) in object {
            if name == "__metadata__" {
                // The reference reads `__metadata__` as an optional map, so `null` means "none".
                if value is NSNull { continue }
                guard let m = value as? [String: Any] else { throw .invalidMetadata(detail: "not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw .invalidMetadata(detail: "value of \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            tensors.append(try parseEntry(name: name, value))
        }
        tensors.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < (
                $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name
            )
        }

        var expected = 0
        for t in tensors {
            let b = t.dataOffsets.lowerBound
            let e = t.dataOffsets.upperBound
            guard b == expected else { throw .offsetsNotContiguous(tensor: t.name, expectedBegin: expected, begin: b) }
            expected = e
            var elements = 1
            for d in t.shape {
                let (m, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw .sizeOverflow(tensor: t.name) }
                elements = m
            }
            let (bits, o) = elements.multipliedReportingOverflow(by: t.dtype.bitSize)
            guard !o else { throw .sizeOverflow(tensor: t.name) }
            guard bits % 8 == 0 else { throw .misalignedSubByteTensor(tensor: t.name) }
            guard e - b == bits / 8 else { throw .byteLengthMismatch(tensor: t.name, expected: bits / 8, actual: e - b) }
        }
        let available = bytes.count - 8 - Int(n)
        guard expected == available else { throw .dataLengthMismatch(declaredEnd: expected, available: available) }
        return Parsed(tensors: tensors, metadata: metadata, dataStart: 8 + Int(n))
    }

    private static func parseEntry(name: String, _ value: Any) throws(SafetensorsError) -> TensorInfo {
        guard let entry = value as? [String: Any] else { throw .invalidEntry(tensor: name, detail: "not an object") }
        guard let dtypeName = entry["dtype"] as? String else {
            throw .invalidEntry(tensor: name, detail: "missing or non-string \"dtype\"")
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        guard let shapeAny = entry["shape"] as? [Any] else { throw .invalidEntry(tensor: name, detail: "missing or non-array \"shape\"") }
        var shape: [Int] = []
        for d in shapeAny {
            guard let v = nonNegativeInteger(d) else {
                throw .invalidEntry(tensor: name, detail: "shape entries must be non-negative integers")
            }
            shape.append(v)
        }
        guard let offs = entry["data_offsets"] as? [Any], offs.count == 2,
            let b = nonNegativeInteger(offs[0]), let e = nonNegativeInteger(offs[1])
        else {
            throw .invalidEntry(tensor: name, detail: "\"data_offsets\" must be two non-negative integers")
        }
        guard e >= b else { throw .offsetsReversed(tensor: name, begin: b, end: e) }
        // Other keys are ignored, as the reference reader does: refusing them would refuse valid files.
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: b..<e)
    }

    /// A JSON number that is a non-negative integer fitting in Int, else nil: literal integers only
    /// (`1.0` and `1e2` are refused), as the reference reader (serde's usize) does; `JSONNumber` holds the rule.
    private static func nonNegativeInteger(_ v: Any) -> Int? {
        JSONNumber.integer(v, acceptFloatForm: false).flatMap { $0 >= 0 ? $0 : nil }
    }
}
