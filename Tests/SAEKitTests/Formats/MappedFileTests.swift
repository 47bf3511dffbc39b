#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import Testing
@testable import SAEKit

@Suite("Mapping files")
struct MappedFileTests {
    @Test func missingFile() throws {
        try TempDir.using { dir in
            let path = dir.path + "/nope.safetensors"
            let e = try #require(throws: SAEKitError.self) { try MappedFile(path: path) }
            #expect(e.description == "\(path): no such file; check the path")
            #expect(e.code == .notFound && e.exitCode == 2)
            // The format readers pass the same line through.
            #expect(errorLine { _ = try SafetensorsFile(path: path) } == e.description)
            #expect(errorLine { _ = try NPYFile(path: path) } == e.description)
        }
    }

    @Test func folder() throws {
        try TempDir.using { dir in
            let e = try #require(throws: SAEKitError.self) { try MappedFile(path: dir.path) }
            #expect(e.description == "\(dir.path): is a folder, expected a file; give the path of the file inside it")
            #expect(e.code == .badInput)
        }
    }

    @Test func notARegularFile() throws {
        let e = try #require(throws: SAEKitError.self) { try MappedFile(path: "/dev/null") }
        #expect(e.description == "/dev/null: is not a regular file; give the path of a regular file")
    }

    @Test func unreadableFile() throws {
        try TempDir.using { dir in
            let path = dir.write("secret.safetensors", Array(try SafetensorsWriter().serialized()))
            #expect(chmod(path, 0) == 0)
            defer { chmod(path, 0o644) }
            // Root (CAP_DAC_OVERRIDE) can open a mode-000 file, and these tests may run as root (CI
            // containers do). Probe with open(2) itself rather than guessing from the user id.
            let probe = open(path, O_RDONLY)
            if probe >= 0 {
                close(probe)
                // Privileged: the permission bits do not block reading, so the file maps and parses.
                let f = try MappedFile(path: path)
                #expect(f.count == 16)
                #expect(try SafetensorsFile(path: path).tensors.isEmpty)
            } else {
                let e = try #require(throws: SAEKitError.self) { try MappedFile(path: path) }
                #expect(e.description == "\(path): permission denied; make the file readable (chmod u+r)")
            }
            // The message for EACCES itself, whoever runs the tests.
            #expect(
                MappedFile.openError(path: "p", errno: EACCES).description == "p: permission denied; make the file readable (chmod u+r)")
            #expect(MappedFile.openError(path: "p", errno: EIO).description == "p: cannot open the file (errno \(EIO))")
        }
    }

    @Test func emptyFile() throws {
        try TempDir.using { dir in
            let path = dir.write("empty.safetensors", [])
            let f = try MappedFile(path: path)
            #expect(f.count == 0 && f.base == nil && f.bytes.isEmpty)
            #expect(
                errorLine { _ = try SafetensorsFile(path: path) }
                    == "\(path): not a safetensors file: 0 bytes, shorter than the 8-byte header length; re-export or re-download the file")
            #expect(
                errorLine { _ = try NPYFile(path: path) }
                    == "\(path): not a .npy file (missing the \\x93NUMPY magic); re-save it with numpy.save")
        }
    }

    @Test func heapCopyBehavesLikeAMap() throws {
        let bytes: [UInt8] = [1, 2, 3]
        let f = MappedFile(path: "member.npy", copying: Data(bytes))
        #expect(Array(f.bytes) == bytes)
        #expect(Int(bitPattern: f.base) % 16 == 0)
        let empty = MappedFile(path: "e", copying: Data())
        #expect(empty.base == nil && empty.count == 0)
    }
}
