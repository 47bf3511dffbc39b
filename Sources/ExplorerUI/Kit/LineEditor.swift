import SAEKit

/// A one-line text editor over graphemes: the cursor moves by user-perceived character, so
/// combining marks, CJK and emoji are never split. Pasted text is inserted as is up to
/// `maxCharacters` (the rest is dropped: every key re-reads the whole text, so a 50 MB paste
/// would make each key take seconds); display goes through `TerminalText`, so pasted controls
/// show as placeholders.
public struct LineEditor: Equatable, Sendable {
    /// The longest text an editor holds.
    public static let maxCharacters = 10_000

    public private(set) var characters: [Character]
    /// Cursor position in graphemes, 0...characters.count.
    public private(set) var cursor: Int
    /// The whole text is selected, as in a pre-filled prompt: typing or pasting replaces it,
    /// Backspace or Delete clears it, and a cursor key keeps it and starts editing it.
    public private(set) var allSelected: Bool

    public init(_ text: String = "", selectAll: Bool = false) {
        characters = Array(text)
        cursor = characters.count
        allSelected = selectAll && !characters.isEmpty
    }

    /// Drops a selected text (what typing over a selection does first); true when there was one.
    private mutating func clearSelection() -> Bool {
        guard allSelected else { return false }
        allSelected = false
        characters = []
        cursor = 0
        return true
    }

    public var text: String { String(characters) }

    public mutating func insert(_ s: String) {
        _ = clearSelection()
        let new = Array(s.prefix(max(0, LineEditor.maxCharacters - characters.count)))
        characters.insert(contentsOf: new, at: cursor)
        cursor += new.count
        // A combining mark typed after a base merges with it: renormalise the grapheme boundaries.
        let merged = Array(String(characters))
        if merged.count != characters.count {
            let before = String(characters[..<cursor]).count
            characters = merged
            cursor = min(before, characters.count)
        }
    }

    public mutating func backspace() {
        guard !clearSelection(), cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard !clearSelection(), cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    public mutating func left() {
        allSelected = false
        cursor = max(0, cursor - 1)
    }
    public mutating func right() {
        allSelected = false
        cursor = min(characters.count, cursor + 1)
    }
    public mutating func home() {
        allSelected = false
        cursor = 0
    }
    public mutating func end() {
        allSelected = false
        cursor = characters.count
    }
    /// Deletes from the start of the line to the cursor (ctrl-u).
    public mutating func killToStart() {
        allSelected = false
        characters.removeSubrange(0..<cursor)
        cursor = 0
    }
    /// Deletes from the cursor to the end (ctrl-k).
    public mutating func killToEnd() {
        allSelected = false
        characters.removeSubrange(cursor..<characters.count)
    }

    /// The glyphs to show in a field `width` columns wide, scrolled so the cursor is visible, and the
    /// cursor's column inside the field.
    public func visible(width: Int) -> (glyphs: [Glyph], cursorColumn: Int) {
        guard width > 1 else { return ([], 0) }
        let glyphs = characters.map { TerminalText.glyph(for: $0, visibleSpaces: false) }
        // Start as far left as possible while the cursor (one column past the text) stays inside.
        var start = 0
        var widthBeforeCursor = glyphs[..<cursor].reduce(0) { $0 + $1.width }
        while widthBeforeCursor >= width, start < cursor {
            widthBeforeCursor -= glyphs[start].width
            start += 1
        }
        var shown: [Glyph] = []
        var used = 0
        for g in glyphs[start...] {
            if used + g.width > width { break }
            shown.append(g)
            used += g.width
        }
        return (shown, widthBeforeCursor)
    }
}
