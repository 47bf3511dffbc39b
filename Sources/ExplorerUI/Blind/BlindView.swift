import SAEKit

/// Draws the blind A/B screen. It is given no feature source, only the state, which knows items by
/// opaque id: no dictionary name, feature index or statistic can reach it. Context values and
/// interval bounds are not printed either (their scale differs between encoders); tokens are
/// shaded by activation relative to the item's strongest one.
enum BlindView {
    static func render(_ state: BlindState, size: TerminalSize, asciiOnly: Bool) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: size.width, height: size.height, asciiOnly: asciiOnly)
        guard size.width > 0, size.height > 0 else { return buffer }
        if Chrome.drawTooSmall(minimum: BlindProgram.minimumSize, &buffer) { return buffer }
        title(state, &buffer)
        switch state.screen {
        case .item: drawItem(state, &buffer)
        case .report: drawReport(state, &buffer)
        }
        Chrome.drawHints(BlindKeyMap.hints(for: state), state: state, &buffer)
        status(state, &buffer)
        if state.showHelp { HelpOverlay.draw(helpLines(state), scroll: state.helpScroll, &buffer) }
        return buffer
    }

    /// The help lines of the blind screen: its keys and the shared help keys.
    static func helpLines(_ s: BlindState) -> [Line] {
        HelpOverlay.lines(BlindKeyMap.bindings, contexts: [.blind, .blindReport, .help], state: s)
    }

    static func helpScrollLimit(_ s: BlindState) -> Int {
        HelpOverlay.scrollLimit(helpLines(s), size: TerminalSize(width: s.width, height: s.height))
    }

    /// The largest useful scroll offset of the item's contexts or the report.
    static func scrollLimit(_ s: BlindState) -> Int {
        switch s.screen {
        case .item:
            let lines = contextLines(
                s.currentID.flatMap { s.contexts.peek($0) }, window: s.window, width: s.width, marker: Symbols.unicode.marker)
            return max(0, lines.count - BlindLayout.bodyHeight(height: s.height))
        case .report:
            return max(0, reportLines(s, width: s.width).count - BlindLayout.reportHeight(height: s.height))
        }
    }

    /// Title and the progress bar (answered/total), always on row 0.
    static func title(_ s: BlindState, _ b: inout ScreenBuffer) {
        b.fill(x: 0, y: 0, width: b.width, height: 1, role: .header)
        let name = " saex blind A/B"
        b.put(name, x: 0, y: 0, role: .header)
        let count = " \(s.answeredCount)/\(s.total) answered "
        let barWidth = max(4, min(30, b.width - name.count - count.count - 3))
        let filled = s.total == 0 ? 0 : min(barWidth, s.answeredCount * barWidth / s.total)
        let (full, empty) = b.asciiOnly ? ("#", "-") : ("█", "░")
        let x = b.width - count.count - barWidth - 1
        b.put(String(repeating: full, count: filled), x: x, y: 0, role: .header)
        b.put(String(repeating: empty, count: barWidth - filled), x: x + filled, y: 0, role: .header)
        b.put(count, x: x + barWidth, y: 0, role: .header)
    }

    static let labelWidth = 25

    static func verdictName(_ v: Verdict, short: Bool) -> String {
        guard short else { return VerdictDisplay.name(v) }
        switch v {
        case .interpretable: return "interp"
        case .normDetector: return "norm"
        case .uninterpretable: return "uninterp"
        case .polysemantic: return "poly"
        case .unsure: return "unsure"
        }
    }

    /// One option of a choice row: its key, then its name; the chosen one is highlighted (same width).
    static func option(_ key: String, _ name: String, chosen: Bool) -> [Span] {
        chosen ? [Span(" \(key) \(name) ", .selected)] : [Span(" \(key)", .mark), Span(" \(name) ")]
    }

    /// The answer panel (rows 1-3), a rule, then the contexts.
    static func drawItem(_ s: BlindState, _ b: inout ScreenBuffer) {
        let d = s.draft
        var rating: Line = [Span(Format.left("Can you name a concept?", labelWidth))]
        for (key, r) in [("y", Rating.yes), ("m", .maybe), ("n", .no)] { rating += option(key, r.rawValue, chosen: d.rating == r) }
        b.draw(rating, x: 0, y: 1, maxWidth: b.width)

        let fullWidth = labelWidth + Verdict.allCases.reduce(0) { $0 + VerdictDisplay.name($1).count + 4 } + 7
        let short = fullWidth > b.width
        var verdict: Line = [Span(Format.left("Verdict (optional)", labelWidth), .dim)]
        for (i, v) in Verdict.allCases.enumerated() {
            verdict += option(String(i + 1), verdictName(v, short: short), chosen: d.verdict == v)
        }
        verdict += [Span(" 0", .mark), Span(" none", .dim)]
        b.draw(verdict, x: 0, y: 2, maxWidth: b.width)

        var concept: Line = [Span(Format.left("Concept (optional, e)", labelWidth), .dim)]
        if s.conceptEditor != nil {
            concept.append(Span(" editing below…", .dim))
        } else if d.concept.isEmpty {
            concept.append(Span(" none", .dim))
        } else {
            concept.append(Span(" " + d.concept, .mark))
        }
        b.draw(concept, x: 0, y: 3, maxWidth: b.width)
        b.put(String(repeating: b.symbols.horizontal, count: b.width), x: 0, y: 4, role: .dim)

        let lines = contextLines(s.currentID.flatMap { s.contexts.peek($0) }, window: s.window, width: b.width, marker: b.symbols.marker)
        b.draw(lines, scroll: s.scroll, x: 0, y: BlindLayout.bodyTop, width: b.width, height: BlindLayout.bodyHeight(height: b.height))
    }

    /// The item's contexts without any number: top contexts, samples across the activation range,
    /// random active examples; tokens shaded relative to the item's strongest activation.
    static func contextLines(_ loaded: Loaded<FeatureContexts>?, window: ContextWindow, width: Int, marker: String) -> [Line] {
        loadedLines(loaded, "contexts") { c in
            let all = c.top + c.intervals.flatMap(\.examples) + c.random
            let strongest = all.map(\.value).max() ?? 0
            func add(_ ctx: TokenContext, to lines: inout [Line]) {
                let spans = [Span(" " + marker + " ", .dim)] + DetailView.contextSpans(ctx, window: window, maxActivation: strongest)
                lines += wrap(spans, width: width, indent: 3)
            }
            var lines: [Line] = [[Span("Top contexts, strongest first (window \(window.title))", .header)]]
            if c.top.isEmpty { lines.append([Span("  none", .dim)]) }
            for ctx in c.top { add(ctx, to: &lines) }
            lines.append([])
            lines.append([Span("Across the activation range, weakest first", .header)])
            let groups = c.intervals.filter { !$0.examples.isEmpty }
            if groups.isEmpty { lines.append([Span("  none", .dim)]) }
            for (i, g) in groups.enumerated() {
                lines.append([Span("  band \(i + 1) of \(groups.count)", .dim)])
                for ctx in g.examples { add(ctx, to: &lines) }
            }
            lines.append([])
            lines.append([Span("Random active examples", .header)])
            if c.random.isEmpty { lines.append([Span("  none", .dim)]) }
            for ctx in c.random { add(ctx, to: &lines) }
            return lines
        }
    }

    static func reportLines(_ s: BlindState, width: Int) -> [Line] {
        switch s.report {
        case .ready(let text)?:
            var lines: [Line] = [[Span("Every item is answered; the report names the dictionaries:", .header)], []]
            for row in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lines += wrapWords(String(row), width: width, indent: 2)
            }
            return lines
        case .failed(let error)?:
            return [[Span("report unavailable: " + error, .warning)]]
        case nil, .loading?:
            return [[Span("computing the report…", .dim)]]
        }
    }

    static func drawReport(_ s: BlindState, _ b: inout ScreenBuffer) {
        b.draw(
            reportLines(s, width: b.width), scroll: s.reportScroll, x: 0, y: 1, width: b.width,
            height: BlindLayout.reportHeight(height: b.height))
    }

    /// What the screen says about the current item's answer.
    static func answerStatus(_ s: BlindState) -> (String, StyleRole) {
        if s.saving != nil { return ("saving…", .hint) }
        if let saved = s.currentAnswer {
            return saved == s.draft ? ("saved", .mark) : ("changed, NOT saved", .warning)
        }
        if s.draft.verdict != nil || !s.draft.concept.isEmpty { return ("draft, not saved", .hint) }
        return ("not answered", .dim)
    }

    static func status(_ s: BlindState, _ b: inout ScreenBuffer) {
        let y = b.height - 1
        if let editor = s.conceptEditor {
            Chrome.drawPrompt("concept: ", editor: editor, &b)
            return
        }
        var x = b.put(s.screen == .report ? " REPORT " : " BLIND ", x: 0, y: y, role: .selected)
        let badge = x
        if s.screen == .item {
            x += b.put(" item \(s.position + 1)/\(s.total)  ", x: x, y: y, role: .normal)
            let (text, role) = answerStatus(s)
            b.put(text, x: x, y: y, role: role)
        } else {
            b.put(" \(s.answeredCount) of \(s.total) answered", x: x, y: y, role: .normal)
        }
        if let m = s.message { Chrome.drawMessage(m, after: badge, y: y, &b) }
    }
}
