import SAEKit

/// A feature's logit effects: the tokens whose logits its decoder direction raises and lowers most
/// (a cache built with --unembed, an imported dashboard's pos_str/neg_str). The detail page shows
/// them in full, compare's panes in a few lines; both draw a token the same way. Nothing shows
/// when the contexts are not loaded or the source has none.
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
                lines.append(
                    [Span("  ")] + entry(i < l.positive.count ? l.positive[i] : nil) + [Span(symbols.vertical, .dim)]
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

    /// Below this pane width the compact form drops its header and names its lines "logit+" and
    /// "logit-" instead.
    static let compactHeaderWidth = 30

    /// Compare's form, for a half-width pane: a header with the largest and smallest effect, then
    /// one line of tokens raised and one of tokens lowered, strongest first, as many as fit.
    static func compact(_ loaded: Loaded<FeatureContexts>?, width: Int, symbols: Symbols) -> [Line] {
        guard let l = effects(loaded) else { return [] }
        guard width >= compactHeaderWidth else {
            return [
                tokenLine("logit+", l.positive, width: width, symbols: symbols),
                tokenLine("logit-", l.negative, width: width, symbols: symbols)
            ]
        }
        var header: Line = [Span("Logit effects", .header)]
        var range: Line = []
        if let top = l.positive.first { range += [Span("  "), Span.field("max"), Span(Format.number(top.value, 2))] }
        if let bottom = l.negative.first { range += [Span("  "), Span.field("min"), Span(Format.number(bottom.value, 2))] }
        if (header + range).reduce(0, { $0 + $1.width }) <= width { header += range }
        return [
            header, tokenLine("raises", l.positive, width: width, symbols: symbols),
            tokenLine("lowers", l.negative, width: width, symbols: symbols)
        ]
    }

    /// `name`, then the tokens in order two spaces apart, each cut to half the line (12 columns when
    /// that is less): whole tokens while they fit (only the first is cut further, to fit), then an
    /// ellipsis for the ones left out.
    static func tokenLine(_ name: String, _ tokens: [TokenLogit], width: Int, symbols: Symbols) -> Line {
        var line: Line = [Span(name + " ", .dim)]
        guard !tokens.isEmpty else { return line + [Span("none", .dim)] }
        let more: Line = [Span("  "), Span(symbols.ellipsis, .dim)]
        let moreWidth = more.reduce(0) { $0 + $1.width }
        var used = line[0].width
        let cap = max(12, (width - used) / 2)
        for (i, t) in tokens.enumerated() {
            let gap = i == 0 ? 0 : 2
            let room = width - used - gap - (i == tokens.count - 1 ? 0 : moreWidth)
            let span = token(t.token, room: i == 0 ? max(2, min(cap, room)) : cap, symbols: symbols)
            if i > 0, span.width > room { return line + more }
            if gap > 0 { line.append(Span("  ")) }
            line.append(span)
            used += gap + span.width
        }
        return line
    }
}
