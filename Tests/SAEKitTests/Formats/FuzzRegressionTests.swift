import Foundation
import Testing
@testable import SAEKit

private let crashes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

/// Inputs the fuzzer (scripts/fuzz.sh formats) turned up, kept byte for byte, with the property that failed.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// crash-df941be9…: a valid file whose tensor "empty" is C64 with shape [0, 4]. `floats()`
    /// returned [] because the element count was checked before the dtype; every other C64 tensor
    /// is refused, so a loader could take an empty complex tensor for a float one.
    @Test func emptyComplexTensorIsRefusedAsFloats() throws {
        let path = crashes.appendingPathComponent("crash-df941be9bce178a8df578a4d52a666473dc85e27").path
        let f = try SafetensorsFile(path: path)
        let empty = try f.require("empty")
        #expect(empty.dtype == .c64 && empty.shape == [0, 4])
        let e = try #require(throws: SAEKitError.self) { try empty.floats() }
        #expect(e.description == "\(path): tensor \"empty\": dtype C64 cannot be read as Float32; convert the tensor to F32, F16 or BF16")
        #expect(throws: SAEKitError.self) { try empty.float32Storage() }
    }

    /// The same property reduced by hand, for every type that cannot be converted.
    @Test(arguments: DType.allCases.filter { !$0.isConvertibleToFloat })
    func emptyTensorOfUnconvertibleTypeIsRefused(_ dtype: DType) throws {
        let bytes = Bytes.safetensors("{\"t\":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[0],\"data_offsets\":[0,0]}}")
        let f = try SafetensorsFile(file: MappedFile(path: "t.safetensors", copying: Data(bytes)))
        #expect(throws: SAEKitError.self) { try f.require("t").floats() }
    }
}
