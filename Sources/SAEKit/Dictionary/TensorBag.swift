import Foundation
import Dispatch
import ZIPFoundation

/// The named tensors of one dictionary file: a safetensors file or the members of a `.npz` archive.
struct TensorBag {
    let path: String
    let tensors: [String: TensorView]

    init(safetensors path: String) throws {
        let f = try SafetensorsFile(file: try MappedFile(path: path, populate: true))
        self.path = path
        var t: [String: TensorView] = [:]
        for n in f.names { t[n] = f.tensor(n) }
        tensors = t
    }

    /// Reads every `.npy` member of a NumPy `.npz` (zip) archive; compressed members are inflated by ZIPFoundation.
    init(npz path: String) throws {
        self.path = path
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                throw SAEKitError(.notFound, path: path, reason: "no such file", remedy: "check the path")
            }
            throw SAEKitError(.badInput, path: path, reason: "is not a readable .npz (zip) archive", remedy: "re-save it with numpy.savez")
        }
        var t: [String: TensorView] = [:]
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            guard entry.uncompressedSize < 8 << 30 else {
                throw SAEKitError(.badInput, path: path, subject: "member \"\(entry.path)\"", reason: "is larger than 8 GiB")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
            } catch {
                throw SAEKitError(
                    .badInput, path: path, subject: "member \"\(entry.path)\"", reason: "cannot be extracted (\(error))",
                    remedy: "re-save the archive with numpy.savez")
            }
            let name = String(entry.path.dropLast(4))
            let member = MappedFile(path: "\(path):\(entry.path)", copying: data)
            t[name] = try NPYFile(file: member, name: name).tensor
        }
        tensors = t
    }

    subscript(_ name: String) -> TensorView? { tensors[name] }

    var names: [String] { tensors.keys.sorted() }

    func require(_ name: String) throws -> TensorView {
        guard let t = tensors[name] else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(name)\"", reason: "missing (the file has: \(names.joined(separator: ", ")))",
                remedy: "check that this is the right kind of dictionary")
        }
        return t
    }

    /// Checks the shape of `t` and reads it as Float32, refusing NaN and infinities.
    func floats(_ t: TensorView, shape: [Int]) throws -> FloatStorage {
        try checkShape(t, shape)
        let s = try t.float32Storage()
        try TensorBag.checkFinite(s, path: path, name: t.name)
        return s
    }

    func checkShape(_ t: TensorView, _ shape: [Int]) throws {
        guard t.shape == shape else {
            throw SAEKitError(
                .badInput, path: path, subject: "tensor \"\(t.name)\"", reason: "has shape \(t.shape), expected \(shape)",
                remedy: "check d_in and d_sae in cfg.json against the weights")
        }
        guard t.dtype.isConvertibleToFloat, !t.dtype.isInteger, t.dtype != .bool else {
            throw SAEKitError(
                .unsupported, path: path, subject: "tensor \"\(t.name)\"", reason: "has dtype \(t.dtype.rawValue), expected a float type",
                remedy: "save weights as F32, F16 or BF16")
        }
    }

    static func checkFinite(_ s: FloatStorage, path: String, name: String) throws {
        let p = s.pointer
        let n = s.count
        // Integer max of |bits| vectorises; any value >= the exponent mask is an infinity or NaN.
        // Blocks run in parallel; the first bad element is then found in the first bad block.
        let block = 1 << 20
        let blocks = (n + block - 1) / block
        var bad = [UInt8](repeating: 0, count: max(1, blocks))
        let bits = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
        bad.withUnsafeMutableBufferPointer { flags in
            let f = flags.baseAddress!
            Parallel.forEach(blocks) { b in
                var m: UInt32 = 0
                var j = b &* block
                let end = min(n, j &+ block)
                while j < end { m = max(m, bits[j] & 0x7FFF_FFFF); j &+= 1 }
                f[b] = m >= 0x7F80_0000 ? 1 : 0
            }
        }
        guard let b = bad.firstIndex(of: 1) else { return }
        let first = (b * block..<min(n, (b + 1) * block)).first { !p[$0].isFinite } ?? b * block
        throw SAEKitError(
            .badInput, path: path, subject: "tensor \"\(name)\"",
            reason: "contains \(p[first].isNaN ? "NaN" : "an infinity") at element \(first)",
            remedy: "the training run diverged or the file is corrupt; use another checkpoint")
    }
}
