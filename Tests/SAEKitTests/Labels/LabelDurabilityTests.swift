#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import Testing
@testable import SAEKit

/// Finds the `saex-label-writer-testhelper` executable that `swift build` puts beside the test
/// bundle. `SAEX_LABEL_WRITER` overrides the search.
enum WriterHelper {
    static let name = "saex-label-writer-testhelper"

    static func locate() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["SAEX_LABEL_WRITER"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        var starts: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { starts.append(exe) }
        if let url = Bundle.main.executableURL { starts.append(url.path) }
        starts.append(Bundle.main.bundlePath)
        if let first = CommandLine.arguments.first { starts.append(first) }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { starts.append(bundle.bundlePath) }
        for start in starts {
            var dir = (start as NSString).deletingLastPathComponent
            for _ in 0..<4 {  // on macOS the test binary sits in X.xctest/Contents/MacOS
                let candidate = dir + "/" + name
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
        return nil
    }
}

struct HelperChange: Codable {
    var fingerprint: String
    var feature: Int
    var label: FeatureLabel?
}

@Suite struct LabelDurabilityTests {
    /// A child writes labels in a loop and acknowledges each `setLabel` on stdout; it is killed with
    /// SIGKILL at random moments (during open, appends, fsync, compaction). After every kill the
    /// file must load, and it must hold exactly the acknowledged changes, plus at most the one
    /// change that was in flight (written but not yet acknowledged).
    @Test func sigkillAtRandomMomentsNeverLosesAnAcknowledgedLabel() throws {
        guard let helper = WriterHelper.locate() else {
            Issue.record(
                """
                \(WriterHelper.name) not found beside the test binary (looked from \(CommandLine.arguments.first ?? "?")); \
                run `swift build` before `swift test`, or set SAEX_LABEL_WRITER to its path
                """)
            return
        }
        let (dir, path) = try makeLabelsFolder()
        defer { removeFolder(dir) }
        var confirmed: [FeatureKey: FeatureLabel] = [:]
        var next = 0
        var rng = SplitMix64(seed: 20_240_501)
        var kills = 0
        var inFlightLanded = 0
        var tornSeen = 0
        var acknowledgedTotal = 0
        let started = Date()
        while kills < 60 && !(kills >= 50 && Date().timeIntervalSince(started) > 15) {
            let outPath = dir + "/out-\(kills).txt"
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            let out = try #require(FileHandle(forWritingAtPath: outPath))
            let child = Process()
            child.executableURL = URL(fileURLWithPath: helper)
            // Compact after 16 appends, so kills also land inside compaction.
            child.arguments = ["write", path, String(next), "16"]
            child.standardOutput = out
            try child.run()
            try out.close()
            usleep(UInt32(5_000 + rng.next(below: 90_000)))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            if child.terminationReason != .uncaughtSignal {
                Issue.record(
                    "the writer exited by itself (status \(child.terminationStatus)); its output: \((try? readText(outPath)) ?? "")")
                return
            }
            kills += 1

            // Parse "begin N JSON" and "ack N" lines; an unterminated last line is ignored.
            var text = try readText(outPath)
            if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
            var acknowledged = confirmed
            var inFlight: HelperChange?
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, let n = Int(parts[1]) else { Issue.record("bad helper line: \(line)"); continue }
                if parts[0] == "begin" {
                    inFlight = try JSONDecoder().decode(HelperChange.self, from: Data(String(parts[2]).utf8))
                    next = n + 1
                } else if parts[0] == "ack", let change = inFlight {
                    let key = FeatureKey(fingerprint: change.fingerprint, feature: change.feature)
                    acknowledged[key] = change.label?.canonical
                    inFlight = nil
                    acknowledgedTotal += 1
                }
            }
            var withInFlight = acknowledged
            if let change = inFlight {
                withInFlight[FeatureKey(fingerprint: change.fingerprint, feature: change.feature)] = change.label?.canonical
            }

            // Alternate read-only loads with read-write opens (which also proves the dead child's
            // lock was released by the kernel).
            let store = try LabelStore(path: path, readOnly: kills % 2 == 0)
            tornSeen += store.warnings.isEmpty ? 0 : 1
            let loaded = store.allLabels
            store.close()
            if loaded == acknowledged {
                confirmed = acknowledged
            } else if loaded == withInFlight {
                confirmed = withInFlight
                inFlightLanded += 1
            } else {
                let missing = acknowledged.filter { loaded[$0.key] != $0.value }.map(\.key)
                Issue.record("after kill \(kills): the file does not hold the acknowledged labels; differing keys: \(missing.prefix(5))")
                return
            }
        }
        #expect(kills >= 50)
        // A read-write open removes temporary files a writer killed mid-compaction left behind.
        try LabelStore(path: path).close()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "orphaned temporary files: \(leftovers)")
        #expect(acknowledgedTotal > 50, "the writer should have acknowledged many changes, got \(acknowledgedTotal)")
        // Informational, visible with --verbose.
        print(
            "durability: \(kills) kills, \(acknowledgedTotal) acknowledged, \(inFlightLanded) in-flight changes landed, \(tornSeen) torn tails seen"
        )
    }
}
