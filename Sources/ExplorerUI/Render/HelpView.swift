/// The help overlay, generated from `KeyMap.bindings`.
enum HelpView {
    static func lines(_ s: ExplorerState) -> [Line] {
        var lines: [Line] = []
        for context in KeyContext.allCases {
            let rows = KeyMap.bindings.filter { $0.context == context }
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append([]) }
            lines.append([Span(context.title, .header)])
            for binding in rows {
                let reason = binding.disabledReason(s)
                var line: Line = [Span(Format.left(binding.keyNames, 16), reason == nil ? .mark : .dim), Span(binding.description, reason == nil ? .normal : .dim)]
                if let reason { line.append(Span("  (\(reason))", .dim)) }
                lines.append(line)
            }
        }
        return lines
    }

    static func draw(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        drawOverlay(lines(s), scroll: s.helpScroll, &b)
    }

    /// The help lines of the blind screen: its keys and the shared help keys.
    static func blindLines(_ s: BlindState) -> [Line] {
        var lines: [Line] = []
        for context in [KeyContext.blind, .blindReport, .help] {
            let rows = BlindKeyMap.bindings.filter { $0.context == context }
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append([]) }
            lines.append([Span(context.title, .header)])
            for binding in rows {
                let reason = binding.disabledReason(s)
                var line: Line = [Span(Format.left(binding.keyNames, 16), reason == nil ? .mark : .dim), Span(binding.description, reason == nil ? .normal : .dim)]
                if let reason { line.append(Span("  (\(reason))", .dim)) }
                lines.append(line)
            }
        }
        return lines
    }

    /// A framed box over the middle of the screen with `body` scrolled by `scroll`.
    static func drawOverlay(_ body: [Line], scroll: Int, _ b: inout ScreenBuffer) {
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
        b.scrollLimit = max(0, body.count - (h - 2))
    }
}
