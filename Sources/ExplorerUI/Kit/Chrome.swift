import SAEKit

/// A terminal size in cells.
public struct TerminalSize: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// The rows every program draws around its body: a too-small note, the hint row and the status
/// row's message and prompt.
enum Chrome {
    /// Below `minimum`, draws a note instead of the screen and returns true.
    static func drawTooSmall(minimum: TerminalSize, _ b: inout ScreenBuffer) -> Bool {
        let w = b.width, h = b.height
        guard w < minimum.width || h < minimum.height else { return false }
        let lines = ["terminal too small:", "\(w)x\(h), need at least", "\(minimum.width)x\(minimum.height).", "q quits"]
        for (i, line) in lines.enumerated() where i < h {
            b.put(line, x: 0, y: i, role: i == 0 ? .warning : .normal)
        }
        return true
    }

    /// A one-row title bar on row 0.
    static func titleBar(_ text: String, _ b: inout ScreenBuffer) {
        b.fill(x: 0, y: 0, width: b.width, height: 1, role: .header)
        b.put(text, x: 0, y: 0, role: .header, maxWidth: b.width)
    }

    /// The hint row (second from the bottom): each binding's first key and hint, while they fit.
    static func drawHints<State, BoundAction>(_ bindings: [KeyBindingOf<State, BoundAction>], state: State, _ b: inout ScreenBuffer) {
        let y = b.height - 2
        var x = 0
        for binding in bindings {
            guard let key = binding.keys.first else { continue }
            let label = key.description
            let text = binding.hint ?? binding.description
            let needed = TerminalText.width(label) + 1 + text.count + 2
            if x + needed > b.width { break }
            let disabled = binding.disabledReason(state) != nil
            x += b.put(label, x: x, y: y, role: disabled ? .dim : .mark)
            x += b.put(" " + text + "  ", x: x, y: y, role: disabled ? .dim : .hint)
        }
    }

    /// A prompt on the bottom row: its label, then the editor scrolled to keep the cursor visible
    /// (a selected pre-filled text is shown selected).
    static func drawPrompt(_ label: String, editor: LineEditor, _ b: inout ScreenBuffer) {
        let y = b.height - 1
        let x = b.put(label, x: 0, y: y, role: .mark)
        let field = max(2, b.width - x - 1)
        let (glyphs, cursor) = editor.visible(width: field)
        b.put(glyphs: glyphs, x: x, y: y, role: editor.allSelected ? .selected : .normal, maxWidth: field)
        b.cursor = (x + cursor, y)
    }

    /// A status message, right-aligned; a long one covers the position text rather than being cut,
    /// and one longer than the row wraps onto the hint row above it (its remedy stays readable).
    static func drawMessage(_ m: StatusMessage, after badge: Int, y: Int, _ b: inout ScreenBuffer) {
        let text = TerminalText.sanitize(m.text)
        let width = text.reduce(0) { $0 + $1.width }
        let room = b.width - badge - 3
        let role: StyleRole = m.isError ? .warning : .hint
        if width > room, y > 0, room > 10 {
            let lines = wrap([Span(glyphs: text, role: role)], width: b.width - 1, indent: 0)
            let first = max(0, y - lines.count + 1)
            for (i, line) in lines.suffix(y - first + 1).enumerated() {
                b.fill(x: 0, y: first + i, width: b.width, height: 1, role: .normal)
                b.draw(line, x: 0, y: first + i, maxWidth: b.width - 1)
            }
            return
        }
        let start = max(badge + 2, b.width - width - 1)
        b.fill(x: start - 1, y: y, width: b.width - start + 1, height: 1, role: .normal)
        b.put(glyphs: text, x: start, y: y, role: role, maxWidth: b.width - start)
    }
}
