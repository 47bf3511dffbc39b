import SAEKit

/// A piece of styled text in a line of a scrolled body.
struct Span {
    var glyphs: [Glyph]
    var role: StyleRole
    /// A wrapped line never breaks inside this span or between it and the next (a field name
    /// and its value stay on one line).
    var keepsWithNext = false

    init(_ text: String, _ role: StyleRole = .normal, visibleSpaces: Bool = false) {
        glyphs = TerminalText.sanitize(text, visibleSpaces: visibleSpaces)
        self.role = role
    }

    /// A field's name before its value: dim, followed by a space, kept with the value.
    static func field(_ name: String) -> Span {
        var s = Span(name + " ", .dim)
        s.keepsWithNext = true
        return s
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
        if !fits, maxWidth > 0 {
            put(symbols.ellipsis, x: column, y: y, role: role == .normal ? .dim : role, maxWidth: x + maxWidth - column)
        }
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
///
/// Lines break between words: after a space, or before a visible space (a token that starts a
/// word, in contexts), so a word, or a word made of several tokens ("walk" + "ing"), stays whole.
/// Only a word longer than a line is split. Spaces that end a line may run past it and are dropped.
func wrap(_ spans: [Span], width: Int, indent: Int) -> [Line] {
    guard width > indent + 1 else { return [spans] }
    typealias Cell = (glyph: Glyph, role: StyleRole)
    // The text cut into words: a line may break between two words, never inside one.
    var words: [[Cell]] = []
    var word: [Cell] = []
    var held = false  // the last glyph belongs to a span kept with the next
    for span in spans {
        defer { held = span.keepsWithNext }
        for g in span.glyphs {
            let startsWord =
                (!held && word.last?.glyph.text == " " && g.text != " ")
                || (g.text == TerminalText.visibleSpace && word.last.map { $0.glyph.text != TerminalText.visibleSpace } == true)
            if startsWord {
                words.append(word)
                word = []
            }
            word.append((g, span.role))
            held = span.keepsWithNext
        }
    }
    if !word.isEmpty { words.append(word) }

    var lines: [Line] = []
    var current: [Cell] = []
    var used = 0
    func endLine() {
        // Trailing spaces past the edge are dropped, so the line does not end in an ellipsis.
        while used > width, let last = current.last, last.glyph.text == " " {
            current.removeLast()
            used -= last.glyph.width
        }
        lines.append(runs(of: current))
        current = []
        used = 0
    }
    func startContinuation() {
        endLine()
        if indent > 0 { current = Array(repeating: (Glyph(" ", width: 1), StyleRole.normal), count: indent) }
        used = indent
    }
    for w in words {
        let total = w.reduce(0) { $0 + $1.glyph.width }
        let trailing = w.reversed().prefix { $0.glyph.text == " " }.reduce(0) { $0 + $1.glyph.width }
        if used + total - trailing > width, used > indent, total - trailing <= width - indent { startContinuation() }
        if used + total - trailing <= width {
            current += w
            used += total
            continue
        }
        // A word longer than a line: split it where the line ends.
        for cell in w {
            if used + cell.glyph.width > width, cell.glyph.text != " " { startContinuation() }
            current.append(cell)
            used += cell.glyph.width
        }
    }
    if !current.isEmpty || lines.isEmpty { endLine() }
    return lines
}

/// Glyphs as spans, one per run of the same role.
private func runs(of cells: [(glyph: Glyph, role: StyleRole)]) -> Line {
    var line: Line = []
    for c in cells {
        if let last = line.last, last.role == c.role {
            line[line.count - 1].glyphs.append(c.glyph)
        } else {
            line.append(Span(glyphs: [c.glyph], role: c.role))
        }
    }
    return line
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
