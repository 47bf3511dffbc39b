import Foundation
import Testing
@testable import SAEKit

@Suite struct TerminalTextTests {
    func text(_ s: String, spaces: Bool = false) -> String { TerminalText.safeString(s, visibleSpaces: spaces) }
    func widths(_ s: String) -> [Int] { TerminalText.sanitize(s).map(\.width) }

    @Test func escapeSequencesBecomeVisible() {
        #expect(text("\u{1B}[31mred") == "␛[31mred")
        #expect(text("\u{1B}]52;c;aGk=\u{07}") == "␛]52;c;aGk=␇")
        #expect(!text("\u{1B}[2J\u{1B}]0;title\u{07}").unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test(arguments: [(UInt32(0x00), "␀"), (0x07, "␇"), (0x08, "␈"), (0x1B, "␛"), (0x7F, "␡")])
    func c0AndDel(_ value: UInt32, _ expected: String) {
        #expect(text(String(Unicode.Scalar(value)!)) == expected)
    }

    @Test func newlineAndTabVisible() {
        #expect(text("a\nb\tc") == "a⏎b→c")
        #expect(text("a\r\nb") == "a⏎b")
        #expect(TerminalText.sanitize("\r\n").count == 1)
    }

    @Test func c1ControlsReplaced() {
        for v: UInt32 in [0x80, 0x85, 0x9B, 0x9D, 0x9F] {
            #expect(text(String(Unicode.Scalar(v)!)) == "\u{FFFD}", "U+\(String(v, radix: 16))")
        }
    }

    @Test(arguments: [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C] as [UInt32])
    func bidiControlsReplaced(_ v: UInt32) {
        #expect(text("a" + String(Unicode.Scalar(v)!) + "b") == "a\u{FFFD}b")
    }

    @Test func spacesVisibleInTokensOnly() {
        #expect(text(" the", spaces: true) == "·the")
        #expect(text(" the") == " the")
    }

    @Test func invalidUTF8BecomesReplacement() {
        let glyphs = TerminalText.sanitize(bytes: [0x61, 0xFF, 0xC3, 0x28, 0x62])
        #expect(glyphs.map(\.text).joined() == "a\u{FFFD}\u{FFFD}(b")
    }

    @Test func widthsOfCJKCombiningAndEmoji() {
        #expect(widths("東京") == [2, 2])
        #expect(widths("한") == [2])
        #expect(widths("ｱ") == [1])  // halfwidth katakana
        #expect(widths("Ａ") == [2])  // fullwidth A
        #expect(widths("e\u{301}") == [1])  // combining mark attaches to its base
        #expect(TerminalText.sanitize("e\u{301}")[0].text == "e\u{301}")
        #expect(widths("😀") == [2])  // emoji presentation
        #expect(widths("☺") == [1])  // text presentation by default
        #expect(TerminalText.width("ab東😀") == 6)
    }

    @Test func multiScalarEmojiReplacedByOnePlaceholder() {
        for s in ["👩‍💻", "👍🏽", "🇫🇷", "❤️", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"] {
            let g = TerminalText.sanitize(s)
            #expect(g == [Glyph("\u{FFFD}", width: 1)], "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func loneCombiningMarkAndFormatCharacters() {
        #expect(TerminalText.sanitize("\u{301}") == [Glyph("\u{25CC}\u{301}", width: 1)])
        #expect(text("a\u{200B}b") == "a\u{FFFD}b")  // zero-width space
        #expect(text("\u{FEFF}") == "\u{FFFD}")
    }

    @Test func zalgoIsCappedToFitACell() {
        let s = "a" + String(repeating: "\u{301}", count: 20)
        let g = TerminalText.sanitize(s)
        #expect(g.count == 1)
        #expect(g[0].text.unicodeScalars.count == 4)
    }
}

/// Machine-readable text (CSV, JSON) and tables stay inert on a terminal (issue 19, items 11, 17).
struct MachineTextTests {
    @Test func csvFieldsEscapeEveryControl() {
        #expect(CSV.field("\u{1B}]0;pwned\u{07}") == "\\u{1B}]0;pwned\\u{7}")
        #expect(CSV.field("a\nb\tc\r") == "a\\u{A}b\\u{9}c\\u{D}")
        #expect(CSV.field("\u{9B}31m, \u{202E}x") == "\"\\u{9B}31m, \\u{202E}x\"")
        #expect(CSV.field("plain \"q\"") == "\"plain \"\"q\"\"\"")
    }

    @Test func jsonEscapesC1AndBidiControls() throws {
        let raw = try JSONSerialization.data(withJSONObject: ["t": "a\u{9B}b\u{202E}c\u{7F}d\u{2028}e é"], options: [.sortedKeys])
        let out = TerminalText.jsonEscapingControls(raw)
        #expect(String(decoding: out, as: UTF8.self) == "{\"t\":\"a\\u009bb\\u202ec\\u007fd\\u2028e é\"}")
        let back = try JSONSerialization.jsonObject(with: out) as? [String: String]
        #expect(back?["t"] == "a\u{9B}b\u{202E}c\u{7F}d\u{2028}e é")
        let plain = Data("{\"a\":1}".utf8)
        #expect(TerminalText.jsonEscapingControls(plain) == plain)
    }

    @Test func truncatedCutsLongTextWithAnEllipsis() {
        let long = String(repeating: "x", count: 100_000)
        #expect(TerminalText.truncated(long, width: 10) == "xxxxxxxxx…")
        #expect(TerminalText.truncated("short", width: 10) == "short")
        #expect(TerminalText.width(TerminalText.truncated(String(repeating: "文", count: 50), width: 24)) <= 24)
        #expect(TerminalText.truncated("\u{1B}[2J", width: 10) == "\u{241B}[2J")
    }
}
