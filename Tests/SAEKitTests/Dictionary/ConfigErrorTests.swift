import Foundation
import Testing
@testable import SAEKit

/// Bad cfg.json and weights: each gives one line naming the file and the field.
struct ConfigErrorTests {
    /// Copies a fixture folder to a temporary folder, lets `edit` change it and loads it: the error
    /// that gives and the copy's path (the copy is removed).
    func loadError(
        _ fixture: String, sourceLocation: SourceLocation = #_sourceLocation, edit: (String) throws -> Void
    ) throws -> (error: SAEKitError, dict: String) {
        try TempDir.using { t in
            let dst = t.file("dict")
            try FileManager.default.copyItem(atPath: Repo.path("fixtures/loaders/" + fixture), toPath: dst)
            try edit(dst)
            return (try #require(message { _ = try DictionaryLoader.load(path: dst) }, sourceLocation: sourceLocation), dst)
        }
    }

    func editConfig(_ dir: String, _ change: (inout [String: Any]) -> Void) throws {
        let p = dir + "/cfg.json"
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as! [String: Any]
        change(&obj)
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: p))
    }

    /// Rewrites the weights with `change` applied to the named tensors.
    func editWeights(_ dir: String, file: String = "sae_weights.safetensors", _ change: (inout [String: ([Int], [Float])]) -> Void) throws {
        let p = dir + "/" + file
        let f = try SafetensorsFile(path: p)
        var tensors: [String: ([Int], [Float])] = [:]
        for n in f.names { tensors[n] = (f.tensor(n)!.shape, try f.tensor(n)!.floats()) }
        change(&tensors)
        var w = SafetensorsWriter()
        for (n, v) in tensors.sorted(by: { $0.key < $1.key }) { w.add(n, shape: v.0, floats: v.1) }
        try w.write(to: p)
    }

    func message(_ body: () throws -> Void) -> SAEKitError? {
        do { try body() } catch let e as SAEKitError { return e } catch { return nil }
        return nil
    }

    @Test func missingKey() throws {
        let (e, d) = try loadError("saelens_standard_f32") { try editConfig($0) { $0.removeValue(forKey: "d_sae") } }
        #expect(e.description == "\(d)/cfg.json: key \"d_sae\": is missing; add it to cfg.json")
        #expect(e.exitCode == 2)
    }

    @Test func dInMismatch() throws {
        let (e, d) = try loadError("saelens_standard_f32") { try editConfig($0) { $0["d_in"] = 12 } }
        #expect(
            e.description
                == "\(d)/cfg.json: key \"d_in\": is 12 but tensor W_enc has shape [16, 48]; the config does not belong to these weights")
    }

    @Test func wrongShape() throws {
        let (e, d) = try loadError("saelens_standard_f32") {
            try editWeights($0) { $0["b_enc"] = ([47], [Float](repeating: 0, count: 47)) }
        }
        #expect(
            e.description
                == "\(d)/sae_weights.safetensors: tensor \"b_enc\": has shape [47], expected [48]; check d_in and d_sae in cfg.json against the weights"
        )
    }

    @Test func nanInWeights() throws {
        let (e, d) = try loadError("saelens_standard_f32") { try editWeights($0) { $0["W_dec"]!.1[100] = .nan } }
        #expect(e.description.hasPrefix("\(d)/sae_weights.safetensors: tensor \"W_dec\": contains NaN at element 100;"))
    }

    @Test func infinityInWeights() throws {
        let (e, d) = try loadError("saelens_jumprelu") { try editWeights($0) { $0["threshold"]!.1[3] = -.infinity } }
        #expect(e.description.hasPrefix("\(d)/sae_weights.safetensors: tensor \"threshold\": contains an infinity at element 3;"))
    }

    @Test(arguments: [Float(1.5), -0.25, .nan])
    func alphaOutsideUnitInterval(_ bad: Float) throws {
        let (e, d) = try loadError("cosine_jumprelu_alpha") { try editWeights($0) { $0["alpha"]!.1[7] = bad } }
        #expect(e.description.hasPrefix("\(d)/sae_weights.safetensors: tensor \"alpha\": feature 7: alpha = "))
        #expect(e.description.contains("is outside [0, 1]"))
        #expect(e.exitCode == 2)
    }

    @Test func cosineWithoutAlpha() throws {
        let (e, d) = try loadError("cosine_relu_scalar_alpha") { try editWeights($0) { $0.removeValue(forKey: "alpha") } }
        #expect(
            e.description
                == "\(d)/sae_weights.safetensors: tensor \"alpha\": missing: a cosine dictionary needs alpha or alpha_logit; add alpha (0-d or [d_sae], values in [0, 1])"
        )
    }

    @Test func unknownArchitecture() throws {
        let (e, d) = try loadError("saelens_standard_f32") { try editConfig($0) { $0["architecture"] = "matryoshka" } }
        #expect(
            e.description
                == "\(d)/cfg.json: key \"architecture\": \"matryoshka\" is not a known SAELens architecture; saex reads standard, topk, jumprelu, gated, batchtopk and cosine"
        )
    }

    @Test func topkWithoutK() throws {
        let (e, d) = try loadError("saelens_topk") { try editConfig($0) { $0.removeValue(forKey: "k") } }
        #expect(e.description == "\(d)/cfg.json: key \"k\": missing for a topk SAE; add the k the SAE was trained with")
    }

    @Test func configNotJSON() throws {
        let (e, d) = try loadError("saelens_standard_f32") {
            try Data("{\"d_in\": 16,".utf8).write(to: URL(fileURLWithPath: $0 + "/cfg.json"))
        }
        #expect(e.description == "\(d)/cfg.json: is not valid JSON; fix or regenerate the file")
    }

    @Test func expectedAverageWithoutScaler() throws {
        let (e, d) = try loadError("saelens_expected_average_checkpoint") {
            try FileManager.default.removeItem(atPath: $0 + "/activation_scaler.json")
        }
        #expect(
            e.description.hasPrefix(
                "\(d)/cfg.json: key \"normalize_activations\": is expected_average_only_in but the folder has no activation_scaler.json;"))
    }

    @Test func notADictionary() throws {
        try TempDir.using { t in
            let e = try #require(message { _ = try DictionaryLoader.load(path: t.path) })
            #expect(e.description.hasPrefix("\(t.path): is not a dictionary folder; expected cfg.json + sae_weights.safetensors"))
            let missing = try #require(message { _ = try DictionaryLoader.load(path: t.path + "/nope") })
            #expect(missing.code == .notFound)
            #expect(missing.exitCode == 2)
        }
    }

    @Test func weightsMissingFromFolder() throws {
        let (e, d) = try loadError("saelens_standard_f32") { try FileManager.default.removeItem(atPath: $0 + "/sae_weights.safetensors") }
        #expect(
            e.description
                == "\(d): has cfg.json but no sae_weights.safetensors (SAELens, cosine) or sae.safetensors (sparsify); copy the weights file into the folder"
        )
    }

    @Test func truncatedWeights() throws {
        let (e, d) = try loadError("saelens_standard_f32") { dir in
            let p = dir + "/sae_weights.safetensors"
            let data = try Data(contentsOf: URL(fileURLWithPath: p))
            try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: p))
        }
        #expect(e.description.hasPrefix("\(d)/sae_weights.safetensors: tensor data ends at byte"))
        #expect(!e.description.contains("\n"))
    }
}
