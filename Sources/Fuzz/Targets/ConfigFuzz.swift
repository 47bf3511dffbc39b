import Foundation
import SAEKit

/// Target `config` of `saex-fuzz`: cfg.json parsing and dictionary folder detection and
/// loading (SAELens v5/v6, cosine, sparsify) through the public `DictionaryLoader.load(path:)`.
///
/// Input layout: byte 0 chooses the folder's shape, the rest is split at `\0PART\0` into cfg.json,
/// the weights file and activation_scaler.json, which are written into a folder on /dev/shm.
/// - bits 0-1: the weights file's name: 0 `sae_weights.safetensors` (SAELens, cosine),
///   1 `sae.safetensors` (sparsify), 2 no weights file, 3 both names (same bytes);
/// - bit 2: write the third part as `activation_scaler.json`;
/// - bit 3: give the loader the path of cfg.json instead of the folder;
/// - bit 4: leave cfg.json out.
enum ConfigFuzz {
    static let folder = ScratchFolder("config")

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let mode = bytes.first else { return "empty input" }
        let parts = Fuzz.split(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), maxParts: 3)
        let cfg = parts[0]
        let weights = parts.count > 1 ? parts[1] : Data()
        let scaler = parts.count > 2 ? parts[2] : nil

        let f = folder
        f.clear()
        if mode & 16 == 0 { f.write("cfg.json", cfg) }
        switch mode & 3 {
        case 0: f.write("sae_weights.safetensors", weights)
        case 1: f.write("sae.safetensors", weights)
        case 2: break
        default:
            f.write("sae_weights.safetensors", weights)
            f.write("sae.safetensors", weights)
        }
        if mode & 4 != 0, let scaler { f.write("activation_scaler.json", scaler) }
        let target = mode & 8 != 0 ? f.file("cfg.json") : f.path

        let d: SAEDictionary
        do {
            d = try DictionaryLoader.load(path: target)
        } catch {
            return Fuzz.checkRefusal(error, naming: f.path)
        }
        precondition(mode & 16 == 0 && mode & 3 != 2, "loaded a dictionary from an incomplete folder")
        checkDictionary(d, sparsifyOnly: mode & 3 == 1)
        precondition(d.metadata.path == f.path || d.metadata.path == target, "metadata names another path: \(d.metadata.path)")
        return "accepted \(d.metadata.format) \(d.metadata.architecture) \(d.dIn)x\(d.dSAE) \(d.rule.description)"
    }

    /// Shapes agree with d_in and d_sae, every weight is finite, the rule's parameters fit, and
    /// encoding one row gives d_sae non-negative activations (at most k non-zero for TopK).
    static func checkDictionary(_ d: SAEDictionary, sparsifyOnly: Bool) {
        let dIn = d.dIn, dSAE = d.dSAE
        precondition(dIn > 0 && dSAE > 0, "empty dimensions \(dIn) x \(dSAE)")
        let (prod, overflow) = dIn.multipliedReportingOverflow(by: dSAE)
        precondition(!overflow, "d_in * d_sae overflows")
        precondition(d.wEnc.count == prod && d.wDec.count == prod, "weight sizes disagree with \(dIn) x \(dSAE)")
        precondition(d.bDec.count == dIn, "b_dec has \(d.bDec.count) values, d_in is \(dIn)")
        var vectors = [d.bEnc]
        switch d.rule {
        case .topK(let k): precondition(k > 0, "TopK with k = \(k)")
        case .jumpReLU(let thresholds): vectors.append(thresholds)
        case .gated(let path): vectors += [path.bGate, path.rMag]
        case .batchTopKThreshold(let t): precondition(t.isFinite, "non-finite BatchTopK threshold")
        case .relu: break
        }
        for v in vectors { precondition(v.count == dSAE, "a per-feature vector has \(v.count) values, d_sae is \(dSAE)") }
        func finite(_ p: UnsafeBufferPointer<Float>) -> Bool { p.allSatisfy(\.isFinite) }
        precondition(finite(d.wEnc.buffer) && finite(d.wDec.buffer), "non-finite weight accepted")
        for v in vectors + [d.bDec] { precondition(v.allSatisfy(\.isFinite), "non-finite vector accepted") }
        if case .cosine(let alpha) = d.score {
            precondition(alpha.values.allSatisfy { $0 >= 0 && $0 <= 1 }, "alpha outside [0, 1]")
            if case .perFeature(let v) = alpha { precondition(v.count == dSAE, "alpha has \(v.count) values") }
        }
        if sparsifyOnly { precondition(d.metadata.format == .sparsify, "sae.safetensors alone loaded as \(d.metadata.format)") }
        precondition(!d.fingerprint.isEmpty, "empty fingerprint")

        let encoder = FeatureEncoder(d)
        precondition(encoder.encoderNorms.count == dSAE && encoder.decoderNorms.count == dSAE)
        let acts = encoder.encode([Float](repeating: 1, count: dIn), rows: 1)
        precondition(acts.count == dSAE)
        precondition(!acts.contains { $0 < 0 }, "negative activation")
        if case .topK(let k) = d.rule {
            precondition(acts.filter { $0 != 0 }.count <= k, "more than k active features")
        }
    }
}
