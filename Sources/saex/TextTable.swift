/// A plain-text table for the terminal: columns padded to their widest cell (the last column is
/// not padded), numbers right-aligned, every cell made terminal-safe by the caller. Widths are
/// display columns, so wide characters in tokens keep the columns aligned.
import SAEKit

enum TextTable {
    static func render(header: [String], rows: [[String]], leftAligned: Set<Int>) -> String {
        var widths = header.map(TerminalText.width)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], TerminalText.width(c)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                if i == cells.count - 1 { return c }
                let pad = String(repeating: " ", count: max(0, widths[i] - TerminalText.width(c)))
                return leftAligned.contains(i) ? c + pad : pad + c
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
