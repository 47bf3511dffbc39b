import SAEKit

/// A feature beside its best matches in another dictionary. Each side shows its statistics, the
/// tokens it raises and lowers most (logit effects, when the source has them), its
/// activation-vs-norm scatter (both on the same axes), and its top contexts with the other
/// feature's activations on the same tokens underneath: the shared evidence.
enum CompareView {
    static func draw(_ s: ExplorerState, _ c: CompareState, _ b: inout ScreenBuffer) {
        let half = (b.width - 1) / 2
        let rightX = half + 1
        let height = ExplorerLayout.bodyHeight(height: b.height)
        for y in 1...height { b.put(b.symbols.vertical, x: half, y: y, role: .dim) }
        let (left, right) = columns(s, c, width: b.width, symbols: b.symbols)
        b.draw(left, scroll: c.scroll, x: 0, y: 1, width: half, height: height)
        b.draw(right, scroll: c.scroll, x: rightX, y: 1, width: b.width - rightX, height: height)
    }

    /// The two columns' lines (the taller sets the scroll limit).
    static func columns(_ s: ExplorerState, _ c: CompareState, width: Int, symbols: Symbols) -> ([Line], [Line]) {
        let half = (width - 1) / 2
        let rightWidth = width - half - 1
        let right = s.rightFeature(c)
        let axes = sharedAxes(s, [c.left] + (right.map { [$0] } ?? []))
        var left = side(s, c.left, other: right, focused: c.focus == .left, width: half, symbols: symbols, axes: axes)
        var rightLines = matchList(s, c, width: rightWidth, symbols: symbols)
        if let right {
            rightLines.append([])
            rightLines += side(s, right, other: c.left, focused: c.focus == .right, width: rightWidth, symbols: symbols, axes: axes)
        }
        if left.isEmpty { left = [[]] }
        return (left, rightLines)
    }

    /// The ranked matches, each with both scores, the ranking's score and the mutual flag.
    static func matchList(_ s: ExplorerState, _ c: CompareState, width: Int, symbols: Symbols) -> [Line] {
        let header = wrap(
            [
                Span("matches in \(s.tables[c.other].descriptor.name)", .header),
                Span(" by \(ExplorerViews.rankingName(c.ranking)) (m)", .dim)
            ], width: width, indent: 2)
        return header
            + loadedLines(s.matches.peek(c.matchKey), "matches") { neighbourhood in
                var lines: [Line] = []
                let ranked = neighbourhood.ranked(c.ranking)
                if ranked.isEmpty { lines.append([Span("no matches", .dim)]) }
                for (i, m) in ranked.enumerated() {
                    let selected = i == c.matchIndex
                    var text = "\(selected ? symbols.marker : " ")" + Format.right("#\(m.feature)", 7)
                    text += "  cos " + Format.number(m.decoderCosine, 2) + "  corr " + Format.number(m.activationCorrelation, 2)
                    if c.ranking == .combined { text += "  both " + Format.number(c.ranking.score(m), 2) }
                    if m.mutual { text += "  mutual" }
                    lines.append([Span(text, selected ? .selected : .normal)])
                }
                return lines
            }
    }

    /// One side: name (marked when focused), label, statistics, logit effects, scatter, and top
    /// contexts with the other feature's activations on the same tokens.
    static func side(
        _ s: ExplorerState, _ ref: FeatureRef, other: FeatureRef?, focused: Bool, width: Int, symbols: Symbols,
        axes: (x: ClosedRange<Float>, y: ClosedRange<Float>)
    ) -> [Line] {
        let st = s.stats(ref)
        let name = "\(s.tables[ref.dict].descriptor.name) #\(ref.feature)"
        var lines: [Line] = [
            [Span(focused ? symbols.marker + " " : "  ", .mark), Span(name, focused ? .selected : .header)],
            DetailView.labelLine(s, ref)
        ]
        lines += summary(st, width: width, logits: LogitView.compact(s.contexts.peek(ref), width: width, symbols: symbols))
        lines.append([])
        lines += scatter(s, ref, width: width, symbols: symbols, axes: axes)
        lines.append([])
        lines.append([Span("Top contexts (window \(s.window.title))", .header)])
        guard case .ready(let contexts)? = s.contexts.peek(ref) else {
            lines += DetailView.contextSection(
                s.contexts.peek(ref), window: s.window, maxActivation: st.maxActivation, width: width, compact: true)
            return lines
        }
        if contexts.top.isEmpty { lines.append([Span("  none (the feature never fired)", .dim)]) }
        let evidence = other.flatMap { s.evidence.peek(EvidenceKey(subject: $0, anchor: ref)) }
        let otherMax = other.map { s.stats($0).maxActivation } ?? 0
        for (i, ctx) in contexts.top.enumerated() {
            lines += DetailView.contextLines(ctx, window: s.window, maxActivation: st.maxActivation, width: width)
            guard let other else { continue }
            switch evidence {
            case .ready(let shared)? where i < shared.count:
                let e = shared[i]
                let prefix = Span(
                    Format.right("#\(other.feature)", 7) + " " + Format.right(Format.number(e.value, 2), 6) + " ",
                    e.value > 0 ? .mark : .dim)
                lines += wrap([prefix] + DetailView.contextSpans(e, window: s.window, maxActivation: otherMax), width: width, indent: 15)
            case .failed(let error)?:
                if i == 0 { lines.append([Span("  the other feature on these tokens: " + error, .warning)]) }
            case .ready?:
                break
            case nil, .loading?:
                if i == 0 { lines.append([Span("  loading the other feature on these tokens…", .dim)]) }
            }
        }
        return lines
    }

    /// The axes both scatters share: every loaded sample's norms and values.
    static func sharedAxes(_ s: ExplorerState, _ refs: [FeatureRef]) -> (x: ClosedRange<Float>, y: ClosedRange<Float>) {
        let samples = refs.compactMap { s.samples.peek($0)?.value }
        return (Charts.span(samples.flatMap { $0.norms ?? [] }, floor: nil), Charts.span(samples.flatMap(\.values), floor: 0))
    }

    static func scatter(
        _ s: ExplorerState, _ ref: FeatureRef, width: Int, symbols: Symbols,
        axes: (x: ClosedRange<Float>, y: ClosedRange<Float>)
    ) -> [Line] {
        loadedLines(s.samples.peek(ref), "activation sample") { sample in
            guard let norms = sample.norms else { return [[Span("activation vs input norm: this cache has no input norms", .warning)]] }
            if sample.values.isEmpty { return [[Span("no activations to plot (the feature never fired)", .dim)]] }
            return Charts.scatter(
                xs: norms, ys: sample.values, width: max(4, min(60, width - 9)), height: 5, xLabel: "‖x‖", yLabel: "activation",
                title: "activation vs input norm (same axes both sides)", symbols: symbols, xRange: axes.x, yRange: axes.y)
        }
    }

    /// The statistics in a few wrapped lines, then `logits` (read beside the other side's before
    /// the longer hint), the norm-detector hint and the dead flag.
    static func summary(_ st: FeatureStats, width: Int, logits: [Line]) -> [Line] {
        let spans: [Span] = [
            Span.field("alpha"), Span(Format.number(st.alpha, 2) + "  "), Span.field("elast"), Span(Format.number(st.elasticity, 2) + "  "),
            Span.field("ρ(act)"), Span(Format.number(st.normSpearmanActive, 2) + "  "), Span.field("density"),
            Span(Format.percent(st.density) + "  "),
            Span.field("max"), Span(Format.number(st.maxActivation, 2))
        ]
        var lines = wrap(spans, width: width, indent: 0) + logits
        lines += DetailView.hintLines(st, width: width)
        if st.dead { lines.append([Span("dead", .warning)]) }
        return lines
    }
}
