import Foundation
import Testing
@testable import SAEKit

/// Helpers shared by the format tests: crafted byte strings and temporary files.
enum Bytes {
    /// A safetensors file: the 8-byte little-endian length (of `header`, unless `declaredLength`
    /// says otherwise), the header text, then `data`.
    static func safetensors(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        safetensors(headerBytes: Array(header.utf8), data: data, declaredLength: declaredLength)
    }

    static func safetensors(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        le(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + data
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func le(_ v: Float) -> [UInt8] { le(v.bitPattern) }
    static func le(_ v: Double) -> [UInt8] { le(v.bitPattern) }
}

/// Runs the pure safetensors parser on `bytes`.
func parseSafetensors(_ bytes: [UInt8]) -> Result<SafetensorsFile.Parsed, SafetensorsError> {
    bytes.withUnsafeBytes { raw in
        do throws(SafetensorsError) {
            return .success(try SafetensorsFile.parse(raw))
        } catch {
            return .failure(error)
        }
    }
}

/// Runs the pure .npy parser on `bytes`.
func parseNPY(_ bytes: [UInt8], name: String = "a.npy") -> Result<(TensorInfo, Int), NPYFile.NPYError> {
    bytes.withUnsafeBytes { raw in
        do throws(NPYFile.NPYError) {
            return .success(try NPYFile.parse(raw, name: name))
        } catch {
            return .failure(error)
        }
    }
}

/// The one-line error `body` throws, as the CLI prints it, or nil when it does not throw.
func errorLine(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return String(describing: error)
    }
}

/// Writes `bytes` to a temporary file `name`, has `open` read it, and checks the one line it is refused
/// with: "PATH: `message`", a bad-input error. Returns the error for further checks.
@discardableResult
func expectRefusal(
    _ bytes: [UInt8], as name: String, message: String, sourceLocation: SourceLocation = #_sourceLocation,
    open: (String) throws -> Void
) throws -> SAEKitError {
    try TempDir.using { dir in
        let path = dir.write(name, bytes)
        let error = try #require(throws: SAEKitError.self, sourceLocation: sourceLocation) { try open(path) }
        #expect(error.description == "\(path): \(message)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        #expect(error.code == .badInput, sourceLocation: sourceLocation)
        return error
    }
}
