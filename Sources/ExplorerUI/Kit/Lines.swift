import SAEKit

/// A piece of styled text in a line of a scrolled body.
struct Span {
    var glyphs: [Glyph]
    var role: StyleRole

    init(_ text: String, _ role: StyleRole = .normal, visibleSpaces: Bool = false) {
        glyphs = TerminalText.sanitize(text, visibleSpaces: visibleSpaces)
        self.role = role
    }

    init(glyphs: [Glyph], role: StyleRole) {
        self.glyphs = glyphs
        self.role = role
    }

    var width: Int { glyphs.reduce(0) { $0 + $1.width } }
}

typealias Line = [Span]

extension ScreenBuffer {
    /// Draws one line of spans from (x, y) within `maxWidth` columns; a line that does not fit
    /// ends in an ellipsis, so cut text never looks whole.
    mutating func draw(_ line: Line, x: Int, y: Int, maxWidth: Int) {
        let total = line.reduce(0) { $0 + $1.width }
        let fits = total <= maxWidth
        let room = fits ? maxWidth : max(0, maxWidth - 1)
        var column = x
        var role = StyleRole.normal
        for span in line {
            let remaining = x + room - column
            if remaining <= 0 { break }
            column += put(glyphs: span.glyphs, x: column, y: y, role: span.role, maxWidth: remaining)
            role = span.role
        }
        if !fits, maxWidth > 0 { put(symbols.ellipsis, x: column, y: y, role: role == .normal ? .dim : role, maxWidth: x + maxWidth - column) }
    }

    /// Draws `lines` starting at `scroll` into the rectangle; returns the clamped scroll.
    @discardableResult
    mutating func draw(_ lines: [Line], scroll: Int, x: Int, y: Int, width: Int, height: Int) -> Int {
        let maxScroll = max(0, lines.count - height)
        let start = max(0, min(scroll, maxScroll))
        for row in 0..<height where start + row < lines.count {
            draw(lines[start + row], x: x, y: y + row, maxWidth: width)
        }
        return start
    }
}

/// Wraps spans into lines of at most `width` columns; continuation lines start with `indent` spaces.
func wrap(_ spans: [Span], width: Int, indent: Int) -> [Line] {
    guard width > indent + 1 else { return [spans] }
    var lines: [Line] = []
    var current: Line = []
    var used = 0
    for span in spans {
        // Start a span that fits on a line of its own on a new line rather than splitting it.
        if used > indent, used + span.width > width, span.width <= width - indent {
            lines.append(current)
            current = [Span(String(repeating: " ", count: indent))]
            used = indent
        }
        var pending: [Glyph] = []
        for g in span.glyphs {
            if used + g.width > width {
                if !pending.isEmpty { current.append(Span(glyphs: pending, role: span.role)) }
                pending = []
                lines.append(current)
                current = [Span(String(repeating: " ", count: indent))]
                used = indent
            }
            pending.append(g)
            used += g.width
        }
        if !pending.isEmpty { current.append(Span(glyphs: pending, role: span.role)) }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

/// Wraps prose at spaces into lines of at most `width` columns (continuation lines start with
/// `indent` spaces); a word longer than a line is split.
func wrapWords(_ text: String, width: Int, indent: Int, role: StyleRole = .normal) -> [Line] {
    var words: [Span] = []
    var current = ""
    for ch in text {
        // A word keeps the spaces after it, so a line break falls between words.
        if ch != " ", current.last == " " {
            words.append(Span(current, role))
            current = ""
        }
        current.append(ch)
    }
    if !current.isEmpty { words.append(Span(current, role)) }
    return wrap(words, width: width, indent: indent)
}
