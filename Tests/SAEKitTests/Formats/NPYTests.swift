import Foundation
import Testing
@testable import SAEKit

/// fixtures/loaders/npy, written by fixtures/generate/loaders/make_loader_fixtures.py (numpy only).
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures/loaders/npy")

private func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
}

/// One entry of fixtures/loaders/npy/npy_expected.json (numpy's own description of the file): the
/// keys the tests compare (its `descr` and `fortran_order` restate `dtype` and the two refusals).
struct NPYExpectation: Decodable, Sendable {
    var version: String
    var shape: [Int]
    var accept: Bool
    var dtype: String?
    var values: [Double]?
    var values_str: [String]?
}

private let expectations: [String: NPYExpectation] = {
    let url = fixtures.appendingPathComponent("npy_expected.json")
    guard let data = try? Data(contentsOf: url), let e = try? JSONDecoder().decode([String: NPYExpectation].self, from: data) else {
        return [:]
    }
    return e
}()

/// A .npy file with header text `dict`, padded as numpy pads it (to a multiple of 64, ending in '\n').
func craftedNPY(_ dict: String, version: UInt8 = 1, data: [UInt8] = []) -> [UInt8] {
    var h = Array(dict.utf8)
    let prefix = version == 1 ? 10 : 12
    while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    out += version == 1 ? Bytes.le(UInt16(h.count)) : Bytes.le(UInt32(h.count))
    return out + h + data
}

struct NPYErrorCase: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    /// The CLI line after "PATH: ".
    var message: String
    var testDescription: String { name }
}

private let resave = "; re-save it with numpy.save"

/// A version 1.0 file with header text `dict`, refused with `message` and the re-save remedy.
private func refusedHeader(_ name: String, _ dict: String, data: [UInt8] = [], _ message: String) -> NPYErrorCase {
    NPYErrorCase(name: name, bytes: craftedNPY(dict, data: data), message: message + resave)
}

/// A version 1.0 file whose header text `dict` does not parse: "malformed header: DETAIL".
private func refusedHeader(_ name: String, _ dict: String, data: [UInt8] = [], malformed detail: String) -> NPYErrorCase {
    refusedHeader(name, dict, data: data, "malformed header: " + detail)
}

let npyErrorCases: [NPYErrorCase] = {
    let f32 = (try? fixture("f32_3x4_v1.npy")) ?? []  // 128-byte header (118 after the 10-byte prefix), 48 data bytes
    let v2 = (try? fixture("f32_2x3_v2.npy")) ?? []
    func with(_ b: [UInt8], _ i: Int, _ v: UInt8) -> [UInt8] { var c = b; c[i] = v; return c }
    return [
        NPYErrorCase(
            name: "Fortran order", bytes: (try? fixture("f32_3x2_fortran_v1.npy")) ?? [],
            message: "array is in Fortran order; save numpy.ascontiguousarray(a) instead"),
        NPYErrorCase(
            name: "big-endian", bytes: (try? fixture("f32_4_bigendian_v1.npy")) ?? [],
            message: "big-endian data ('>f4'); save a.astype(a.dtype.newbyteorder('<')) instead"),
        NPYErrorCase(
            name: "truncated data", bytes: Array(f32.dropLast()),
            message: "data holds 47 bytes but shape [3, 4] of '<f4' needs 48 (truncated or trailing bytes)" + resave),
        NPYErrorCase(
            name: "trailing byte", bytes: f32 + [0],
            message: "data holds 49 bytes but shape [3, 4] of '<f4' needs 48 (truncated or trailing bytes)" + resave),
        NPYErrorCase(
            name: "bad magic", bytes: with(f32, 1, UInt8(ascii: "n")),
            message: "not a .npy file (missing the \\x93NUMPY magic)" + resave),
        NPYErrorCase(
            name: "safetensors bytes", bytes: Bytes.safetensors("{}"),
            message: "not a .npy file (missing the \\x93NUMPY magic)" + resave),
        NPYErrorCase(
            name: "shorter than the prefix", bytes: Array(f32.prefix(9)),
            message: "not a .npy file (missing the \\x93NUMPY magic)" + resave),
        NPYErrorCase(
            name: "version 4.0", bytes: with(f32, 6, 4),
            message: "unsupported .npy format version 4.0; save with numpy.save (versions 1.0-3.0)"),
        NPYErrorCase(
            name: "version 2 without its 4-byte length", bytes: Array(v2.prefix(11)),
            message: "truncated .npy header" + resave),
        NPYErrorCase(
            name: "header past the end", bytes: Array(f32.prefix(20)),
            message: "header length 118 runs past the end of the 20-byte file (truncated?)" + resave),
        NPYErrorCase(
            name: "version 3 header not UTF-8",
            bytes: craftedNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", version: 3, data: [0, 0, 0, 0]).enumerated().map {
                $0.offset == 14 ? 0xFF : $0.element
            },
            message: "header is not valid UTF-8" + resave),
        NPYErrorCase(
            name: "complex dtype",
            bytes: craftedNPY("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8)),
            message: "unsupported dtype '<c8'; save as float32, float16, int32 or int64"),
        refusedHeader(
            "structured dtype", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0],
            malformed: "unsupported value"),
        refusedHeader(
            "no descr", "{'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0],
            "header has no 'descr' string (structured dtypes are not supported)"),
        refusedHeader("no fortran_order", "{'descr': '<f4', 'shape': (1,), }", data: [0, 0, 0, 0], "header has no 'fortran_order'"),
        refusedHeader("no shape", "{'descr': '<f4', 'fortran_order': False}", data: [0, 0, 0, 0], "header has no 'shape' tuple"),
        refusedHeader("negative dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "negative dimension in shape"),
        refusedHeader(
            "element count overflows", "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "shape is too large"
        ),
        refusedHeader(
            "byte count overflows", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }",
            "data holds 0 bytes but shape [4611686018427387904] of '<f4' needs too many (truncated or trailing bytes)"),
        refusedHeader(
            "dimension beyond Int", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
            malformed: "bad integer in shape"),
        refusedHeader("unterminated string", "{'descr: '<f4'}", malformed: "expected ':'"),
        refusedHeader("not a dict", "['descr']", malformed: "expected '{'"),
        refusedHeader("unclosed dict", "{'descr': '<f4'", malformed: "expected ',' or '}'")
    ]
}()

@Suite("NumPy .npy reading")
struct NPYTests {
    @Test(
        "fixtures match numpy",
        arguments: [
            "f32_3x4_v1.npy", "f16_5_v1.npy", "i32_2x3_v1.npy", "i64_4_v1.npy", "f64_scalar_v1.npy",
            "u8_2x2_v1.npy", "f32_2x3_v2.npy", "f32_2x3_v3.npy"
        ])
    func acceptedFixture(_ name: String) throws {
        let e = try #require(expectations[name], "npy_expected.json lacks \(name)")
        #expect(e.accept)
        let bytes = try fixture(name)
        // The version in the file is the one numpy reports.
        #expect("\(bytes[6]).\(bytes[7])" == e.version)
        let npy = try NPYFile(path: fixtures.appendingPathComponent(name).path)
        let t = npy.tensor
        #expect(t.name == name)
        #expect(t.shape == e.shape)
        #expect(t.dtype.rawValue == e.dtype)
        if let strings = e.values_str {
            #expect(try t.int64s() == strings.compactMap { Int64($0) })
        } else {
            let values = try #require(e.values)
            // numpy printed the stored float32/float16/float64 values exactly, so Float(value) is exact.
            #expect(try t.floats() == values.map { Float($0) })
            if t.dtype == .f64 { #expect(try t.scalar() == values[0]) }
        }
    }

    @Test func everyFixtureIsCovered() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".npy") }
        #expect(Set(names) == Set(expectations.keys))
        #expect(expectations.values.filter { !$0.accept }.count == 2)
    }

    @Test("refusals give one line", arguments: npyErrorCases)
    func refusal(_ c: NPYErrorCase) throws {
        try #require(!c.bytes.isEmpty, "fixture missing")
        try expectRefusal(c.bytes, as: "case.npy", message: c.message) { _ = try NPYFile(path: $0) }
        if case .success = parseNPY(c.bytes) { Issue.record("parse accepted \(c.name)") }
    }

    @Test func craftedHeadersInEveryVersion() throws {
        // 1.5 = 0x3FC00000, -0.25 = 0xBE800000; little-endian.
        let data: [UInt8] = [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x80, 0xBE]
        for v: UInt8 in [1, 2, 3] {
            // Double quotes, no trailing comma, a Python 2 long, extra whitespace: all legal.
            let bytes = craftedNPY("{\"descr\": \"<f4\" ,'shape':( 2L ,),  'fortran_order':False}", version: v, data: data)
            let (info, offset) = try parseNPY(bytes).get()
            #expect(info.shape == [2] && info.dtype == .f32 && info.dataOffsets == 0..<8)
            #expect(offset == bytes.count - 8 && offset % 64 == 0)
            let f = MappedFile(path: "v\(v).npy", copying: Data(bytes))
            #expect(try NPYFile(file: f, name: "v\(v).npy").tensor.floats() == [1.5, -0.25])
        }
    }

    @Test func otherSupportedDTypes() throws {
        let cases: [(String, DType, [UInt8], [Int64])] = [
            ("<i2", .i16, [0x00, 0x80], [-32768]),
            ("<u2", .u16, [0xFF, 0xFF], [65535]),
            ("<u4", .u32, [0xFF, 0xFF, 0xFF, 0xFF], [4_294_967_295]),
            ("|i1", .i8, [0xFF], [-1]),
            ("|b1", .bool, [0x01], [1])
        ]
        for (descr, dtype, data, values) in cases {
            let bytes = craftedNPY("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }", data: data)
            let t = try NPYFile(file: MappedFile(path: "x.npy", copying: Data(bytes)), name: "x.npy").tensor
            #expect(t.dtype == dtype)
            #expect(try t.int64s() == values)
        }
    }

    @Test func emptyArray() throws {
        let bytes = craftedNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }")
        let t = try NPYFile(file: MappedFile(path: "e.npy", copying: Data(bytes)), name: "e.npy").tensor
        #expect(t.shape == [0, 3] && t.elementCount == 0)
        #expect(try t.floats() == [])
    }
}
