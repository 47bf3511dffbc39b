import SAEKit

/// The help overlay: a framed, scrolled box over the middle of the screen, listing key bindings
/// (greyed with the reason where disabled) and any extra sections a program adds.
enum HelpOverlay {
    /// One section per context, in the order given.
    static func lines<State, A>(_ bindings: [KeyBindingOf<State, A>], contexts: [KeyContext], state: State) -> [Line] {
        var lines: [Line] = []
        for context in contexts {
            let rows = bindings.filter { $0.context == context }
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append([]) }
            lines.append([Span(context.title, .header)])
            for binding in rows {
                let reason = binding.disabledReason(state)
                var line: Line = [
                    Span(Format.left(binding.keyNames, 16), reason == nil ? .mark : .dim),
                    Span(binding.description, reason == nil ? .normal : .dim)
                ]
                if let reason { line.append(Span("  (\(reason))", .dim)) }
                lines.append(line)
            }
        }
        return lines
    }

    /// The box's inner size for a screen of `size` (the body scrolls within it).
    static func bodyHeight(_ size: TerminalSize) -> Int { max(1, size.height - 4) }
    static func bodyWidth(_ size: TerminalSize) -> Int { min(size.width, 84) - 4 }

    /// Largest useful scroll offset of `body` on a screen of `size`.
    static func scrollLimit(_ body: [Line], size: TerminalSize) -> Int { max(0, body.count - bodyHeight(size)) }

    static func draw(_ body: [Line], scroll: Int, _ b: inout ScreenBuffer) {
        let w = min(b.width, 84), h = b.height - 2
        let x = (b.width - w) / 2, y = 1
        guard w > 10, h > 4 else { return }
        b.fill(x: x, y: y, width: w, height: h, role: .normal)
        let sym = b.symbols
        b.put(sym.corners.0 + String(repeating: sym.horizontal, count: w - 2) + sym.corners.1, x: x, y: y, role: .dim)
        b.put(sym.corners.2 + String(repeating: sym.horizontal, count: w - 2) + sym.corners.3, x: x, y: y + h - 1, role: .dim)
        for row in 1..<(h - 1) {
            b.put(sym.vertical, x: x, y: y + row, role: .dim)
            b.put(sym.vertical, x: x + w - 1, y: y + row, role: .dim)
        }
        b.put(" keys (j/k scroll, ? or Esc closes) ", x: x + 2, y: y, role: .header)
        b.draw(body, scroll: scroll, x: x + 2, y: y + 1, width: w - 4, height: h - 2)
    }
}
