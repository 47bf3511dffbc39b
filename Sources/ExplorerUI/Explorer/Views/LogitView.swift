import SAEKit

/// A feature's logit effects: the tokens whose logits its decoder direction raises and lowers most
/// (a cache built with --unembed, an imported dashboard's pos_str/neg_str), as the detail page
/// shows them. Nothing shows when the contexts are not loaded or the source has none.
enum LogitView {
    /// The effects carried by loaded contexts, when there are any.
    static func effects(_ loaded: Loaded<FeatureContexts>?) -> LogitEffects? {
        guard case .ready(let c)? = loaded, let l = c.logits, !l.isEmpty else { return nil }
        return l
    }

    /// One token as both views show it: sanitised, spaces visible, and when it is wider than
    /// `room` columns, cut before the first glyph that does not fit and ended by an ellipsis.
    static func token(_ text: String, room: Int, symbols: Symbols) -> Span {
        let span = Span(text, .normal, visibleSpaces: true)
        guard span.width > room else { return span }
        var kept: [Glyph] = [], used = 0
        for g in span.glyphs {
            if used + g.width > room - 1 { break }
            kept.append(g)
            used += g.width
        }
        return Span(glyphs: kept + TerminalText.sanitize(symbols.ellipsis), role: .normal)
    }

    /// The detail page's section: every token with its value, raised | lowered side by side when
    /// there is room, else one list after the other.
    static func section(_ loaded: Loaded<FeatureContexts>?, width: Int, symbols: Symbols) -> [Line] {
        guard let l = effects(loaded) else { return [] }
        let columns = width >= 56 ? 2 : 1
        let cell = columns == 2 ? (width - 4) / 2 : width - 2
        func entry(_ t: TokenLogit?) -> [Span] {
            guard let t else { return [Span(String(repeating: " ", count: cell))] }
            let value = Span(Format.right(Format.number(t.value, 3), 9) + "  ", .dim)
            let room = max(1, cell - value.width)
            let shown = Self.token(t.token, room: room, symbols: symbols)
            return [value, shown, Span(String(repeating: " ", count: max(0, room - shown.width)))]
        }
        var lines: [Line] = [[Span("Logit effects", .header), Span("  tokens the decoder direction raises | lowers most", .dim)]]
        if columns == 2 {
            for i in 0..<max(l.positive.count, l.negative.count) {
                lines.append([Span("  ")] + entry(i < l.positive.count ? l.positive[i] : nil) + [Span(symbols.vertical, .dim)]
                             + entry(i < l.negative.count ? l.negative[i] : nil))
            }
        } else {
            lines.append([Span("  raises", .dim)])
            lines += l.positive.map { [Span("  ")] + entry($0) }
            lines.append([Span("  lowers", .dim)])
            lines += l.negative.map { [Span("  ")] + entry($0) }
        }
        return lines + [[]]
    }
}
