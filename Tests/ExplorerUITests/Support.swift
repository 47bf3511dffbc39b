import Foundation
import Testing
@testable import ExplorerUI
import SAEKit
import SAEKitTestSupport

/// An in-memory LabelBook that can be told to fail, and records every call.
final class FakeLabelBook: LabelBook {
    struct Failure: Error, CustomStringConvertible { var description: String }
    var allLabels: [FeatureKey: FeatureLabel] = [:]
    var failNext: String?
    var calls: [(FeatureKey, FeatureLabel?)] = []

    func label(for key: FeatureKey) -> FeatureLabel? { allLabels[key] }
    func setLabel(_ label: FeatureLabel?, for key: FeatureKey) throws {
        calls.append((key, label))
        if let message = failNext {
            failNext = nil
            throw Failure(description: message)
        }
        if let label, !label.isEmpty { allLabels[key] = label } else { allLabels[key] = nil }
    }
}

/// Synthetic data with one hand-made feature (1) whose tokens are hostile on purpose.
final class HostileSource: FeatureSource {
    let base: SyntheticFeatureSource
    /// Logit effects every feature's contexts carry (none unless given); `otherLogits`, when given,
    /// replaces them in every dictionary but the first (so compare's two sides differ).
    let logits: LogitEffects?
    let otherLogits: LogitEffects?
    init(featureCount: Int = 300, hasNorms: Bool = true, logits: LogitEffects? = nil, otherLogits: LogitEffects? = nil) {
        base = SyntheticFeatureSource(featureCount: featureCount, hostileTokens: true, hasNorms: hasNorms)
        self.logits = logits
        self.otherLogits = otherLogits
    }
    var dictionaries: [DictionaryDescriptor] {
        var d = base.dictionaries
        d[1].name = "cos\u{1B}[2Jine\u{202E}"  // a hostile dictionary name
        return d
    }
    static let tokens = [
        "<bos>", " The", " court", " in", " 東京", "\u{1B}]52;c;ZXZpbA==\u{07}", " held", "\u{1B}[31m", "\u{9B}31m", " that",
        "\u{202E}txt.exe", "\u{2066}", "\n", "\t", " 😀", "👩‍💻", " naïve", "e\u{301}", "\u{7F}", " end"
    ]
    static let acts: [Float] = [0, 0.5, 1, 0.2, 4, 9.5, 3, 0, 0.1, 1.5, 2, 0, 0, 0.3, 6, 7, 0.4, 0.2, 0, 0.1]

    func stats(dict: Int, feature: Int) -> FeatureStats {
        var s = base.stats(dict: dict, feature: feature)
        if feature == 1 {
            s.topTokens = ["\u{1B}]52;c;ZXZpbA==\u{07}", " 東京", "\u{202E}txt.exe"]
            s.maxActivation = 9.5
        }
        return s
    }
    func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        var c = try base.contexts(dict: dict, feature: feature)
        if feature == 1 {
            let ctx = TokenContext(sequence: 7, position: 105, value: 9.5, start: 100, tokens: Self.tokens, activations: Self.acts)
            c = FeatureContexts(top: [ctx], intervals: [IntervalGroup(lower: 0, upper: 9.5, contains: 1, examples: [ctx])], random: [ctx])
        }
        c.logits = dict == 0 ? logits : otherLogits ?? logits
        return c
    }
    func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        try base.matchLists(dict: dict, feature: feature, other: other)
    }
    func allMatchLists(dict: Int, other: Int) -> [FeatureMatchLists]? { base.allMatchLists(dict: dict, other: other) }
    func contexts(dict: Int, feature: Int, at others: [TokenContext]) throws -> [TokenContext] {
        try base.contexts(dict: dict, feature: feature, at: others)
    }
    func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] {
        try base.neighbours(dict: dict, feature: feature, limit: limit)
    }
    func sample(dict: Int, feature: Int) throws -> ActivationSample { try base.sample(dict: dict, feature: feature) }
}

func makeSession(
    featureCount: Int = 300, book: FakeLabelBook? = FakeLabelBook(), width: Int = 120, height: Int = 40,
    hasNorms: Bool = true, logits: LogitEffects? = nil, otherLogits: LogitEffects? = nil
) -> ExplorerSession {
    let source = HostileSource(featureCount: featureCount, hasNorms: hasNorms, logits: logits, otherLogits: otherLogits)
    let session = ExplorerSession(
        source: source, labels: book,
        options: ExplorerOptions(title: "saex", onExport: { "exported 3 labels" }),
        size: TerminalSize(width: width, height: height))
    session.performer.now = { Date(timeIntervalSince1970: 1_800_000_000) }
    return session
}

/// Compares `actual` with Tests/ExplorerUITests/Snapshots/NAME.txt; SAEX_RECORD_SNAPSHOTS=1 rewrites it.
func assertSnapshot(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let url = dir.appendingPathComponent(name + ".txt")
    let record = ProcessInfo.processInfo.environment["SAEX_RECORD_SNAPSHOTS"] == "1"
    guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        if !record { Issue.record("snapshot \(name) was missing and has been recorded; review it", sourceLocation: sourceLocation) }
        return
    }
    guard expected != actual else { return }
    let e = expected.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
    var diff: [String] = []
    for i in 0..<max(e.count, a.count) where (i < e.count ? e[i] : nil) != (i < a.count ? a[i] : nil) {
        let old = i < e.count ? e[i] : "<none>", new = i < a.count ? a[i] : "<none>"
        diff.append("line \(i + 1):\n  - " + old + "\n  + " + new)
        if diff.count >= 20 { break }
    }
    let message: String = "snapshot \(name) differs (SAEX_RECORD_SNAPSHOTS=1 rewrites):\n" + diff.joined(separator: "\n")
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
}

/// The programs' pure transitions, as the tests call them.
func update(_ s: ExplorerState, _ a: ExplorerAction) -> (ExplorerState, [ExplorerEffect]) { ExplorerProgram.update(s, a) }
func updateBlind(_ s: BlindState, _ a: BlindAction) -> (BlindState, [BlindEffect]) { BlindProgram.update(s, a) }
func renderBlind(_ s: BlindState, size: TerminalSize, asciiOnly: Bool = false) -> ScreenBuffer {
    BlindProgram.render(s, size: size, asciiOnly: asciiOnly)
}

/// A state over `source`'s tables, as a session would make it.
func explorerState(_ source: any FeatureSource, readOnly: Bool = false, width: Int = 80, height: Int = 24, cacheCapacity: Int = 64)
    -> ExplorerState
{
    ExplorerState(
        title: "t", tables: source.dictionaries.indices.map { source.table(dict: $0) }, labels: [:],
        readOnlyReason: readOnly ? "labels are read-only (no label file was given)" : nil, width: width, height: height,
        cacheCapacity: cacheCapacity)
}
