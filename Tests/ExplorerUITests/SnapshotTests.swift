import Foundation
import Testing
@testable import ExplorerUI
import SAEKit

/// Rendered screens as text and style runs, compared with reviewed files in Snapshots/.
@Suite struct SnapshotTests {
    static let sizes = [(120, 40), (80, 24), (40, 12), (30, 8)]

    /// A session on the hostile data with a few labels, one with a bidi override and an escape in its concept.
    func labelledSession(width: Int, height: Int, hasNorms: Bool = true) -> ExplorerSession {
        let book = FakeLabelBook()
        let session = makeSession(book: book, width: width, height: height, hasNorms: hasNorms)
        session.press(.char("j"), .char("1"), .char("e"))
        session.press(.paste("court \u{202E}cases\u{1B}[31m 東京"), .enter)
        session.press(.char("j"), .char("4"), .char("j"), .char("2"), .char("k"), .char("k"))
        return session
    }

    /// A screen as the keys that open it from the labelled session's list; its snapshots are NAME-WxH.
    struct Screen: Sendable, CustomTestStringConvertible {
        var name: String
        var keys: [Key]
        var testDescription: String { name }
    }

    static let screens = [
        Screen(name: "list", keys: []), Screen(name: "detail", keys: [.enter]), Screen(name: "compare", keys: [.char("c"), .char("]")]),
        Screen(name: "pairs", keys: [.char("P")]), Screen(name: "overview", keys: [.char("o")]), Screen(name: "help", keys: [.char("?")])
    ]

    /// Every screen at every size.
    @Test(arguments: screens, sizes) func screen(_ screen: Screen, _ size: (Int, Int)) {
        let (w, h) = size
        let session = labelledSession(width: w, height: h)
        for key in screen.keys { session.press(key) }
        assertSnapshot(session.frame().debugDump(), named: "\(screen.name)-\(w)x\(h)")
    }

    @Test func detailScrolledToContextsWithWholeWindow() {
        let session = labelledSession(width: 80, height: 24)
        session.press(.enter, .char("w"))
        for _ in 0..<22 { session.press(.char("j")) }
        assertSnapshot(session.frame().debugDump(), named: "detail-contexts-whole-80x24")
    }

    @Test func detailWithoutNorms() {
        let session = labelledSession(width: 80, height: 24, hasNorms: false)
        session.press(.enter)
        assertSnapshot(session.frame().debugDump(), named: "detail-no-norms-80x24")
    }

    /// Logit effects with long, wide and hostile (escape, bidi override) tokens.
    static let logits = LogitEffects(
        positive: [
            TokenLogit(token: " Brigade", value: 3.753, id: 44), TokenLogit(token: "’", value: 3.063),
            TokenLogit(token: " an-extraordinarily-long-token-that-does-not-fit", value: 2.5),
            TokenLogit(token: "\u{1B}[31m red\u{202E}", value: 1.25)
        ],
        negative: [
            TokenLogit(token: "sequence", value: -0.707), TokenLogit(token: " 東京", value: -0.5),
            TokenLogit(token: "\\xe2\\x80", value: -0.25)
        ])

    /// The other dictionary's: ten a side (a cache's count, more than a pane holds), with a C1
    /// escape, a bidi isolate and a clear-screen escape among them.
    static let otherLogits = LogitEffects(
        positive: [" verdict", " ruling", "\u{9B}2J", " jury", " appeal", " justices", " trial", " statute", " bench", " docket"]
            .enumerated().map { TokenLogit(token: $0.element, value: 2.4 - Float($0.offset) * 0.2) },
        negative: [" banana", "\u{2067}\u{1B}[2J wipe", " 🍌", " recipe", " kiwi", " mango", " salad", " fruit", " peel", " ripe"]
            .enumerated().map { TokenLogit(token: $0.element, value: -1.9 + Float($0.offset) * 0.15) })

    /// The logit effects section: two columns, long and hostile tokens cut to their column, and one
    /// column on a narrow screen.
    @Test(arguments: [(80, 24), (50, 30)]) func detailWithLogitEffects(_ w: Int, _ h: Int) {
        let session = makeSession(book: FakeLabelBook(), width: w, height: h, logits: Self.logits)
        session.press(.enter)
        for _ in 0..<(h < 30 ? 14 : 10) { session.press(.char("j")) }
        assertSnapshot(session.frame().debugDump(), named: "detail-logits-\(w)x\(h)")
    }

    /// Both panes of compare with their own logit effects, under the statistics: a header with the
    /// largest and smallest effect, then the tokens raised and lowered, as many as the pane holds;
    /// a pane narrower than 30 columns drops the header (40x12).
    @Test(arguments: [(120, 40), (80, 24), (40, 12)]) func compareWithLogitEffects(_ w: Int, _ h: Int) {
        let session = makeSession(book: FakeLabelBook(), width: w, height: h, logits: Self.logits, otherLogits: Self.otherLogits)
        session.press(.char("j"), .char("c"))
        assertSnapshot(session.frame().debugDump(), named: "compare-logits-\(w)x\(h)")
    }

    /// Each pane shows its own feature's logit effects, the right one (the match, whose contexts
    /// compare loads separately) on screen at 80x24 without scrolling.
    @Test func compareShowsTheMatchsLogitEffectsOnTheRight() throws {
        let session = makeSession(book: FakeLabelBook(), width: 80, height: 24, logits: Self.logits, otherLogits: Self.otherLogits)
        session.press(.char("j"), .char("c"))
        let c = try #require(session.state.compare)
        let right = try #require(session.state.rightFeature(c))
        #expect(right.dict == 1 && session.state.contexts.peek(right)?.value?.logits == Self.otherLogits)
        let (left, rightLines) = CompareView.columns(session.state, c, width: 80, symbols: .unicode)
        func text(_ lines: [Line]) -> [String] { lines.map { $0.map { $0.glyphs.map(\.text).joined() }.joined() } }
        let raisesRight = try #require(text(rightLines).firstIndex { $0.hasPrefix("raises ·verdict  ·ruling") })
        #expect(text(rightLines)[raisesRight + 1].hasPrefix("lowers ·banana"))
        #expect(raisesRight < ExplorerLayout.bodyHeight(height: 24), "the right pane's logit effects are on screen")
        #expect(text(left).contains { $0.hasPrefix("raises ·Brigade") })
        #expect(!text(left).contains { $0.contains("verdict") || $0.contains("banana") })
        #expect(!text(rightLines).contains { $0.contains("Brigade") })
        let frame = session.frame()
        #expect(frame.debugDump().contains("raises ·verdict") && frame.debugDump().contains("raises ·Brigade"))
        expectNoControls(frame)  // the escapes and bidi controls among both sides' tokens
    }

    /// The right pane focused (Tab), a verdict given to it, and the match list ranked by decoder cosine.
    @Test func compareRightPaneFocusedAndLabelled() {
        let session = labelledSession(width: 120, height: 40)
        session.press(.char("c"), .char("m"), .tab, .char("3"))
        assertSnapshot(session.frame().debugDump(), named: "compare-right-labelled-120x40")
    }

    /// Pairs sorted by score, only mutual ones.
    @Test func pairsSortedAndFiltered() {
        let session = labelledSession(width: 120, height: 40)
        session.press(.char("P"), .char("f"))
        assertSnapshot(session.frame().debugDump(), named: "pairs-filtered-120x40")
    }

    @Test func searchPromptAndAsciiCharset() {
        let session = labelledSession(width: 80, height: 24)
        session.asciiOnly = true
        session.press(.char("/"), .paste("東"))
        assertSnapshot(session.frame().debugDump(), named: "list-search-ascii-80x24")
    }

    @Test func readOnlyList() {
        let session = makeSession(book: nil, width: 80, height: 24)
        session.press(.char("1"))
        assertSnapshot(session.frame().debugDump(), named: "list-read-only-80x24")
    }

    /// No frame may contain a raw control character, whatever the data.
    @Test func framesNeverContainControls() {
        let session = labelledSession(width: 100, height: 30)
        var frames = [session.frame()]
        for key: Key in [.enter, .char("w"), .char("w"), .char("c"), .char("]"), .char("x"), .char("o"), .char("?")] {
            session.press(key)
            frames.append(session.frame())
        }
        frames.forEach { expectNoControls($0) }
    }

    func expectNoControls(_ frame: ScreenBuffer, sourceLocation: SourceLocation = #_sourceLocation) {
        for cell in frame.cells {
            for scalar in cell.text.unicodeScalars {
                let v = scalar.value
                let bidi = (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || [0x200E, 0x200F, 0x061C].contains(v)
                #expect(!(v < 0x20 || (0x7F...0x9F).contains(v) || bidi), "U+\(String(v, radix: 16))", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func wideGlyphsNeverSplitAtTheEdge() {
        var b = ScreenBuffer(width: 5, height: 1)
        b.put("ab東京", x: 0, y: 0, role: .normal)
        #expect(b.rowText(0) == "ab東 ")
        b.put("x", x: 3, y: 0, role: .normal)  // overwrite the tail of 東
        #expect(b.rowText(0) == "ab x ")
        #expect(b.cells.map(\.width) == [1, 1, 1, 1, 1])
    }
}

@Suite struct KeyDocsTests {
    @Test func keysMarkdownIsCurrent() throws {
        try expectCurrent("docs/KEYS.md", generated: KeyMap.markdown(), stale: "docs/KEYS.md is stale")
    }

    @Test func readmeKeyTableIsCurrent() throws {
        try expectCurrent(
            "README.md", between: ("<!-- BEGIN KEYS -->\n", "<!-- END KEYS -->"), generated: KeyMap.readmeSection(),
            stale: "README.md's key table is stale")
    }

    /// Checks that the file at `relative` (from the repository root), or its text between the two
    /// `markers`, is `generated`; SAEX_RECORD_SNAPSHOTS=1 writes `generated` there instead.
    func expectCurrent(
        _ relative: String, between markers: (begin: String, end: String)? = nil, generated: String, stale: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../" + relative).standardized
        let record = ProcessInfo.processInfo.environment["SAEX_RECORD_SNAPSHOTS"] == "1"
        var text = record && markers == nil ? "" : try String(contentsOf: url, encoding: .utf8)
        var part = text.startIndex..<text.endIndex
        if let markers {
            let a = try #require(text.range(of: markers.begin), sourceLocation: sourceLocation)
            let b = try #require(text.range(of: markers.end), sourceLocation: sourceLocation)
            part = a.upperBound..<b.lowerBound
        }
        if record {
            text.replaceSubrange(part, with: generated)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            String(text[part]) == generated, "\(stale): run SAEX_RECORD_SNAPSHOTS=1 swift test --filter KeyDocsTests",
            sourceLocation: sourceLocation)
    }

    @Test func helpAndHintsComeFromTheKeyMap() {
        let session = makeSession()
        session.press(.char("?"))
        let text = (0..<40).map { session.frame().rowText($0) }.joined(separator: "\n")
        for b in KeyMap.bindings.prefix(12) { #expect(text.contains(b.description)) }
    }
}

/// Issue 15: the list hid the alpha column at 40 columns even while sorting by alpha.
@Suite struct NarrowListColumnsTests {
    @Test(arguments: ListView.dropOrder)
    func theSortColumnStaysWhenTheListIsNarrow(column: FeatureColumn) {
        let sorted = ListView.visibleColumns(width: 40, keep: column).map(\.sort)
        #expect(sorted.contains(column), "sorting by \(column) at 40 columns must keep its column: \(sorted)")
        // Sorted by feature number, the same width drops it (so the check above can fail).
        #expect(!ListView.visibleColumns(width: 40, keep: .feature).map(\.sort).contains(column) || column == .normSpearmanActive)
    }
}
