import Foundation

/// A NumPy `.npy` array: format versions 1.0, 2.0 and 3.0, little-endian, C order.
///
/// Supported element types: `<f4`, `<f2`, `<f8`, `<i4`, `<i8`, `<i2`, `<u2`, `<u4`, `|u1`, `|i1`, `|b1`.
/// Fortran order, big-endian data, object arrays and structured dtypes are refused with a message
/// saying how to convert. The data is mapped, not read, when the array comes from a file.
public struct NPYFile: Sendable {
    public let tensor: TensorView

    /// Maps and parses `path`.
    public init(path: String) throws {
        try self.init(file: try MappedFile(path: path), name: (path as NSString).lastPathComponent)
    }

    /// Parses the array held by `file` (a mapped file or an archive member).
    public init(file: MappedFile, name: String) throws {
        do {
            let (info, offset) = try NPYFile.parse(file.bytes, name: name)
            tensor = TensorView(file: file, info: info, absoluteOffset: offset)
        } catch {
            throw SAEKitError(.badInput, path: file.path, reason: error.reason, remedy: error.remedy)
        }
    }

    /// A parse failure; rendered by `init` as a one-line error naming the file.
    public struct NPYError: Error, Equatable {
        public var reason: String
        public var remedy: String = "re-save it with numpy.save"
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Validates the header and data length; returns the tensor entry and the file offset of the data.
    static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws(NPYError) -> (TensorInfo, Int) {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw NPYError(reason: "not a .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPYError(reason: "truncated .npy header") }
            headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            headerStart = 12
        default:
            throw NPYError(
                reason: "unsupported .npy format version \(major).\(bytes[7])", remedy: "save with numpy.save (versions 1.0-3.0)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw NPYError(reason: "header length \(headerLength) runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)])
        let text: String
        if major == 3 {
            guard let s = String(validating: raw, as: UTF8.self) else { throw NPYError(reason: "header is not valid UTF-8") }
            text = s
        } else {
            text = String(raw.map { Character(Unicode.Scalar($0)) })  // latin-1
        }
        let dict = try PythonLiteral.parseHeaderDict(text)
        guard case .string(let descr)? = dict["descr"] else {
            throw NPYError(reason: "header has no 'descr' string (structured dtypes are not supported)")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw NPYError(reason: "header has no 'fortran_order'") }
        guard case .tuple(let dims)? = dict["shape"] else { throw NPYError(reason: "header has no 'shape' tuple") }
        if fortran {
            throw NPYError(reason: "array is in Fortran order", remedy: "save numpy.ascontiguousarray(a) instead")
        }
        let dtype: DType
        switch descr {
        case "<f4": dtype = .f32
        case "<f2": dtype = .f16
        case "<f8": dtype = .f64
        case "<i4": dtype = .i32
        case "<i8": dtype = .i64
        case "<i2": dtype = .i16
        case "<u2": dtype = .u16
        case "<u4": dtype = .u32
        case "|u1", "<u1": dtype = .u8
        case "|i1", "<i1": dtype = .i8
        case "|b1": dtype = .bool
        default:
            if descr.hasPrefix(">") {
                throw NPYError(reason: "big-endian data ('\(descr)')", remedy: "save a.astype(a.dtype.newbyteorder('<')) instead")
            }
            throw NPYError(reason: "unsupported dtype '\(descr)'", remedy: "save as float32, float16, int32 or int64")
        }
        var count = 1
        for d in dims {
            guard d >= 0 else { throw NPYError(reason: "negative dimension in shape") }
            let (m, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw NPYError(reason: "shape is too large") }
            count = m
        }
        let (need, o) = count.multipliedReportingOverflow(by: dtype.byteSize ?? 1)
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard !o, need == available else {
            throw NPYError(
                reason:
                    "data holds \(available) bytes but shape \(dims) of '\(descr)' needs \(o ? "too many" : String(need)) (truncated or trailing bytes)"
            )
        }
        return (TensorInfo(name: name, dtype: dtype, shape: dims, dataOffsets: 0..<need), dataStart)
    }
}

/// The tiny subset of Python literals that .npy headers use: a dict of strings, booleans, int tuples.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])

    static func parseHeaderDict(_ text: String) throws(NPYFile.NPYError) -> [String: PythonLiteral] {
        var p = Parser(chars: Array(text.unicodeScalars))
        return try p.dict()
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var i = 0

        mutating func skip() { while i < chars.count, chars[i].properties.isWhitespace { i += 1 } }

        mutating func expect(_ c: Unicode.Scalar) throws(NPYFile.NPYError) {
            skip()
            guard i < chars.count, chars[i] == c else { throw NPYFile.NPYError(reason: "malformed header: expected '\(c)'") }
            i += 1
        }

        mutating func peek() -> Unicode.Scalar? { skip(); return i < chars.count ? chars[i] : nil }

        mutating func string() throws(NPYFile.NPYError) -> String {
            skip()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else {
                throw NPYFile.NPYError(reason: "malformed header: expected a string")
            }
            let q = chars[i]
            i += 1
            var s = ""
            while i < chars.count, chars[i] != q { s.unicodeScalars.append(chars[i]); i += 1 }
            guard i < chars.count else { throw NPYFile.NPYError(reason: "malformed header: unterminated string") }
            i += 1
            return s
        }

        mutating func int() throws(NPYFile.NPYError) -> Int {
            skip()
            var digits = ""
            while i < chars.count, ("0"..."9").contains(chars[i]) || (digits.isEmpty && chars[i] == "-") {
                digits.unicodeScalars.append(chars[i]); i += 1
            }
            if i < chars.count, chars[i] == "L" { i += 1 }
            guard let v = Int(digits) else { throw NPYFile.NPYError(reason: "malformed header: bad integer in shape") }
            return v
        }

        mutating func value() throws(NPYFile.NPYError) -> PythonLiteral {
            guard let c = peek() else { throw NPYFile.NPYError(reason: "malformed header: unexpected end") }
            if c == "'" || c == "\"" { return .string(try string()) }
            if c == "(" {
                i += 1
                var items: [Int] = []
                while true {
                    if peek() == ")" { i += 1; break }
                    items.append(try int())
                    if peek() == "," {
                        i += 1
                    } else if peek() != ")" {
                        throw NPYFile.NPYError(reason: "malformed header: bad shape tuple")
                    }
                }
                return .tuple(items)
            }
            for (word, v) in [("True", true), ("False", false)] {
                let w = Array(word.unicodeScalars)
                if i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w { i += w.count; return .bool(v) }
            }
            throw NPYFile.NPYError(reason: "malformed header: unsupported value")
        }

        mutating func dict() throws(NPYFile.NPYError) -> [String: PythonLiteral] {
            try expect("{")
            var out: [String: PythonLiteral] = [:]
            while true {
                if peek() == "}" { i += 1; break }
                let k = try string()
                try expect(":")
                out[k] = try value()
                if peek() == "," {
                    i += 1
                } else if peek() != "}" {
                    throw NPYFile.NPYError(reason: "malformed header: expected ',' or '}'")
                }
            }
            return out
        }
    }
}
