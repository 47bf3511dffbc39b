import SAEKit

/// What a cell means; the backend's theme turns roles into colours or attributes.
public enum StyleRole: Hashable, Sendable, CustomStringConvertible {
    case normal, header, selected, dim, peak, warning, hint, mark
    /// Activation shading, 0 (faint) ... 7 (near the maximum).
    case ramp(Int)

    public var description: String {
        switch self {
        case .normal: "normal"
        case .header: "header"
        case .selected: "selected"
        case .dim: "dim"
        case .peak: "peak"
        case .warning: "warning"
        case .hint: "hint"
        case .mark: "mark"
        case .ramp(let level): "ramp\(level)"
        }
    }

    /// Every role, for building a colour table.
    public static let all: [StyleRole] = [.normal, .header, .selected, .dim, .peak, .warning, .hint, .mark] + (0...7).map { .ramp($0) }
}

/// One terminal cell. A wide glyph occupies its cell (width 2) and the next one (width 0, empty text).
public struct Cell: Equatable, Sendable {
    public var text: String
    public var width: UInt8
    public var role: StyleRole

    public init(text: String = " ", width: UInt8 = 1, role: StyleRole = .normal) {
        self.text = text
        self.width = width
        self.role = role
    }

    public static let blank = Cell()
}

/// A grid of cells the pure renderer draws into and the backend diffs against the previous frame.
///
/// Every string put into the buffer goes through `TerminalText.sanitize`, so data cannot reach the
/// terminal unsanitised. With `asciiOnly` (a non-UTF-8 locale) every non-ASCII glyph becomes '?'.
public struct ScreenBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var cells: [Cell]
    public var asciiOnly: Bool
    /// Where the terminal cursor should be shown (an input field), or nil to hide it.
    public var cursor: (x: Int, y: Int)?

    public init(width: Int, height: Int, asciiOnly: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
        self.asciiOnly = asciiOnly
    }

    public static func == (a: ScreenBuffer, b: ScreenBuffer) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursor?.x == b.cursor?.x && a.cursor?.y == b.cursor?.y
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Drawing characters for this buffer's charset.
    public var symbols: Symbols { asciiOnly ? .ascii : .unicode }

    /// Writes glyphs from (x, y), clipped at `x + maxWidth` and the right edge; returns the columns used.
    /// A wide glyph that does not fit is replaced by a space.
    @discardableResult
    public mutating func put(glyphs: [Glyph], x: Int, y: Int, role: StyleRole, maxWidth: Int = Int.max) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = maxWidth >= width ? width : min(width, x + max(0, maxWidth))
        var column = x
        for g in asciiOnly ? glyphs.flatMap(Self.asciiFallback) : glyphs {
            if column >= limit { break }
            if column < 0 {
                column += g.width
                continue
            }
            if g.width == 2 {
                if column + 1 >= limit {
                    self[column, y] = Cell(text: " ", width: 1, role: role)
                    column += 1
                    break
                }
                clearWideNeighbours(x: column, y: y, span: 2)
                self[column, y] = Cell(text: g.text, width: 2, role: role)
                self[column + 1, y] = Cell(text: "", width: 0, role: role)
                column += 2
            } else {
                clearWideNeighbours(x: column, y: y, span: 1)
                self[column, y] = Cell(text: g.text, width: 1, role: role)
                column += 1
            }
        }
        return max(0, column - x)
    }

    /// Writes `text` (sanitised here) from (x, y); returns the columns used.
    @discardableResult
    public mutating func put(
        _ text: String, x: Int, y: Int, role: StyleRole = .normal, maxWidth: Int = Int.max, visibleSpaces: Bool = false
    ) -> Int {
        put(glyphs: TerminalText.sanitize(text, visibleSpaces: visibleSpaces), x: x, y: y, role: role, maxWidth: maxWidth)
    }

    /// Overwriting half of a wide glyph leaves the other half as a blank.
    private mutating func clearWideNeighbours(x: Int, y: Int, span: Int) {
        if self[x, y].width == 0, x > 0, self[x - 1, y].width == 2 {
            self[x - 1, y] = Cell(text: " ", width: 1, role: self[x - 1, y].role)
        }
        let end = x + span - 1
        if self[end, y].width == 2, end + 1 < width {
            self[end + 1, y] = Cell(text: " ", width: 1, role: self[end + 1, y].role)
        }
    }

    /// ASCII stand-ins for a non-UTF-8 locale: placeholders keep their meaning, other glyphs keep their width.
    static func asciiFallback(_ g: Glyph) -> [Glyph] {
        guard g.text.unicodeScalars.contains(where: { $0.value > 0x7E }) else { return [g] }
        let mapped: String? =
            switch g.text {
            case TerminalText.visibleSpace: "_"
            case TerminalText.newline: "$"
            case TerminalText.tab: ">"
            case TerminalText.replacement: "?"
            case "…": "~"
            case "↑": "^"
            case "↓": "v"
            case "±": "+-"
            case "ρ": "rho"  // "r" is Pearson's
            case "‖": "|"
            default: nil
            }
        if let mapped { return mapped.map { Glyph(String($0), width: 1) } }
        if let v = g.text.unicodeScalars.first?.value, (0x2400...0x2421).contains(v) { return [Glyph("^", width: 1)] }  // control pictures
        return Array(repeating: Glyph("?", width: 1), count: max(1, g.width))
    }

    /// Fills a rectangle with spaces of `role`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, role: StyleRole) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            if x0 > 0, self[x0, row].width == 0, self[x0 - 1, row].width == 2 {
                self[x0 - 1, row] = Cell(text: " ", width: 1, role: self[x0 - 1, row].role)
            }
            if x1 < width, self[x1, row].width == 0 { self[x1, row] = Cell(text: " ", width: 1, role: self[x1, row].role) }
            for column in x0..<x1 { self[column, row] = Cell(text: " ", width: 1, role: role) }
        }
    }

    /// Sets the role of existing cells (e.g. to highlight a row) without changing their text.
    public mutating func setRole(_ role: StyleRole, x: Int, y: Int, width w: Int) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<max(max(0, x), min(width, x + w)) { self[column, y].role = role }
    }

    /// The text of row `y` (wide glyphs once, trailing spaces kept).
    public func rowText(_ y: Int) -> String {
        var s = ""
        for x in 0..<width where self[x, y].width != 0 { s += self[x, y].text }
        return s
    }

    /// A debug dump for snapshot tests: each row's text between bars, then its runs of roles as
    /// `start-end:role` (columns, inclusive), omitting `normal` runs.
    public func debugDump() -> String {
        var lines: [String] = ["size \(width)x\(height)" + (cursor.map { " cursor \($0.x),\($0.y)" } ?? "")]
        for y in 0..<height {
            lines.append("|" + rowText(y) + "|")
            var runs: [String] = []
            var start = 0
            while start < width {
                let role = self[start, y].role
                var end = start
                while end + 1 < width, self[end + 1, y].role == role { end += 1 }
                if role != .normal { runs.append("\(start)-\(end):\(role)") }
                start = end + 1
            }
            if !runs.isEmpty { lines.append("  " + runs.joined(separator: " ")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ScreenBuffer: CustomStringConvertible {
    /// Short, so failing test expectations do not print every cell; use `debugDump()` for content.
    public var description: String { "ScreenBuffer(\(width)x\(height))" }
}

/// Drawing characters: Unicode box drawing, blocks and braille, or an ASCII fallback.
public struct Symbols: Sendable {
    public var vertical: String
    public var horizontal: String
    public var corners: (String, String, String, String)
    /// Bar heights 1/8 ... 8/8.
    public var bars: [String]
    public var ellipsis: String
    public var brailleScatter: Bool
    public var marker: String

    public static let unicode = Symbols(
        vertical: "│", horizontal: "─", corners: ("┌", "┐", "└", "┘"),
        bars: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], ellipsis: "…", brailleScatter: true, marker: "▸")
    public static let ascii = Symbols(
        vertical: "|", horizontal: "-", corners: ("+", "+", "+", "+"),
        bars: [".", ".", "-", "-", "=", "=", "#", "#"], ellipsis: "~", brailleScatter: false, marker: ">")
}
