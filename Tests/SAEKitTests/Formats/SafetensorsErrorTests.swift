import Foundation
import Testing
@testable import SAEKit

/// One crafted byte string per way a safetensors file can be refused.
struct SafetensorsErrorCase: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var error: SafetensorsError
    /// The CLI line after "PATH: ".
    var message: String
    var testDescription: String { name }
}

/// `{"NAME":{"dtype":"DTYPE","shape":SHAPE,"data_offsets":OFFSETS}}`-style entry text.
private func entry(_ name: String, _ dtype: String = "U8", shape: String = "[0]", offsets: String = "[0,0]") -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
}

private let remedy = "; re-export or re-download the file"

private func st(
    _ name: String, _ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil,
    _ error: SafetensorsError, _ message: String
) -> SafetensorsErrorCase {
    SafetensorsErrorCase(
        name: name, bytes: Bytes.safetensors(header, data: data, declaredLength: declaredLength), error: error, message: message + remedy)
}

/// A header that is not a JSON object: `.headerNotJSONObject(detail)`, "header is not a JSON object (DETAIL)".
private func notAnObject(_ name: String, _ header: String, _ detail: String) -> SafetensorsErrorCase {
    st(name, header, .headerNotJSONObject(detail: detail), "header is not a JSON object (\(detail))")
}

/// Two entries named `tensor` (however the header spells them).
private func duplicate(_ name: String, _ header: String, _ tensor: String) -> SafetensorsErrorCase {
    st(name, header, .duplicateTensor(name: tensor), "tensor \"\(tensor)\": tensor name appears twice in the header")
}

/// Tensor "a"'s entry is refused: `.invalidEntry(a, detail)`, "tensor "a": invalid header entry: DETAIL".
private func badEntry(_ name: String, _ header: String, data: [UInt8] = [], _ detail: String) -> SafetensorsErrorCase {
    st(name, header, data: data, .invalidEntry(tensor: "a", detail: detail), "tensor \"a\": invalid header entry: \(detail)")
}

private func badShape(_ name: String, _ shape: String) -> SafetensorsErrorCase {
    badEntry(
        "shape entry \(name)", "{\(entry("a", shape: shape, offsets: "[0,1]"))}", data: [0], "shape entries must be non-negative integers")
}

private func badOffsets(_ name: String, _ offsets: String) -> SafetensorsErrorCase {
    badEntry("data_offsets \(name)", "{\(entry("a", offsets: offsets))}", "\"data_offsets\" must be two non-negative integers")
}

/// `__metadata__` is refused: `.invalidMetadata(detail)`, "__metadata__ must map strings to strings (DETAIL)".
private func badMetadata(_ name: String, _ header: String, _ detail: String) -> SafetensorsErrorCase {
    st(name, header, .invalidMetadata(detail: detail), "__metadata__ must map strings to strings (\(detail))")
}

/// Tensor "a"'s element count times its width does not fit.
private func overflow(_ name: String, _ header: String) -> SafetensorsErrorCase {
    st(name, header, .sizeOverflow(tensor: "a"), "tensor \"a\": shape is too large: element count x width overflows")
}

/// A header whose bytes are not UTF-8.
private func notUTF8(_ name: String, _ header: [UInt8]) -> SafetensorsErrorCase {
    SafetensorsErrorCase(
        name: name, bytes: Bytes.safetensors(headerBytes: header), error: .headerNotUTF8, message: "header is not valid UTF-8" + remedy)
}

let safetensorsErrorCases: [SafetensorsErrorCase] = [
    // Length prefix.
    SafetensorsErrorCase(
        name: "empty file", bytes: [], error: .fileTooSmall(size: 0),
        message: "not a safetensors file: 0 bytes, shorter than the 8-byte header length" + remedy),
    SafetensorsErrorCase(
        name: "file of 3 bytes", bytes: [1, 0, 0], error: .fileTooSmall(size: 3),
        message: "not a safetensors file: 3 bytes, shorter than the 8-byte header length" + remedy),
    st(
        "header length one over the cap", "{}", declaredLength: 100_000_001, .headerTooLarge(length: 100_000_001),
        "header length 100000001 exceeds the 100,000,000-byte limit (corrupt or not safetensors)"),
    st(
        "header length UInt64.max", "{}", declaredLength: .max, .headerTooLarge(length: .max),
        "header length 18446744073709551615 exceeds the 100,000,000-byte limit (corrupt or not safetensors)"),
    st(
        "header length at the cap, past EOF", "{}", declaredLength: 100_000_000, .headerPastEndOfFile(length: 100_000_000, fileSize: 10),
        "header length 100000000 runs past the end of the 10-byte file (truncated?)"),
    st(
        "header one byte past EOF", "{}", declaredLength: 3, .headerPastEndOfFile(length: 3, fileSize: 10),
        "header length 3 runs past the end of the 10-byte file (truncated?)"),
    // Header text.
    notUTF8("header with byte 0xFF", [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]),
    notUTF8("header with a UTF-8-encoded surrogate", [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]),
    notUTF8("header with an overlong encoding of '/'", [0x7B, 0xC0, 0xAF, 0x7D]),
    notAnObject("empty header", "", "does not start with '{'"),
    notAnObject("header starting with a space", " {}", "does not start with '{'"),
    notAnObject("header that is a JSON array", "[]", "does not start with '{'"),
    notAnObject("header that is a JSON string", "\"{}\"", "does not start with '{'"),
    notAnObject("unterminated JSON", "{\"a\":", "invalid JSON"),
    notAnObject("JSON with trailing garbage", "{}x", "invalid JSON"),
    notAnObject("JSON with single quotes", "{'a':1}", "invalid JSON"),
    notAnObject("JSON with a lone surrogate escape", "{\"\\ud800\":1}", "invalid JSON"),
    // Names.
    duplicate("duplicate tensor", "{\(entry("a")),\(entry("a"))}", "a"),
    duplicate("duplicate tensor spelled with a JSON escape", "{\(entry("a")),\(entry("\\u0061"))}", "a"),
    duplicate("duplicate tensor spelled with an escaped slash", "{\(entry("x/y")),\(entry("x\\/y"))}", "x/y"),
    // Swift strings compare by canonical equivalence, so U+00E9 and "e" + U+0301 are one dictionary key.
    // The reference (byte comparison) would accept both names; refusing beats silently dropping one.
    duplicate("names equal under Unicode canonical equivalence", "{\(entry("\u{E9}")),\(entry("e\u{301}"))}", "\u{E9}"),
    duplicate("duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":{}}", "__metadata__"),
    // Entries.
    badEntry("entry that is a number", "{\"a\":1}", "not an object"),
    badEntry("entry missing dtype", "{\"a\":{\"shape\":[0],\"data_offsets\":[0,0]}}", "missing or non-string \"dtype\""),
    badEntry("entry with numeric dtype", "{\"a\":{\"dtype\":32,\"shape\":[0],\"data_offsets\":[0,0]}}", "missing or non-string \"dtype\""),
    badEntry("entry missing shape", "{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,0]}}", "missing or non-array \"shape\""),
    badEntry("entry with scalar shape", "{\(entry("a", shape: "0"))}", "missing or non-array \"shape\""),
    badEntry(
        "entry missing data_offsets", "{\"a\":{\"dtype\":\"U8\",\"shape\":[0]}}", "\"data_offsets\" must be two non-negative integers"),
    st("unknown dtype", "{\(entry("a", "F128"))}", .unknownDType(tensor: "a", dtype: "F128"), "tensor \"a\": unknown dtype \"F128\""),
    st("lower-case dtype", "{\(entry("a", "f32"))}", .unknownDType(tensor: "a", dtype: "f32"), "tensor \"a\": unknown dtype \"f32\""),
    badShape("negative", "[-1]"),
    badShape("boolean", "[true]"),
    badShape("float 1.0", "[1.0]"),
    badShape("float 1e0", "[1e0]"),
    badShape("fraction", "[0.5]"),
    badShape("string", "[\"1\"]"),
    badShape("null", "[null]"),
    badShape("above Int.max", "[9223372036854775808]"),
    badShape("above UInt64.max", "[18446744073709551616]"),
    badOffsets("with one number", "[0]"),
    badOffsets("with three numbers", "[0,0,0]"),
    badOffsets("negative", "[-1,0]"),
    badOffsets("float", "[0,0.0]"),
    badOffsets("boolean", "[false,false]"),
    // Metadata.
    badMetadata("__metadata__ with a number value", "{\"__metadata__\":{\"k\":1}}", "value of \"k\" is not a string"),
    badMetadata("__metadata__ with an object value", "{\"__metadata__\":{\"k\":{}}}", "value of \"k\" is not a string"),
    badMetadata("__metadata__ that is an array", "{\"__metadata__\":[]}", "not an object"),
    // Offsets and sizes.
    st(
        "end before begin", "{\(entry("a", offsets: "[4,2]"))}", .offsetsReversed(tensor: "a", begin: 4, end: 2),
        "tensor \"a\": data_offsets [4, 2] end before they begin"),
    st(
        "gap between tensors", "{\(entry("a", shape: "[4]", offsets: "[0,4]")),\(entry("b", shape: "[4]", offsets: "[5,9]"))}",
        data: Array(repeating: 0, count: 9),
        .offsetsNotContiguous(tensor: "b", expectedBegin: 4, begin: 5),
        "tensor \"b\": data_offsets begin at 5, expected 4: tensors must follow each other with no gap or overlap"),
    st(
        "overlapping tensors", "{\(entry("b", shape: "[4]", offsets: "[3,7]")),\(entry("a", shape: "[4]", offsets: "[0,4]"))}",
        data: Array(repeating: 0, count: 7),
        .offsetsNotContiguous(tensor: "b", expectedBegin: 4, begin: 3),
        "tensor \"b\": data_offsets begin at 3, expected 4: tensors must follow each other with no gap or overlap"),
    st(
        "empty tensor inside another", "{\(entry("a", shape: "[4]", offsets: "[0,4]")),\(entry("z", offsets: "[2,2]"))}",
        data: Array(repeating: 0, count: 4),
        .offsetsNotContiguous(tensor: "z", expectedBegin: 4, begin: 2),
        "tensor \"z\": data_offsets begin at 2, expected 4: tensors must follow each other with no gap or overlap"),
    st(
        "first tensor not at 0", "{\(entry("a", shape: "[4]", offsets: "[2,6]"))}", data: Array(repeating: 0, count: 6),
        .offsetsNotContiguous(tensor: "a", expectedBegin: 0, begin: 2),
        "tensor \"a\": data_offsets begin at 2, expected 0: tensors must follow each other with no gap or overlap"),
    overflow("element count overflows", "{\(entry("a", shape: "[4294967296,4294967296]"))}"),
    overflow("element count overflows before a zero dimension", "{\(entry("a", shape: "[4294967296,4294967296,0]"))}"),
    overflow("element count x width overflows", "{\(entry("a", "F32", shape: "[2305843009213693952]"))}"),
    st(
        "sub-byte tensor of 12 bits", "{\(entry("a", "F4", shape: "[3]", offsets: "[0,2]"))}", data: [0, 0],
        .misalignedSubByteTensor(tensor: "a"),
        "tensor \"a\": sub-byte tensor does not fill a whole number of bytes"),
    st(
        "byte length smaller than shape x width", "{\(entry("a", "F32", shape: "[2]", offsets: "[0,4]"))}", data: [0, 0, 0, 0],
        .byteLengthMismatch(tensor: "a", expected: 8, actual: 4), "tensor \"a\": data_offsets cover 4 bytes but shape x dtype needs 8"),
    st(
        "byte length larger than shape x width", "{\(entry("a", "F16", shape: "[]", offsets: "[0,4]"))}", data: [0, 0, 0, 0],
        .byteLengthMismatch(tensor: "a", expected: 2, actual: 4), "tensor \"a\": data_offsets cover 4 bytes but shape x dtype needs 2"),
    st(
        "trailing byte after the data", "{\(entry("a", "F32", shape: "[1]", offsets: "[0,4]"))}", data: [0, 0, 0, 0, 0],
        .dataLengthMismatch(declaredEnd: 4, available: 5),
        "tensor data ends at byte 4 of the buffer but the file holds 5 data bytes (truncated or trailing bytes)"),
    st(
        "trailing byte in a file without tensors", "{}", data: [0], .dataLengthMismatch(declaredEnd: 0, available: 1),
        "tensor data ends at byte 0 of the buffer but the file holds 1 data bytes (truncated or trailing bytes)"),
    st(
        "truncated data", "{\(entry("a", "F32", shape: "[2]", offsets: "[0,8]"))}", data: [0, 0, 0, 0],
        .dataLengthMismatch(declaredEnd: 8, available: 4),
        "tensor data ends at byte 8 of the buffer but the file holds 4 data bytes (truncated or trailing bytes)")
]

@Suite("Safetensors refusals")
struct SafetensorsErrorTests {
    @Test("parse throws the exact case", arguments: safetensorsErrorCases)
    func parseThrowsCase(_ c: SafetensorsErrorCase) {
        switch parseSafetensors(c.bytes) {
        case .success(let p): Issue.record("accepted: \(p.tensors.map(\.name))")
        case .failure(let e): #expect(e == c.error)
        }
    }

    @Test("opening the file gives one line naming the file and the tensor", arguments: safetensorsErrorCases)
    func openGivesOneLine(_ c: SafetensorsErrorCase) throws {
        let error = try expectRefusal(c.bytes, as: "case.safetensors", message: c.message) { _ = try SafetensorsFile(path: $0) }
        #expect(error.exitCode == 2)
        #expect(error.subject == c.error.tensor.map { "tensor \"\($0)\"" })
    }
}

@Suite("Error lines are safe to print")
struct ErrorLineSafetyTests {
    @Test func controlCharactersInTensorNamesAreEscaped() throws {
        // Name: ESC [ 2 J (clear screen), TAB, DEL, U+202E (right-to-left override), newline.
        let header = "{\"\\u001b[2J\\t\\u007f\\u202eab\\ncd\":{\"dtype\":\"F99\",\"shape\":[],\"data_offsets\":[0,0]}}"
        let e = try expectRefusal(
            Bytes.safetensors(header), as: "evil.safetensors",
            message: "tensor \"\\u{1B}[2J\\u{9}\\u{7F}\\u{202E}ab cd\": unknown dtype \"F99\"; re-export or re-download the file"
        ) { _ = try SafetensorsFile(path: $0) }
        #expect(!e.description.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test func ordinaryTextIsUnchanged() {
        let e = SAEKitError(
            .badInput, path: "dir/ü file.safetensors", subject: "tensor \"blocks.0/W_enc\"", reason: "a\r\nb", remedy: "c ✓")
        #expect(e.description == "dir/ü file.safetensors: tensor \"blocks.0/W_enc\": a b; c ✓")
    }
}
