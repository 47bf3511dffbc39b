import Foundation
import Testing
@testable import SAEKit

/// Statistics of the demo dictionaries on the held-out sample against fixtures/reference/
/// (float64 numpy, definitions in fixtures/README.md). Skipped when the demo fixture is absent;
/// SAEX_DEMO_ROOT may point at another checkout that has it.
struct DemoReferenceTests {
    static let root = ProcessInfo.processInfo.environment["SAEX_DEMO_ROOT"] ?? Repo.root
    static let available =
        FileManager.default.fileExists(atPath: root + "/fixtures/reference/standard_stats.safetensors")
        && FileManager.default.fileExists(atPath: root + "/fixtures/demo/activations.safetensors")

    @Test(.enabled(if: available), arguments: ["standard", "cosine_global", "cosine_perfeature"])
    func statisticsMatchReference(_ name: String) throws {
        let dict = try DictionaryLoader.load(path: Self.root + "/fixtures/demo/" + name)
        let sample = try SafetensorsFile(path: Self.root + "/fixtures/demo/activations.safetensors")
        let acts = try sample.require("activations")
        let dIn = acts.shape[2]
        let all = try acts.floats()
        let tokens = try sample.require("tokens").int64s()
        // Real tokens in row-major (sequence, position) order.
        var x: [Float] = []
        var norms: [Float] = []
        for (r, t) in tokens.enumerated() where t >= 0 {
            let row = Array(all[(r * dIn)..<((r + 1) * dIn)])
            x += row
            norms.append(Float(row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()))
        }
        let n = norms.count
        #expect(n == 5027)
        let f = FeatureEncoder(dict).encode(x, rows: n)
        let columns = SparseColumns(
            rowCount: n,
            columns: (0..<dict.dSAE).map { i in
                (0..<n).compactMap { t in f[t * dict.dSAE + i] > 0 ? (row: UInt32(t), value: f[t * dict.dSAE + i]) : nil }
            })
        let stats = NormStatisticsCalculator.compute(columns: columns, norms: NormContext(norms: norms))

        let ref = try SafetensorsFile(path: Self.root + "/fixtures/reference/\(name)_stats.safetensors")
        func column(_ key: String) throws -> [Double] { try Float32Ties.float64s(ref.require(key)) }
        let checks: [(String, (NormStatistics) -> Float?)] = [
            ("norm_pearson", \.normPearson), ("norm_spearman", \.normSpearman),
            ("norm_pearson_active", \.normPearsonActive),
            ("density", { Float($0.density) }), ("max_activation", { $0.maxActivation }),
            ("mean_activation", { $0.meanActivation }), ("top_mass_1pct", \.topNormMass)
        ]
        // Swift encodes in float32, the reference in float64: every statistic but the active-token
        // Spearman agrees to 1e-4 on every feature.
        for (key, get) in checks {
            let want = try column(key)
            var bad: [Int] = []
            for i in 0..<dict.dSAE {
                let got = get(stats[i]).map(Double.init)
                let ok: Bool
                if want[i].isNaN {
                    ok = got == nil
                } else if let g = got {
                    ok = abs(g - want[i]) <= 1e-4 * max(1, abs(want[i]))
                } else {
                    ok = false
                }
                if !ok { bad.append(i) }
            }
            #expect(bad.isEmpty, "\(name) \(key): \(bad.count) of \(dict.dSAE) features differ by more than 1e-4, e.g. \(bad.prefix(10))")
        }
        // The active-token Spearman of features firing on many near-equal values (the 128 [CLS]
        // tokens) moves by up to ~1e-2 when two activations that agree to ~1e-6 swap order. So,
        // exactly: Swift's number is the Spearman of its own float32 activations and norms, and the
        // reference's lies in the range those allow given their float32 ties
        // (Float32Ties.spearmanRange: one point for a feature without ties).
        let want = try column("norm_spearman_active")
        var nanMismatch: [Int] = [], inconsistent: [Int] = [], outside: [Int] = []
        for i in 0..<dict.dSAE {
            let got = stats[i].normSpearmanActive
            if want[i].isNaN || got == nil {
                if want[i].isNaN != (got == nil) { nanMismatch.append(i) }
                continue
            }
            let values = columns.range(i).map { Double(columns.values[$0]) }
            let activeNorms = columns.range(i).map { Double(norms[Int(columns.rows[$0])]) }
            if let own = Float32Ties.spearman(values, activeNorms), abs(own - Double(got!)) <= 1e-6 {} else { inconsistent.append(i) }
            let allowed = Float32Ties.spearmanRange(values: values, norms: activeNorms)
            if !(allowed.lowerBound - 1e-9...allowed.upperBound + 1e-9).contains(want[i]) { outside.append(i) }
        }
        #expect(nanMismatch.isEmpty, "\(name) norm_spearman_active: unknown on one side only for features \(nanMismatch.prefix(10))")
        #expect(
            inconsistent.isEmpty,
            "\(name) norm_spearman_active: not the Spearman of Swift's own activations for features \(inconsistent.prefix(10))")
        #expect(
            outside.isEmpty,
            "\(name) norm_spearman_active: the reference is outside what float32 ties allow for features \(outside.prefix(10))")
    }
}
