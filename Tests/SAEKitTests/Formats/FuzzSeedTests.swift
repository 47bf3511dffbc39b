import Foundation
import Testing
@testable import SAEKit

private let seeds = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fuzz/seeds/formats")

/// The fuzzer's seed corpus must stay valid: a seed the parsers refuse would start the fuzzer from
/// nothing. (Crash inputs the fuzzer finds become cases in SafetensorsErrorTests/NPYTests.)
@Suite("Fuzz seeds")
struct FuzzSeedTests {
    @Test func everySeedParses() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted()
        #expect(names.count >= 8)
        for name in names {
            let path = seeds.appendingPathComponent(name).path
            if name.hasSuffix(".npy") {
                let t = try NPYFile(path: path).tensor
                #expect(try t.floats().count == t.elementCount)
            } else {
                let f = try SafetensorsFile(path: path)
                for t in f.tensors where t.dtype.isConvertibleToFloat {
                    #expect(try f.require(t.name).floats().count == t.elementCount)
                }
            }
        }
    }
}
