// saex-bench labels-append PATH COUNT [DISTINCT]
//     Times COUNT LabelStore.setLabel calls over DISTINCT features (default 500) and prints per-call
//     latency statistics in microseconds, then times compact() (the cost a snapshot-per-change design
//     would pay on every change). docs/LABELS.md records the figures.
import Foundation
import SAEKit

enum LabelsBench {
    static func run(_ args: [String]) throws {
        guard args.count >= 4, let count = Int(args[3]), count > 0 else {
            FileHandle.standardError.write(Data("usage: saex-bench labels-append PATH COUNT [DISTINCT]\n".utf8))
            exit(2)
        }
        let distinct = args.count > 4 ? Int(args[4]) ?? 500 : 500
        let store = try LabelStore(path: args[2])
        var times: [Double] = []
        for i in 0..<count {
            let label = FeatureLabel(
                verdict: .interpretable, concept: "concept \(i)", notes: "a typical note of some length, 🧪", rating: .yes, author: "bench")
            let t0 = DispatchTime.now().uptimeNanoseconds
            try store.setLabel(label, for: FeatureKey(fingerprint: "fp-bench", feature: i % max(1, distinct)))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        times.sort()
        let mean = times.reduce(0, +) / Double(times.count)
        print(
            String(
                format: "setLabel x%d: mean %.0f us, median %.0f us, p99 %.0f us, max %.0f us", count, mean,
                times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)], times[times.count - 1]))
        var compactions: [Double] = []
        for _ in 0..<20 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try store.compact()
            compactions.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        compactions.sort()
        print(
            String(format: "compact() with %d labels: median %.0f us, max %.0f us", store.allLabels.count, compactions[10], compactions[19])
        )
    }
}
