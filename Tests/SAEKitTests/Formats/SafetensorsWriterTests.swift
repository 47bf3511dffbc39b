import Foundation
import Testing
@testable import SAEKit

@Suite("Safetensors writing")
struct SafetensorsWriterTests {
    @Test func roundTripWithPaddedHeaderAndMetadata() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var w = SafetensorsWriter()
        w.metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n é ✓", "empty": ""]
        w.add("W_enc", shape: [2, 3], floats: [1, -2, 0.5, 0, -0.0, 3.25])
        w.add("t", shape: [], doubles: [0.125])
        w.add("ids", shape: [3], int64s: [-1, 0, .max])
        w.add("i32", shape: [2], int32s: [.min, 7])
        w.add("u32", shape: [1], uint32s: [.max])
        w.add("u16", shape: [2], uint16s: [1, .max])
        w.add("u8", shape: [2], uint8s: [0, 255])
        w.add("half", shape: [3], floatsAsF16: [1, 65504, 0x1p-24])
        w.add("none", shape: [0, 5], floats: [])
        w.add("a/b.c", dtype: .bf16, shape: [1], bytes: Data([0x80, 0x3F]))
        let path = dir.path + "/out.safetensors"
        try w.write(to: path)

        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw == (try w.serialized()))
        let n = Int(raw.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        #expect((8 + n) % 8 == 0)
        #expect(raw[8] == UInt8(ascii: "{"))

        let f = try SafetensorsFile(path: path)
        #expect(f.dataStart == 8 + n)
        #expect(f.metadata == w.metadata)
        // Data follows the order the tensors were added in.
        #expect(f.names == ["W_enc", "t", "ids", "i32", "u32", "u16", "u8", "half", "none", "a/b.c"])
        #expect(try f.require("W_enc").floats() == [1, -2, 0.5, 0, -0.0, 3.25])
        #expect(try f.require("W_enc").shape == [2, 3])
        #expect(try f.require("t").scalar() == 0.125)
        #expect(try f.require("t").shape == [])
        #expect(try f.require("ids").int64s() == [-1, 0, .max])
        #expect(try f.require("i32").int64s() == [-2_147_483_648, 7])
        #expect(try f.require("u32").int64s() == [4_294_967_295])
        #expect(try f.require("u16").int64s() == [1, 65535])
        #expect(try f.require("u8").int64s() == [0, 255])
        #expect(try f.require("half").floats() == [1, 65504, 0x1p-24])
        #expect(try f.require("none").elementCount == 0)
        #expect(try f.require("a/b.c").floats() == [1])
        // Nothing but the file is left in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.safetensors"])
    }

    @Test func emptyWriterGivesTheReferenceBytes() throws {
        // The reference writer's output for no tensors and no metadata: length 8, "{}" and six spaces.
        let out = try SafetensorsWriter().serialized()
        #expect(Array(out) == [8, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20])
    }

    @Test func rewriteReplacesTheFileAndKeepsALiveMapIntact() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path + "/w.safetensors"
        var old = SafetensorsWriter()
        old.add("x", shape: [3], floats: [1, 2, 3])
        try old.write(to: path)
        let oldFile = try SafetensorsFile(path: path)
        let oldView = try oldFile.require("x")
        var oldInode = stat()
        #expect(stat(path, &oldInode) == 0)

        var new = SafetensorsWriter()
        new.add("x", shape: [4], floats: [9, 8, 7, 6])
        new.add("y", shape: [1], floats: [5])
        try new.write(to: path)

        // The reader holding the old map still sees the old bytes: the file was replaced, not overwritten.
        #expect(try oldView.floats() == [1, 2, 3])
        #expect(oldFile.names == ["x"])
        var newInode = stat()
        #expect(stat(path, &newInode) == 0)
        #expect(newInode.st_ino != oldInode.st_ino)
        let reread = try SafetensorsFile(path: path)
        #expect(try reread.require("x").floats() == [9, 8, 7, 6])
        #expect(try reread.require("y").floats() == [5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])
    }

    @Test func writeIntoAMissingFolderFailsWithOneLine() throws {
        let path = "/nonexistent-saex-folder/x.safetensors"
        var w = SafetensorsWriter()
        w.add("x", shape: [1], floats: [1])
        let e = try #require(throws: SAEKitError.self) { try w.write(to: path) }
        #expect(e.description == "\(path): its folder /nonexistent-saex-folder does not exist; create the folder first")
        #expect(e.exitCode == 2)
    }
}
