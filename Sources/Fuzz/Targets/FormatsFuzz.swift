import Foundation
import SAEKit

/// Target `formats` of `saex-fuzz` (safetensors and .npy): one input, any bytes. Inputs starting
/// with 0x93 (the .npy magic's first byte) go to the .npy parser, all others to the safetensors parser.
///
/// Besides "does not crash", it checks properties that must hold for every input:
/// - a refused input gives a one-line error (no newline, no control character) that names the file;
/// - an accepted file's tensors lie inside the file and read without faults (ASan checks the reads);
/// - an accepted safetensors file, written back with `SafetensorsWriter`, parses to the same tensors
///   and metadata.
enum FormatsFuzz {
    static let path = "fuzz-input"

    static func check(_ bytes: UnsafeRawBufferPointer) {
        let file = MappedFile(path: path, copying: Data(bytes))
        if bytes.first == 0x93 {
            checkNPY(file)
        } else {
            checkSafetensors(file)
        }
    }

    static func checkRefusal(_ error: Error) {
        let line = String(describing: error)
        precondition(!line.unicodeScalars.contains { $0.properties.generalCategory == .control }, "control character in error: \(line)")
        precondition(line.hasPrefix(path + ": "), "error does not name the file: \(line)")
    }

    static func checkNPY(_ file: MappedFile) {
        let npy: NPYFile
        do {
            npy = try NPYFile(file: file, name: "x.npy")
        } catch {
            checkRefusal(error)
            return
        }
        read(npy.tensor, fileSize: file.count)
    }

    static func checkSafetensors(_ file: MappedFile) {
        let st: SafetensorsFile
        do {
            st = try SafetensorsFile(file: file)
        } catch {
            checkRefusal(error)
            return
        }
        var writer = SafetensorsWriter()
        writer.metadata = st.metadata
        for info in st.tensors {
            guard let view = st.tensor(info.name) else { preconditionFailure("listed tensor \(info.name) has no view") }
            read(view, fileSize: file.count)
            writer.add(info.name, dtype: info.dtype, shape: info.shape, bytes: Data(view.rawBytes))
        }
        // Round trip through the writer.
        let again: SafetensorsFile
        do {
            let out = try writer.serialized()
            precondition(out.count >= 8)
            let n = out.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            precondition((8 + n) % 8 == 0, "writer header not padded")
            again = try SafetensorsFile(file: MappedFile(path: path, copying: out))
        } catch {
            preconditionFailure("writer output of an accepted file was refused: \(error)")
        }
        precondition(again.metadata == st.metadata, "metadata changed in the round trip")
        precondition(Set(again.names) == Set(st.names) && again.names.count == st.names.count, "names changed in the round trip")
        for info in st.tensors {
            guard let a = again.tensor(info.name), let b = st.tensor(info.name) else { preconditionFailure("lost \(info.name)") }
            precondition(a.dtype == b.dtype && a.shape == b.shape, "entry changed in the round trip: \(info.name)")
            precondition(a.rawBytes.elementsEqual(b.rawBytes), "data changed in the round trip: \(info.name)")
        }
    }

    /// Reads every element the way the loaders do; any out-of-bounds read is an ASan report.
    static func read(_ view: TensorView, fileSize: Int) {
        precondition(view.absoluteOffset >= 0 && view.absoluteOffset + view.byteCount <= fileSize, "tensor outside the file")
        if let width = view.dtype.byteSize {
            precondition(view.elementCount * width == view.byteCount, "element count and byte count disagree")
        }
        if view.dtype.isConvertibleToFloat {
            do {
                let f = try view.floats()
                precondition(f.count == view.elementCount)
                let s = try view.float32Storage()
                precondition(s.count == view.elementCount)
                if view.elementCount == 1 { _ = try view.scalar() }
            } catch {
                preconditionFailure("convertible tensor failed to read: \(error)")
            }
        } else {
            do {
                _ = try view.floats()
                preconditionFailure("sub-byte or complex tensor read as floats")
            } catch {
                checkRefusal(error)
            }
        }
        if view.dtype.isInteger || view.dtype == .bool {
            do {
                let v = try view.int64s()
                precondition(v.count == view.elementCount)
            } catch {
                // Only a U64 value above Int64.max may be refused.
                precondition(view.dtype == .u64, "integer tensor failed to read: \(error)")
                checkRefusal(error)
            }
        }
    }
}
