// Headless benchmark of the explorer's keystroke-to-frame time (update + effects + render) over a
// synthetic source of 131,072 features, and of open-to-first-frame. Not a test: prints figures.
//   saex-bench ui [--features N] [--keys N]
//   saex-bench ui --interactive [--hostile]   (runs the real explorer on synthetic data)
//   saex-bench ui --cache fixtures/demo/demo.saexcache   (a real cache: open includes mapping the
//       cache and reading its analysis)
//   saex-bench ui --pairs [--cache PATH | --features N]   (the pairs screen and compare: first
//       build of the pairs table, a ranking switch, keystrokes on the pairs screen, opening a pair)
//   --json: print one JSON object of the figures instead of the text (bench/run_all.sh)
import ExplorerUI
import Foundation
import SAEKit
import SAEKitTestSupport

/// `saex-bench ui ...` (bench/ui/run.sh, bench/ui_tmux_check.sh).
enum UIBench {
    static func run(_ args: [String]) throws {
        func value(_ name: String, _ fallback: Int) -> Int {
            guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
            return v
        }
        let clock = ContinuousClock()
        let openStart = clock.now
        let source: any FeatureSource
        if let i = args.firstIndex(of: "--cache"), i + 1 < args.count {
            source = try CacheFeatureSource(path: args[i + 1])
        } else {
            source = SyntheticFeatureSource(featureCount: value("--features", 131_072), hostileTokens: args.contains("--hostile"))
        }
        let features = source.dictionaries[0].featureCount
        if args.contains("--interactive") {
            guard isInteractiveTerminal() else {
                FileHandle.standardError.write(Data("saex-bench ui --interactive needs a terminal\n".utf8))
                exit(2)
            }
            let book = args.contains("--read-only") ? nil : MemoryLabelBook()
            try runExplorer(
                source: source, labels: book,
                options: ExplorerOptions(title: "saex (synthetic)", onExport: { "export: nothing to do in the demo" }))
            exit(0)
        }
        let keyCount = value("--keys", 3000)
        if args.contains("--pairs") {
            try pairs(source: source, openStart: openStart, keys: keyCount, json: args.contains("--json"))
            return
        }
        let session = ExplorerSession(source: source, labels: MemoryLabelBook(), size: TerminalSize(width: 120, height: 40))
        _ = session.frame()
        let open = clock.now - openStart

        // A mix of navigation, paging, opening and closing the detail, window changes and labels.
        let script: [Key] = [
            .char("j"), .char("j"), .pageDown, .char("k"), .enter, .char("w"), .char("]"), .char("j"), .escape,
            .char("G"), .char("g"), .char("r"), .char("1"), .char("u"), .pageUp, .char("c"), .char("]"), .escape
        ]
        var samples: [Duration] = []
        var byKey: [String: [Duration]] = [:]
        var cpu: [Double] = []  // thread CPU milliseconds: unaffected by other processes on the machine
        samples.reserveCapacity(keyCount)
        for i in 0..<keyCount {
            let key = script[i % script.count]
            let t0 = clock.now
            let c0 = threadCPUMilliseconds()
            session.handle(key)
            session.runEffects()
            _ = session.frame()
            samples.append(clock.now - t0)
            cpu.append(threadCPUMilliseconds() - c0)
            byKey["\(key) on \(i % script.count)", default: []].append(samples[samples.count - 1])
        }
        // One-off costs measured separately: the first sort reads every feature's stats once.
        let sortStart = clock.now
        session.press(.char("s"))
        _ = session.frame()
        let firstSort = clock.now - sortStart
        let sortAgain = clock.now
        session.press(.char("S"))
        _ = session.frame()
        let secondSort = clock.now - sortAgain
        var sortedSamples: [Duration] = []
        for i in 0..<min(keyCount, 1000) {
            let t0 = clock.now
            session.press(i % 7 == 0 ? .pageDown : .char("j"))
            _ = session.frame()
            sortedSamples.append(clock.now - t0)
        }

        func ms(_ d: Duration) -> String {
            String(format: "%.3f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
        }
        func pct(_ xs: [Duration], _ p: Double) -> Duration {
            let s = xs.sorted()
            return s[min(s.count - 1, Int(Double(s.count - 1) * p))]
        }
        if args.contains("--json") {
            func msValue(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000 }
            let sortedCPU = cpu.sorted()
            let figures: [String: Any] = [
                "what": "ui", "features": features, "keys": keyCount, "open_to_first_frame_ms": msValue(open),
                "key_p50_ms": msValue(pct(samples, 0.5)), "key_p99_ms": msValue(pct(samples, 0.99)),
                "key_max_ms": msValue(pct(samples, 1.0)),
                "key_cpu_p50_ms": sortedCPU[sortedCPU.count / 2], "key_cpu_p99_ms": sortedCPU[Int(Double(sortedCPU.count - 1) * 0.99)],
                "key_cpu_max_ms": sortedCPU[sortedCPU.count - 1], "first_sort_ms": msValue(firstSort), "resort_ms": msValue(secondSort),
                "sorted_key_p99_ms": msValue(pct(sortedSamples, 0.99))
            ]
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("features:                 \(features)")
        print("open-to-first-frame:      \(ms(open))")
        print("keystrokes measured:      \(keyCount) (120x40, mixed navigation/detail/labels/compare)")
        print("keystroke-to-frame p50:   \(ms(pct(samples, 0.5)))")
        print("keystroke-to-frame p99:   \(ms(pct(samples, 0.99)))")
        print("keystroke-to-frame max:   \(ms(pct(samples, 1.0)))")
        let sortedCPU = cpu.sorted()
        print(
            String(
                format: "keystroke-to-frame CPU p50/p99/max: %.3f / %.3f / %.3f ms (thread CPU time)",
                sortedCPU[sortedCPU.count / 2], sortedCPU[Int(Double(sortedCPU.count - 1) * 0.99)], sortedCPU[sortedCPU.count - 1]))
        print("slowest script steps (p99 per step: key, position in the script):")
        for (name, xs) in byKey.sorted(by: { pct($0.value, 0.99) > pct($1.value, 0.99) }).prefix(5) {
            print("  \(name): p99 \(ms(pct(xs, 0.99))), p50 \(ms(pct(xs, 0.5)))")
        }
        print("first sort (reads all stats once): \(ms(firstSort))")
        print("re-sort (cached columns):  \(ms(secondSort))")
        print("sorted list keystroke p99: \(ms(pct(sortedSamples, 0.99)))")
    }
}

extension UIBench {
    /// The pairs screen on `source`'s first two dictionaries: the first build of the pairs table
    /// (P), a rebuild under another ranking (m), keystrokes on the screen (moves, sorts, filters),
    /// and opening a pair in compare (Enter: both features' contexts, matches and shared evidence).
    static func pairs(source: any FeatureSource, openStart: ContinuousClock.Instant, keys: Int, json: Bool) throws {
        let clock = ContinuousClock()
        let session = ExplorerSession(source: source, labels: MemoryLabelBook(), size: TerminalSize(width: 120, height: 40))
        _ = session.frame()
        let open = clock.now - openStart
        func timed(_ key: Key) -> Duration {
            let t0 = clock.now
            session.press(key)
            _ = session.frame()
            return clock.now - t0
        }
        let firstBuild = timed(.char("P"))
        let rebuild = timed(.char("m"))
        let script: [Key] = [
            .char("j"), .pageDown, .char("s"), .char("j"), .char("f"), .char("j"), .char("S"), .char("F"), .pageDown,
            .char("g"), .char("k")
        ]
        var samples: [Duration] = []
        var openPair: [Duration] = []
        for i in 0..<keys {
            if i % 50 == 49 {
                // Open the selected pair in compare and come back.
                openPair.append(timed(.enter))
                samples.append(timed(.escape))
                continue
            }
            samples.append(timed(script[i % script.count]))
        }
        func msValue(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000 }
        func pct(_ xs: [Duration], _ p: Double) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? .nan : msValue(s[min(s.count - 1, Int(Double(s.count - 1) * p))])
        }
        let a = source.dictionaries[0].featureCount, b = source.dictionaries.count > 1 ? source.dictionaries[1].featureCount : 0
        if json {
            let figures: [String: Any] = [
                "what": "ui-pairs", "features_a": a, "features_b": b, "keys": keys, "open_to_first_frame_ms": msValue(open),
                "pairs_first_build_ms": msValue(firstBuild), "pairs_rebuild_ms": msValue(rebuild),
                "key_p50_ms": pct(samples, 0.5), "key_p99_ms": pct(samples, 0.99), "key_max_ms": pct(samples, 1),
                "open_pair_p50_ms": pct(openPair, 0.5), "open_pair_p99_ms": pct(openPair, 0.99), "open_pair_count": openPair.count
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("features:                  \(a) x \(b)")
        print(String(format: "open-to-first-frame:       %.3f ms", msValue(open)))
        print(String(format: "pairs table, first build:  %.3f ms (P)", msValue(firstBuild)))
        print(String(format: "pairs table, new ranking:  %.3f ms (m)", msValue(rebuild)))
        print(
            String(
                format: "pairs keystroke p50 / p99 / max: %.3f / %.3f / %.3f ms (%d keys)", pct(samples, 0.5), pct(samples, 0.99),
                pct(samples, 1), samples.count))
        print(
            String(
                format: "open a pair in compare p50 / p99: %.3f / %.3f ms (%d opens)", pct(openPair, 0.5), pct(openPair, 0.99),
                openPair.count))
    }
}

/// CPU time of the calling thread, in milliseconds.
func threadCPUMilliseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}
