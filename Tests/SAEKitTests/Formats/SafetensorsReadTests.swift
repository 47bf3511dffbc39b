import Foundation
import Testing
@testable import SAEKit

/// Files that must be accepted, and the values read from them.
@Suite("Safetensors reading")
struct SafetensorsReadTests {
    /// Writes `bytes` to a temporary file and opens it (through the memory map, as the CLI does).
    private func open(_ bytes: [UInt8], _ body: (SafetensorsFile) throws -> Void) throws {
        try TempDir.using { dir in try body(try SafetensorsFile(path: dir.write("t.safetensors", bytes))) }
    }

    @Test func zeroRankTensor() throws {
        // F32 1.5 = 0x3FC00000.
        let bytes = Bytes.safetensors("{\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", data: [0x00, 0x00, 0xC0, 0x3F])
        try open(bytes) { (f) throws in
            let t = try #require(f.tensor("t"))
            #expect(t.shape == [] && t.elementCount == 1 && t.byteCount == 4)
            #expect(try t.floats() == [1.5])
            #expect(try t.scalar() == 1.5)
        }
    }

    @Test func emptyTensors() throws {
        let header =
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"I64\",\"shape\":[3,0,2],\"data_offsets\":[0,0]},"
            + "\"c\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"d\":{\"dtype\":\"BF16\",\"shape\":[0],\"data_offsets\":[1,1]}}"
        try open(Bytes.safetensors(header, data: [42])) { (f) throws in
            #expect(Set(f.names) == ["a", "b", "c", "d"])
            let a = try #require(f.tensor("a"))
            #expect(a.elementCount == 0 && a.byteCount == 0)
            #expect(try a.floats() == [])
            #expect(try a.float32Storage().count == 0)
            let b = try #require(f.tensor("b"))
            #expect(b.shape == [3, 0, 2] && b.elementCount == 0)
            #expect(try b.int64s() == [])
            #expect(try f.require("c").int64s() == [42])
            #expect(try f.require("d").floats() == [])
            #expect(throws: SAEKitError.self) { try a.scalar() }
        }
    }

    @Test func headerWithoutTensors() throws {
        try open(Bytes.safetensors("{}")) { (f) throws in
            #expect(f.tensors.isEmpty && f.metadata.isEmpty && f.dataStart == 10)
            let e = try #require(throws: SAEKitError.self) { try f.require("W_enc") }
            #expect(e.description == "\(f.path): tensor \"W_enc\": missing (the file has: no tensors); check that this is the right file")
        }
    }

    @Test func jsonWhitespaceInsideAndAfterTheHeader() throws {
        let header =
            "{ \"w\" :\n\t{ \"shape\" : [ 2 ] ,\r\n \"dtype\" : \"I16\" , \"data_offsets\" : [ 0 , 4 ] } ,\n \"__metadata__\" : { \"k\" : \"v\" } }\n   \t"
        // I16 little-endian: 0x8000 = -32768, 0x7FFF = 32767.
        try open(Bytes.safetensors(header, data: [0x00, 0x80, 0xFF, 0x7F])) { (f) throws in
            #expect(f.metadata == ["k": "v"])
            #expect(try f.require("w").int64s() == [-32768, 32767])
        }
    }

    @Test func unknownEntryKeysAndNullMetadataAreAccepted() throws {
        // The reference reader ignores keys it does not know and reads `"__metadata__": null` as no metadata.
        let header = "{\"__metadata__\":null,\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"quantization\":\"none\"}}"
        try open(Bytes.safetensors(header, data: [7])) { (f) throws in
            #expect(f.metadata.isEmpty)
            #expect(try f.require("a").int64s() == [7])
        }
    }

    @Test func escapedNamesAreUnescaped() throws {
        let header =
            "{\"blocks.0\\/W_enc\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"\\u00e9\\\"q\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}"
        try open(Bytes.safetensors(header, data: [1, 2])) { (f) throws in
            #expect(try f.require("blocks.0/W_enc").int64s() == [1])
            #expect(try f.require("é\"q").int64s() == [2])
        }
    }

    @Test func unpaddedHeaderReadsUnalignedF32ThroughTheCopyPath() throws {
        // A 61-byte header puts the data at file offset 69, which is not a multiple of 4.
        var header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}"
        header += String(repeating: " ", count: 61 - header.utf8.count)
        #expect(header.utf8.count == 61)
        // 1.0 = 0x3F800000, -2.5 = 0xC0200000, 2^-149 (smallest subnormal) = 0x00000001.
        let data: [UInt8] = [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x01, 0x00, 0x00, 0x00]
        try open(Bytes.safetensors(header, data: data)) { (f) throws in
            #expect(f.dataStart == 69)
            let x = try #require(f.tensor("x"))
            let base = try #require(x.rawBytes.baseAddress)
            #expect(Int(bitPattern: base) % 4 != 0, "the test must exercise the unaligned path")
            let expected: [Float] = [1.0, -2.5, Float(bitPattern: 1)]
            #expect(try x.floats() == expected)
            #expect(try x.float32Storage().array == expected)
            var one: Float = 0
            try x.copyFloats(1..<2, into: &one)
            #expect(one == -2.5)
        }
    }

    @Test func alignedF32IsBorrowedFromTheMap() throws {
        var w = SafetensorsWriter()
        w.add("x", shape: [2], floats: [0.5, -0.25])
        try open(Array(try w.serialized())) { (f) throws in
            let x = try #require(f.tensor("x"))
            let s = try x.float32Storage()
            #expect(s.pointer == x.rawBytes.baseAddress?.assumingMemoryBound(to: Float.self))
            #expect(s.array == [0.5, -0.25])
        }
    }

    /// Every byte-sized dtype, from hand-written little-endian bytes with the values worked out by hand.
    @Test func everyByteSizedDType() throws {
        let tensors: [(String, String, [UInt8])] = [
            ("bool", "BOOL", [0x00, 0x01]),
            ("u8", "U8", [0x00, 0xFF, 0x80]),
            ("i8", "I8", [0x80, 0x7F, 0xFF]),  // -128, 127, -1
            ("i16", "I16", [0x00, 0x80, 0xFF, 0x7F, 0xFE, 0xFF]),  // -32768, 32767, -2
            ("u16", "U16", [0x02, 0x01, 0xFF, 0xFF]),  // 0x0102 = 258, 65535
            ("i32", "I32", [0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00, 0x00, 0x80]),  // 2^31-1, -2^31
            ("u32", "U32", [0x01, 0x02, 0x03, 0x04]),  // 0x04030201 = 67305985
            (
                "i64", "I64",
                [0xFE] + Array(repeating: 0xFF, count: 7)  // -2
                    + [0x01, 0, 0, 0, 0, 0, 0x20, 0]
            ),  // 2^53 + 1 = 9007199254740993
            ("u64", "U64", [0x2A, 0, 0, 0, 0, 0, 0, 0]),  // 42
            ("f32", "F32", [0x00, 0x00, 0xC0, 0x3F]),  // 0x3FC00000 = 1.5
            ("f64", "F64", [0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F])  // 0x3FB999999999999A = 0.1
        ]
        var header = "{"
        var data: [UInt8] = []
        for (i, (name, dtype, bytes)) in tensors.enumerated() {
            let width = DType(rawValue: dtype)!.byteSize!
            header +=
                (i > 0 ? "," : "")
                + "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(bytes.count / width)],\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}"
            data += bytes
        }
        header += "}"
        try open(Bytes.safetensors(header, data: data)) { (f) throws in
            func ints(_ n: String) throws -> [Int64] { try f.require(n).int64s() }
            func floats(_ n: String) throws -> [Float] { try f.require(n).floats() }
            #expect(try ints("bool") == [0, 1])
            #expect(try floats("bool") == [0, 1])
            #expect(try ints("u8") == [0, 255, 128])
            #expect(try floats("u8") == [0, 255, 128])
            #expect(try ints("i8") == [-128, 127, -1])
            #expect(try floats("i8") == [-128, 127, -1])
            #expect(try ints("i16") == [-32768, 32767, -2])
            #expect(try floats("i16") == [-32768, 32767, -2])
            #expect(try ints("u16") == [258, 65535])
            #expect(try floats("u16") == [258, 65535])
            #expect(try ints("i32") == [2_147_483_647, -2_147_483_648])
            // 2^31 - 1 rounds to 2^31 in Float32 (24-bit significand).
            #expect(try floats("i32") == [2_147_483_648, -2_147_483_648])
            #expect(try ints("u32") == [67_305_985])
            // 67305985 = 0x4030201 lies in [2^26, 2^27), where Float32 steps by 8: nearest is 67305984.
            #expect(try floats("u32") == [67_305_984])
            #expect(try ints("i64") == [-2, 9_007_199_254_740_993])
            #expect(try floats("i64") == [-2, 9_007_199_254_740_992])
            #expect(try ints("u64") == [42])
            #expect(try floats("u64") == [42])
            #expect(try floats("f32") == [1.5])
            #expect(try floats("f64") == [Float(0.1)])
            #expect(try f.require("f64").scalar() == 0.1)
            // Floating-point tensors are not integers.
            let e = try #require(throws: SAEKitError.self) { try f.require("f32").int64s() }
            #expect(
                e.description == "\(f.path): tensor \"f32\": dtype F32 cannot be read as integers; convert the tensor to F32, F16 or BF16")
        }
    }

    @Test func u64AboveInt64MaxIsRefusedNotWrapped() throws {
        let header = "{\"ids\":{\"dtype\":\"U64\",\"shape\":[2],\"data_offsets\":[0,16]}}"
        let data: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 0xFF, count: 8)
        try open(Bytes.safetensors(header, data: data)) { (f) throws in
            let e = try #require(throws: SAEKitError.self) { try f.require("ids").int64s() }
            #expect(
                e.description
                    == "\(f.path): tensor \"ids\": U64 value 18446744073709551615 at index 1 does not fit in Int64; store the values as I64"
            )
            // As floats it is fine: 2^64 - 1 rounds to 2^64.
            #expect(try f.require("ids").floats() == [1, 18_446_744_073_709_551_616])
        }
    }

    @Test func subByteAndComplexTypesParseButDoNotConvert() throws {
        let header =
            "{\"q\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]},\"c\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[2,10]}}"
        try open(Bytes.safetensors(header, data: Array(repeating: 0, count: 10))) { (f) throws in
            let q = try #require(throws: SAEKitError.self) { try f.require("q").floats() }
            #expect(q.description == "\(f.path): tensor \"q\": dtype F4 cannot be read as Float32; convert the tensor to F32, F16 or BF16")
            #expect(q.code == .unsupported)
            #expect(throws: SAEKitError.self) { try f.require("c").floats() }
        }
    }

    // MARK: - f16 and bf16

    /// Float32 bit patterns and the f16 and bf16 patterns that hold them (nil: the format cannot), worked out by hand.
    /// f16 = sign | 5-bit exponent (bias 15) | 10-bit mantissa; f32 = sign | 8-bit exponent (bias 127) | 23 bits.
    /// A normal f16 keeps its mantissa shifted left by 13 and its exponent re-biased by +112.
    /// bf16 is the upper half of a Float32 bit pattern.
    static let halfCases: [(f32: UInt32, f16: UInt16?, bf16: UInt16?, what: String)] = [
        // Both formats.
        (0x0000_0000, 0x0000, 0x0000, "+0"),
        (0x8000_0000, 0x8000, 0x8000, "-0"),
        (0x3F80_0000, 0x3C00, 0x3F80, "1"),
        (0x7F80_0000, 0x7C00, 0x7F80, "+inf"),
        (0xFF80_0000, 0xFC00, 0xFF80, "-inf"),
        (0x7FC0_0000, 0x7E00, 0x7FC0, "quiet NaN (f16: mantissa 0x200 << 13 = 0x400000)"),
        // f16 only.
        (0x3380_0000, 0x0001, nil, "smallest subnormal 2^-24 (f32 exponent 127-24 = 103 = 0x67)"),
        (0xB380_0000, 0x8001, nil, "-2^-24"),
        // 1023 = 1.111111111b x 2^9 (nine fraction bits), so 1023 x 2^-24 = 1.111111111b x 2^-15:
        // exponent 127 - 15 = 112 = 0x70, fraction 0x1FF << 14 = 0x7FC000.
        (0x387F_C000, 0x03FF, nil, "largest subnormal 1023 x 2^-24"),
        (0x3880_0000, 0x0400, nil, "smallest normal 2^-14 (exponent 113)"),
        (0xC000_0000, 0xC000, nil, "-2"),
        (0x3EAA_A000, 0x3555, nil, "0.333251953125 = (1 + 341/1024) / 4"),
        (0x477F_E000, 0x7BFF, nil, "max finite 65504 = (2 - 2^-10) x 2^15 (exponent 142 = 0x8E)"),
        (0x7F80_2000, 0x7C01, nil, "signalling NaN with payload 1 (1 << 13)"),
        (0xFFC0_2000, 0xFE01, nil, "negative quiet NaN with payload 0x201"),
        // bf16 only.
        (0x0001_0000, nil, 0x0001, "smallest subnormal 2^16 x 2^-149 = 2^-133"),
        (0x007F_0000, nil, 0x007F, "largest subnormal 127 x 2^-133"),
        (0x0080_0000, nil, 0x0080, "smallest normal 2^-126"),
        (0xC040_0000, nil, 0xC040, "-3"),
        (0x7F7F_0000, nil, 0x7F7F, "max finite (2 - 2^-7) x 2^127"),
        (0x7F81_0000, nil, 0x7F81, "signalling NaN with payload 1"),
        (0xFFC1_0000, nil, 0xFFC1, "negative quiet NaN with payload 1")
    ]

    /// Reads the `dtype` pattern of every case that has one (15 f16, 13 bf16) from a file and checks its Float32 pattern.
    private func checkHalf(_ dtype: String, _ pattern: (UInt16?, UInt16?) -> UInt16?, count: Int) throws {
        let cases = Self.halfCases.compactMap { c in pattern(c.f16, c.bf16).map { ($0, c.f32, c.what) } }
        try #require(cases.count == count)
        let header = "{\"h\":{\"dtype\":\"\(dtype)\",\"shape\":[\(cases.count)],\"data_offsets\":[0,\(2 * cases.count)]}}"
        let data = cases.flatMap { Bytes.le($0.0) }
        try open(Bytes.safetensors(header, data: data)) { (f) throws in
            let values = try f.require("h").floats()
            try #require(values.count == cases.count)
            for (v, c) in zip(values, cases) {
                #expect(v.bitPattern == c.1, "\(dtype) 0x\(String(c.0, radix: 16)) (\(c.2)): got 0x\(String(v.bitPattern, radix: 16))")
                let expected = Float(bitPattern: c.1)
                #expect(v.isNaN == expected.isNaN && v.sign == expected.sign)
            }
        }
    }

    @Test func f16Conversion() throws {
        try checkHalf("F16", { f16, _ in f16 }, count: 15)
        #expect(Float(bitPattern: 0x3380_0000) == 5.960_464_477_539_062_5e-08)
        #expect(Float(bitPattern: 0x387F_C000) == 6.097_555_160_522_461e-05)
        #expect(Float(bitPattern: 0x477F_E000) == 65504)
    }

    @Test func bf16Conversion() throws {
        try checkHalf("BF16", { _, bf16 in bf16 }, count: 13)
        #expect(Float(bitPattern: 0x7F7F_0000) == 3.389_531_389_251_535_5e38)
    }

    /// All 65,536 f16 patterns agree with the standard library's Float16 (an independent conversion).
    @Test func f16TableMatchesFloat16() {
        for bits in 0...UInt16.max {
            let ours = HalfPrecision.float(f16: bits)
            let std = Float(Float16(bitPattern: bits))
            if std.isNaN {
                #expect(ours.isNaN && ours.sign == std.sign, "0x\(String(bits, radix: 16))")
                // The payload is kept exactly: f16 mantissa << 13.
                #expect(ours.bitPattern & 0x007F_FFFF == UInt32(bits & 0x3FF) << 13)
            } else if ours.bitPattern != std.bitPattern {
                Issue.record("f16 0x\(String(bits, radix: 16)): ours \(ours), Float16 \(std)")
            }
        }
    }

    @Test func bf16Rounding() {
        #expect(HalfPrecision.bf16Bits(1) == 0x3F80)
        // 1 + 2^-8 lies halfway between bf16 0x3F80 and 0x3F81: ties to even keeps 0x3F80.
        #expect(HalfPrecision.bf16Bits(1 + 0x1p-8) == 0x3F80)
        // 1 + 3 x 2^-8 lies halfway between 0x3F81 and 0x3F82: ties to even gives 0x3F82.
        #expect(HalfPrecision.bf16Bits(1 + 3 * 0x1p-8) == 0x3F82)
        // Just above the halfway point rounds up.
        #expect(HalfPrecision.bf16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        // Float32 max (0x7F7FFFFF) is above bf16 max by more than half a step: rounds to +inf 0x7F80.
        #expect(HalfPrecision.bf16Bits(.greatestFiniteMagnitude) == 0x7F80)
        #expect(HalfPrecision.bf16Bits(-0.0) == 0x8000)
        #expect(HalfPrecision.bf16Bits(-.infinity) == 0xFF80)
        let nan = HalfPrecision.float(bf16: HalfPrecision.bf16Bits(.nan))
        #expect(nan.isNaN)
        // A signalling NaN whose payload sits only in the low 16 bits must stay NaN, not become inf.
        #expect(HalfPrecision.float(bf16: HalfPrecision.bf16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
    }
}
