import SAEKit

/// One feature: statistics, charts and contexts, as a scrolled body.
enum DetailView {
    static func draw(_ s: ExplorerState, _ d: DetailState, _ b: inout ScreenBuffer) {
        let lines = self.lines(s, ref: d.ref, width: b.width, symbols: b.symbols)
        b.draw(lines, scroll: d.scroll, x: 0, y: 1, width: b.width, height: ExplorerLayout.bodyHeight(height: b.height))
    }

    /// The label in one line (verdict, concept, notes): where space is short (compare's panes).
    /// With other raters' labels of the feature, their count follows unless `countOthers` is false
    /// (the detail page lists them instead).
    static func labelLine(_ s: ExplorerState, _ ref: FeatureRef, countOthers: Bool = true) -> Line {
        let others = countOthers ? s.othersLabels(for: ref).count : 0
        let more: Line = others == 0 ? [] : [Span("  +\(others) other rater\(others == 1 ? "" : "s")", .dim)]
        guard let label = s.label(for: ref), !label.isEmpty else {
            return [Span.field("label"), Span(s.readOnlyLabels ? "none (read-only)" : "none", .dim)] + more
        }
        var line: Line = [Span.field("label"), Span(label.verdict.map(VerdictDisplay.name) ?? "no verdict", .mark)]
        if !label.concept.isEmpty { line += [Span("  "), Span.field("concept"), Span(Format.preview(label.concept))] }
        line += more
        if !label.notes.isEmpty { line += [Span("  "), Span.field("notes"), Span(Format.preview(label.notes))] }
        return line
    }

    /// The label on the detail page: verdict and concept, then the notes in full, wrapped (each of
    /// their lines on its own).
    static func labelLines(_ s: ExplorerState, _ ref: FeatureRef, width: Int) -> [Line] {
        guard let label = s.label(for: ref), !label.notes.isEmpty else {
            return wrap(labelLine(s, ref, countOthers: false), width: width, indent: 2)
        }
        var head: Line = [Span.field("label"), Span(label.verdict.map(VerdictDisplay.name) ?? "no verdict", .mark)]
        if !label.concept.isEmpty { head += [Span("  "), Span.field("concept"), Span(label.concept)] }
        var lines = wrap(head, width: width, indent: 2)
        lines.append([Span("notes", .dim)])
        for paragraph in label.notes.split(separator: "\n", omittingEmptySubsequences: false) {
            lines += wrapWords("  " + String(paragraph), width: width, indent: 2)
        }
        return lines
    }

    /// Other raters' labels of the feature, one wrapped entry each: rater, verdict, rating,
    /// concept, where the label came from and the notes' first line. Nothing when there are none.
    static func othersLines(_ s: ExplorerState, _ ref: FeatureRef, width: Int) -> [Line] {
        let others = s.othersLabels(for: ref)
        guard !others.isEmpty else { return [] }
        var lines: [Line] = [[Span("other raters (\(others.count), read-only)", .dim)]]
        for other in others {
            let l = other.label
            var line: Line = [
                Span("  "), Span(Format.preview(other.rater.isEmpty ? "(no author)" : other.rater), .mark), Span("  "),
                Span(l.verdict.map(VerdictDisplay.name) ?? "no verdict")
            ]
            if let r = l.rating { line += [Span("  "), Span.field("rating"), Span(r.rawValue)] }
            if !l.concept.isEmpty { line += [Span("  "), Span.field("concept"), Span(Format.preview(l.concept))] }
            if l.provenance == .blind { line.append(Span("  (blind)", .dim)) }
            if !l.notes.isEmpty { line += [Span("  "), Span.field("notes"), Span(Format.preview(l.notes))] }
            lines += wrap(line, width: width, indent: 4)
        }
        return lines
    }

    /// Statistics lines; nil values read "n/a".
    static func statLines(_ st: FeatureStats, descriptor: DictionaryDescriptor, width: Int) -> [Line] {
        func pair(_ name: String, _ value: String) -> [Span] { [Span.field(name), Span(value + "   ")] }
        var rows: [[Span]] = [
            pair("alpha", Format.number(st.alpha, 3)) + pair("elasticity", Format.number(st.elasticity, 3))
                + pair("density", Format.percent(st.density)) + pair("dead", st.dead ? "yes" : "no"),
            pair("max", Format.number(st.maxActivation, 3)) + pair("mean", Format.number(st.meanActivation, 4))
                + pair("top-norm mass", Format.number(st.topNormMass, 3)),
            pair("norm ρ (Spearman)", Format.number(st.normSpearman, 3)) + pair("Pearson", Format.number(st.normPearson, 3))
                + pair("active ρ", Format.number(st.normSpearmanActive, 3)) + pair("active r", Format.number(st.normPearsonActive, 3)),
            pair("‖dec‖", Format.number(st.decoderNorm, 3)) + pair("‖enc‖", Format.number(st.encoderNorm, 3))
                + pair("cos(enc,dec)", Format.number(st.encoderDecoderCosine, 3)),
            pair("single-token conc.", Format.number(st.singleTokenConcentration, 3))
                + pair("special-token conc.", Format.number(st.specialTokenConcentration, 3))
        ]
        if !descriptor.hasNorms { rows.append([Span("norm statistics unavailable: this cache has no input norms", .warning)]) }
        return rows.flatMap { wrap($0, width: width, indent: 2) } + hintLines(st, width: width)
    }

    /// The norm-detector hint with its inputs beside the rule's thresholds: whether it fired, and why.
    static func hintLines(_ st: FeatureStats, width: Int) -> [Line] {
        let r = NormDetectorRule.standard
        func v(_ x: Float?) -> String { Format.number(x, 2) }
        // Each input reads "name value ≥ threshold" on one line.
        func held(_ text: String, _ role: StyleRole = .normal) -> Span {
            var s = Span(text, role)
            s.keepsWithNext = true
            return s
        }
        func input(_ name: String, _ value: String, _ threshold: String) -> [Span] {
            [held(name + " "), held(value + " "), held("≥ " + threshold, .dim)]
        }
        let head: Line = [
            Span(st.normDetectorHint ? "norm-detector hint" : "no norm-detector hint", st.normDetectorHint ? .warning : .dim),
            Span(" (a hint, never a label), from:", .dim)
        ]
        let inputs: [Span] =
            input("active", st.activeCount.map(String.init) ?? "n/a", "\(r.minimumActive)") + [Span(", ")]
            + input("top-norm mass", v(st.topNormMass), v(r.topNormMassThreshold)) + [Span(", or ")]
            + input("ρ(act)", v(st.normSpearmanActive), v(r.activeSpearmanThreshold)) + [Span(" and ")]
            + input("norm AUC", v(st.normAUC), v(r.aucThreshold))
        return wrap(head, width: width, indent: 2) + wrap([Span("  ")] + inputs, width: width, indent: 2)
    }

    /// The tokens of a context inside `window`, shaded by activation / `maxActivation`, peak marked.
    static func contextSpans(_ ctx: TokenContext, window: ContextWindow, maxActivation: Float) -> [Span] {
        let count = min(ctx.tokens.count, ctx.activations.count)
        guard count > 0 else { return [Span("(empty)", .dim)] }
        let peak = max(0, min(count - 1, ctx.peakIndex))
        var lower = 0, upper = count - 1
        if let r = window.radius {
            lower = max(0, peak - r)
            upper = min(count - 1, peak + r)
        }
        let top = maxActivation > 0 ? maxActivation : (ctx.activations.max() ?? 1)
        var spans: [Span] = []
        if lower > 0 { spans.append(Span("…", .dim)) }
        for i in lower...upper {
            let a = ctx.activations[i]
            let role: StyleRole
            if i == peak {
                role = .peak
            } else if a > 0, top > 0 {
                role = .ramp(max(0, min(7, Int(a / top * 8))))
            } else {
                role = .normal
            }
            // Spaces show as '·' only where they matter: inside highlighted tokens (so the exact
            // extent of what fired is visible) and in whitespace-only tokens; elsewhere text reads normally.
            let token = ctx.tokens[i]
            spans.append(Span(token, role, visibleSpaces: a > 0 || token.allSatisfy(\.isWhitespace)))
        }
        if upper < count - 1 { spans.append(Span("…", .dim)) }
        return spans
    }

    static func contextLines(_ ctx: TokenContext, window: ContextWindow, maxActivation: Float, width: Int) -> [Line] {
        let prefix = Span(Format.right(Format.number(ctx.value, 2), 8) + "  ", .dim)
        return wrap([prefix] + contextSpans(ctx, window: window, maxActivation: maxActivation), width: width, indent: 10)
    }

    /// Context sections for `contexts` (top, intervals, random), or a loading / error line.
    static func contextSection(
        _ loaded: Loaded<FeatureContexts>?, window: ContextWindow, maxActivation: Float, width: Int, compact: Bool = false
    ) -> [Line] {
        loadedLines(loaded, "contexts") { c in
            var lines: [Line] = [[Span("Top contexts (window \(window.title))", .header)]]
            if c.top.isEmpty { lines.append([Span("  none (the feature never fired)", .dim)]) }
            for ctx in c.top { lines += contextLines(ctx, window: window, maxActivation: maxActivation, width: width) }
            if compact { return lines }
            lines.append([])
            lines.append([Span("Interval groups", .header)])
            if c.intervals.isEmpty { lines.append([Span("  none", .dim)]) }
            for g in c.intervals {
                lines.append([
                    Span("  \(Format.number(g.lower, 2)) to \(Format.number(g.upper, 2))", .mark),
                    Span("  contains \(Format.percent(g.contains, 1))", .dim)
                ])
                for ctx in g.examples { lines += contextLines(ctx, window: window, maxActivation: maxActivation, width: width) }
            }
            lines.append([])
            lines.append([Span("Random examples", .header)])
            if c.random.isEmpty { lines.append([Span("  none", .dim)]) }
            for ctx in c.random { lines += contextLines(ctx, window: window, maxActivation: maxActivation, width: width) }
            return lines
        }
    }

    static func chartLines(_ loaded: Loaded<ActivationSample>?, descriptor: DictionaryDescriptor, width: Int, symbols: Symbols) -> [Line] {
        loadedLines(loaded, "activation sample") { sample in
            if sample.values.isEmpty { return [[Span("no activations to plot (the feature never fired)", .dim)]] }
            let half = max(12, (width - 4) / 2)
            let plotWidth = max(4, half - 9)
            let maxValue = sample.values.max() ?? 1
            let hist = Histogram(
                lower: 0, upper: Double(max(maxValue, 1e-6)), bins: plotWidth, values: sample.values.map { Optional(Double($0)) }
            ).counts
            let left = Charts.bars(
                hist, height: 6, xLow: "0", xHigh: Format.number(maxValue, 2),
                title: "activation histogram (\(sample.values.count))", symbols: symbols,
                axes: "x: activation, y: count")
            let right: [Line]
            if let norms = sample.norms, !norms.isEmpty {
                right = Charts.scatter(
                    xs: norms, ys: sample.values, width: plotWidth, height: 6, xLabel: "‖x‖", yLabel: "activation",
                    title: "activation vs input norm", symbols: symbols)
            } else {
                right = [
                    [Span("activation vs input norm", .header)], [Span("unavailable:", .warning)],
                    [Span("this cache has no input norms", .warning)]
                ]
            }
            if width < 2 * half + 2 { return left + [[]] + right }
            var lines: [Line] = []
            for i in 0..<max(left.count, right.count) {
                var line = i < left.count ? left[i] : []
                let used = line.reduce(0) { $0 + $1.width }
                line.append(Span(String(repeating: " ", count: max(1, half - used + 2))))
                if i < right.count { line += right[i] }
                lines.append(line)
            }
            return lines
        }
    }

    /// Nearest features of the same dictionary by decoder cosine, with their label and top tokens.
    static func neighbourSection(_ s: ExplorerState, ref: FeatureRef, width: Int, symbols: Symbols) -> [Line] {
        let header: Line = [Span("Nearest in \(s.tables[ref.dict].descriptor.name) (decoder cosine)", .header)]
        return [header]
            + loadedLines(s.neighbours.peek(ref), "neighbours", indent: "  ") { list in
                var lines: [Line] = []
                if list.isEmpty { lines.append([Span("  none", .dim)]) }
                for m in list where m.feature != ref.feature {
                    let other = FeatureRef(dict: ref.dict, feature: m.feature)
                    var line: Line = [Span(Format.right("#\(m.feature)", 9) + "  cos " + Format.number(m.decoderCosine, 3) + "  ", .normal)]
                    if let v = s.label(for: other)?.verdict { line.append(Span(VerdictDisplay.mark(v) + " ", .mark)) }
                    let st = s.stats(other)
                    if st.dead { line.append(Span("(dead)", .dim)) }
                    for (i, token) in st.topTokens.enumerated() {
                        if i > 0 { line.append(Span(" " + symbols.vertical + " ", .dim)) }
                        line.append(Span(TokenPreview.trimmed(token), .normal, visibleSpaces: true))
                    }
                    lines.append(line)
                }
                return lines
            }
    }

    static func lines(_ s: ExplorerState, ref: FeatureRef, width: Int, symbols: Symbols) -> [Line] {
        let descriptor = s.tables[ref.dict].descriptor
        let st = s.stats(ref)
        var lines: [Line] = [[Span("feature \(ref.feature)", .header), Span("  \(descriptor.name)", .dim)]]
        lines += labelLines(s, ref, width: width)
        lines += othersLines(s, ref, width: width)
        lines.append([])
        lines += statLines(st, descriptor: descriptor, width: width)
        lines.append([])
        lines += chartLines(s.samples.peek(ref), descriptor: descriptor, width: width, symbols: symbols)
        lines.append([])
        lines += LogitView.section(s.contexts.peek(ref), width: width, symbols: symbols)
        lines += contextSection(s.contexts.peek(ref), window: s.window, maxActivation: st.maxActivation, width: width)
        lines.append([])
        lines += neighbourSection(s, ref: ref, width: width, symbols: symbols)
        return lines
    }
}
