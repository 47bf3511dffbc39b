import Foundation

/// One grapheme ready for a terminal cell: text that is safe to draw and its display width (1 or 2).
public struct Glyph: Equatable, Sendable {
    public var text: String
    public var width: Int
    public init(_ text: String, width: Int) {
        self.text = text
        self.width = width
    }
}

/// The single gate between untrusted strings (tokens, concept labels, dictionary names, file paths)
/// and the screen.
///
/// Controls, escape sequences, bidi controls and invisible format characters become visible
/// placeholders, so no byte from the data can move the cursor, change colours, set the clipboard
/// (OSC 52) or reorder text. Each grapheme gets a width computed without the C library (so tests
/// and terminals agree): East Asian wide and emoji-presentation characters are 2, combining marks
/// attach to their base. Multi-scalar emoji (ZWJ sequences, skin tones, flags, variation
/// selectors, keycaps) are replaced by one placeholder because terminals disagree on their width.
public enum TerminalText {
    /// Shown for C1 controls, bidi controls, format characters and multi-scalar emoji.
    public static let replacement = "\u{FFFD}"
    /// Shown for a newline inside data.
    public static let newline = "\u{23CE}"  // ⏎
    /// Shown for a tab inside data.
    public static let tab = "\u{2192}"  // →
    /// Shown for a space inside a token when spaces are made visible.
    public static let visibleSpace = "\u{00B7}"  // ·

    /// Sanitises `text` into glyphs. `visibleSpaces` turns ' ' into '·' (for tokens).
    public static func sanitize(_ text: String, visibleSpaces: Bool = false) -> [Glyph] {
        var out: [Glyph] = []
        out.reserveCapacity(text.utf8.count)
        for character in text {
            out.append(glyph(for: character, visibleSpaces: visibleSpaces))
        }
        return out
    }

    /// Decodes bytes as UTF-8 (each invalid sequence becomes U+FFFD) and sanitises them.
    public static func sanitize(bytes: [UInt8], visibleSpaces: Bool = false) -> [Glyph] {
        sanitize(String(decoding: bytes, as: UTF8.self), visibleSpaces: visibleSpaces)
    }

    /// The sanitised text as one string (for messages and tests).
    public static func safeString(_ text: String, visibleSpaces: Bool = false) -> String {
        sanitize(text, visibleSpaces: visibleSpaces).map(\.text).joined()
    }

    /// Display width of the sanitised text.
    public static func width(_ text: String) -> Int {
        sanitize(text).reduce(0) { $0 + $1.width }
    }

    /// Scalars that must never reach a terminal as they are: C0 and C1 controls, DEL, and the bidi
    /// embedding, override, isolate and mark characters. Both the screen (`sanitize`) and one-line
    /// messages (`escapedLine`) treat exactly these as unsafe.
    public static func isUnsafe(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || isBidiControl(v)
    }

    /// `text` as one line for messages and command output: line breaks become spaces and every
    /// other unsafe scalar is written as `\u{1B}`, so nothing in it can move the cursor, recolour,
    /// retitle or reorder the terminal it is printed to.
    public static func escapedLine(_ text: String) -> String {
        // Nearly every message is printable ASCII, which needs no escaping: skip the walk over
        // Characters (it was a sixth of a fuzz target's time).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            if ch.isNewline {
                out.append(" ")
            } else if ch.unicodeScalars.contains(where: isUnsafe) {
                for s in ch.unicodeScalars {
                    if isUnsafe(s) {
                        out += "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
                    } else {
                        out.unicodeScalars.append(s)
                    }
                }
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// The sanitised text cut to `width` columns, ending in "…" when cut (for tables of tokens,
    /// which can be any length).
    public static func truncated(_ text: String, width: Int) -> String {
        let glyphs = sanitize(text)
        guard glyphs.reduce(0, { $0 + $1.width }) > width else { return glyphs.map(\.text).joined() }
        var out = "", used = 0
        for g in glyphs {
            if used + g.width > width - 1 { break }
            out += g.text
            used += g.width
        }
        return out + "…"
    }

    /// `text` with every unsafe scalar, line breaks and tabs included, written as `\u{1B}`: for
    /// fields of machine-readable text (CSV) that must stay one line and inert on a terminal.
    public static func escapedControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if isUnsafe(s) {
                out.append(contentsOf: ("\\u{" + String(s.value, radix: 16, uppercase: true) + "}").unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    /// JSON text with DEL, C1 controls, bidi controls and U+2028/U+2029 written as `\uXXXX` escapes
    /// (JSON encoders escape only C0). These can only occur inside strings, where the escape reads
    /// back as the same character, so the JSON means the same and is inert on a terminal.
    public static func jsonEscapingControls(_ json: Data) -> Data {
        func needs(_ v: UInt32) -> Bool { v == 0x7F || (0x80...0x9F).contains(v) || isBidiControl(v) || v == 0x2028 || v == 0x2029 }
        let text = String(decoding: json, as: UTF8.self)
        guard text.unicodeScalars.contains(where: { needs($0.value) }) else { return json }
        var out = Data()
        out.reserveCapacity(json.count + 64)
        for s in text.unicodeScalars {
            if needs(s.value) {
                out.append(contentsOf: Array(String(format: "\\u%04x", s.value).utf8))
            } else {
                out.append(contentsOf: Array(String(s).utf8))
            }
        }
        return out
    }

    /// Bidi embedding, override, isolate and mark characters.
    static func isBidiControl(_ v: UInt32) -> Bool {
        (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C
    }

    /// Scalars whose presence in a multi-scalar grapheme makes its width terminal-dependent.
    static func isEmojiSequencePart(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v == 0x200D || (0xFE00...0xFE0F).contains(v) || (0x1F3FB...0x1F3FF).contains(v) || (0x1F1E6...0x1F1FF).contains(v)
            || v == 0x20E3 || (0xE0020...0xE007F).contains(v) || (0xE0100...0xE01EF).contains(v) || s.properties.isEmojiPresentation
    }

    public static func glyph(for character: Character, visibleSpaces: Bool) -> Glyph {
        let scalars = character.unicodeScalars
        var iterator = scalars.makeIterator()
        guard let first = iterator.next() else { return Glyph(replacement, width: 1) }
        if iterator.next() == nil { return glyph(forScalar: first, visibleSpaces: visibleSpaces) }
        // Several scalars in one grapheme.
        if character == "\r\n" { return Glyph(newline, width: 1) }
        if scalars.contains(where: isEmojiSequencePart) { return Glyph(replacement, width: 1) }
        let base = glyph(forScalar: first, visibleSpaces: visibleSpaces)
        if base.text != String(first) || base.width == 0 { return base }  // base was replaced: drop what followed
        // Base plus combining marks; ncurses holds at most 5 wide chars per cell, keep the base and 3 marks.
        var kept = String(first)
        var count = 1
        for scalar in scalars.dropFirst() {
            let category = scalar.properties.generalCategory
            let isMark = category == .nonspacingMark || category == .enclosingMark || category == .spacingMark
            if !isMark || isBidiControl(scalar.value) { continue }  // hidden joiners, controls: drop
            if count < 4 {
                kept.unicodeScalars.append(scalar)
                count += 1
            }
        }
        return Glyph(kept, width: base.width)
    }

    static func glyph(forScalar s: Unicode.Scalar, visibleSpaces: Bool) -> Glyph {
        let v = s.value
        switch v {
        case 0x0A, 0x0D: return Glyph(newline, width: 1)
        case 0x09: return Glyph(tab, width: 1)
        case 0x20: return Glyph(visibleSpaces ? visibleSpace : " ", width: 1)
        // Printable ASCII is shown as it is, without the Unicode property lookups below (which were a
        // fifth of a detail page's render time at 65,536 features; the result is the same).
        case 0x21...0x7E: return Glyph(String(s), width: 1)
        case 0x00..<0x20: return Glyph(String(Unicode.Scalar(0x2400 + v) ?? "?"), width: 1)  // control pictures: ␛ for ESC
        case 0x7F: return Glyph("\u{2421}", width: 1)  // ␡
        case 0x80...0x9F: return Glyph(replacement, width: 1)
        case 0x2028, 0x2029: return Glyph(newline, width: 1)
        default: break
        }
        if isBidiControl(v) { return Glyph(replacement, width: 1) }
        let category = s.properties.generalCategory
        switch category {
        case .format, .control, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator:
            return Glyph(replacement, width: 1)
        case .nonspacingMark, .enclosingMark, .spacingMark:
            // A mark with no base: show it on a dotted circle so it occupies a cell.
            var text = "\u{25CC}"
            text.unicodeScalars.append(s)
            return Glyph(text, width: 1)
        default:
            break
        }
        if (0xFE00...0xFE0F).contains(v) || (0x1F3FB...0x1F3FF).contains(v) { return Glyph(replacement, width: 1) }
        return Glyph(String(s), width: isWide(s) ? 2 : 1)
    }

    /// East Asian Wide/Fullwidth ranges and emoji with default emoji presentation.
    static func isWide(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x1100 { return false }
        if s.properties.isEmojiPresentation { return true }
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
            0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
            0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
