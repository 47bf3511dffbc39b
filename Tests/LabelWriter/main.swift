// Test helper for the labels durability test (Tests/SAEKitTests/Labels/LabelDurabilityTests.swift).
//
//   saex-label-writer-testhelper write PATH FIRST COMPACT_AFTER
//       Performs label changes number FIRST, FIRST+1, ... forever. Before each it prints
//       "begin N JSON" (the change), after `setLabel` returns it prints "ack N". The test kills it
//       with SIGKILL and checks that every acknowledged change is in the file.
import Foundation
import SAEKit

struct Change: Codable {
    var fingerprint: String
    var feature: Int
    var label: FeatureLabel?
}

/// Change number `n`: a deterministic mix of new labels, edits and clears with awkward text.
func change(_ n: Int) -> Change {
    var rng = SplitMix64(seed: UInt64(n) &* 0x9E37_79B9_7F4A_7C15 &+ 17)
    let fingerprint = rng.next(below: 2) == 0 ? "fp-alpha" : "fp-beta"
    let feature = rng.next(below: 40)
    if rng.next(below: 10) == 0 { return Change(fingerprint: fingerprint, feature: feature, label: nil) }
    let pieces = ["legal citations", "[CLS] norm", "ünïcödé", "emoji 🧪🔬👩‍🔬", "quote \" and \\ backslash", "line\nbreak", "tab\tcomma,", "中文"]
    var notes = ""
    let noteLength = rng.next(below: 3) == 0 ? rng.next(below: 4000) : rng.next(below: 60)
    while notes.utf8.count < noteLength { notes += pieces[rng.next(below: pieces.count)] + " " }
    let ms = 1_700_000_000_000 + Double(n) * 1000
    let label = FeatureLabel(
        verdict: Verdict.allCases[rng.next(below: Verdict.allCases.count)],
        concept: "change \(n): " + pieces[rng.next(below: pieces.count)],
        notes: notes,
        rating: Rating.allCases[rng.next(below: Rating.allCases.count)],
        author: "writer-\(n % 3)",
        created: Date(timeIntervalSince1970: ms / 1000),
        updated: Date(timeIntervalSince1970: (ms + 500) / 1000))
    return Change(fingerprint: fingerprint, feature: feature, label: label)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

let args = CommandLine.arguments
guard args.count >= 4 else { fail("usage: saex-label-writer-testhelper write PATH FIRST COMPACT_AFTER") }
do {
    switch args[1] {
    case "write":
        guard args.count == 5, let first = Int(args[3]), let compactAfter = Int(args[4]) else { fail("write PATH FIRST COMPACT_AFTER") }
        let store = try LabelStore(path: args[2], compactAfter: compactAfter)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var n = first
        while true {
            let c = change(n)
            say("begin \(n) " + String(decoding: try encoder.encode(c), as: UTF8.self))
            try store.setLabel(c.label, for: FeatureKey(fingerprint: c.fingerprint, feature: c.feature))
            say("ack \(n)")
            n += 1
        }
    default:
        fail("unknown mode \(args[1])")
    }
} catch {
    fail("\(error)")
}
