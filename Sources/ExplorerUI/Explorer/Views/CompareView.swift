import SAEKit

/// A feature beside its matches in another dictionary.
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
        let rightX = half + 1

        let leftStats = s.stats(c.left)
        var left: [Line] = [[Span("\(s.tables[c.left.dict].descriptor.name) #\(c.left.feature)", .header)], DetailView.labelLine(s, c.left)]
        left += summary(leftStats, width: half)
        left.append([])
        left += DetailView.contextSection(s.contexts.peek(c.left), window: s.window, maxActivation: leftStats.maxActivation, width: half, compact: true)

        var right: [Line] = [[Span("matches in \(s.tables[c.other].descriptor.name)", .header)]]
        switch s.matches.peek(MatchKey(ref: c.left, other: c.other)) {
        case nil, .loading?:
            right.append([Span("loading matches…", .dim)])
        case .failed(let error)?:
            right.append([Span("matches unavailable: " + error, .warning)])
        case .ready(let matches)?:
            if matches.isEmpty { right.append([Span("no matches", .dim)]) }
            for (i, m) in matches.enumerated() {
                let text = "\(i == c.matchIndex ? symbols.marker : " ") #\(m.feature)  cos \(Format.number(m.decoderCosine, 3))  corr \(Format.number(m.activationCorrelation, 3))\(m.mutual ? "  mutual" : "")"
                right.append([Span(text, i == c.matchIndex ? .selected : .normal)])
            }
            if c.matchIndex < matches.count {
                let m = matches[c.matchIndex]
                let ref = FeatureRef(dict: c.other, feature: m.feature)
                let st = s.stats(ref)
                right.append([])
                right.append([Span("\(s.tables[c.other].descriptor.name) #\(m.feature)", .header)])
                right.append(DetailView.labelLine(s, ref))
                right += summary(st, width: width - rightX)
                right.append([])
                right += DetailView.contextSection(s.contexts.peek(ref), window: s.window, maxActivation: st.maxActivation, width: width - rightX, compact: true)
            }
        }
        return (left, right)
    }

    static func summary(_ st: FeatureStats, width: Int) -> [Line] {
        let spans: [Span] = [
            Span("alpha ", .dim), Span(Format.number(st.alpha, 2) + "  "), Span("elast ", .dim), Span(Format.number(st.elasticity, 2) + "  "),
            Span("ρ(act) ", .dim), Span(Format.number(st.normSpearmanActive, 2) + "  "), Span("density ", .dim), Span(Format.percent(st.density) + "  "),
            Span("max ", .dim), Span(Format.number(st.maxActivation, 2)),
        ]
        var lines = wrap(spans, width: width, indent: 0)
        if st.normDetectorHint { lines.append([Span("norm-detector hint", .warning)]) }
        if st.dead { lines.append([Span("dead", .warning)]) }
        return lines
    }
}
