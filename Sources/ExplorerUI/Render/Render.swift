import SAEKit

/// A terminal size in cells.
public struct TerminalSize: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// Draws the state into a new screen buffer. Pure: reads the source only for the visible list rows'
/// stats and the focused features' stats; contexts, samples and matches come from the state's caches.
public func render(_ state: ExplorerState, source: any FeatureSource, size: TerminalSize, asciiOnly: Bool = false) -> ScreenBuffer {
    var buffer = ScreenBuffer(width: size.width, height: size.height, asciiOnly: asciiOnly)
    let w = size.width, h = size.height
    guard w > 0, h > 0 else { return buffer }
    if Chrome.drawTooSmall(&buffer) { return buffer }
    var list = state.list
    list.setViewport(Layout.listViewport(height: h))
    Chrome.title(state, &buffer)
    switch state.screen {
    case .list: ListView.draw(state, list: list, source: source, &buffer)
    case .detail: DetailView.draw(state, source: source, &buffer)
    case .compare: CompareView.draw(state, source: source, &buffer)
    case .overview: OverviewView.draw(state, &buffer)
    }
    Chrome.hints(state, &buffer)
    Chrome.status(state, &buffer)
    if state.showHelp { HelpView.draw(state, &buffer) }
    return buffer
}

/// Title, hint and status rows.
enum Chrome {
    /// Below the minimum size, draws a note instead of the screen and returns true.
    static func drawTooSmall(_ b: inout ScreenBuffer) -> Bool {
        let w = b.width, h = b.height
        guard w < Layout.minimumWidth || h < Layout.minimumHeight else { return false }
        let lines = ["terminal too small:", "\(w)x\(h), need at least", "\(Layout.minimumWidth)x\(Layout.minimumHeight).", "q quits"]
        for (i, line) in lines.enumerated() where i < h {
            b.put(line, x: 0, y: i, role: i == 0 ? .warning : .normal)
        }
        return true
    }

    static func screenName(_ s: ExplorerState) -> String {
        switch s.screen {
        case .list: "LIST"
        case .detail: "DETAIL"
        case .compare: "COMPARE"
        case .overview: "OVERVIEW"
        }
    }

    static func title(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        b.fill(x: 0, y: 0, width: b.width, height: 1, role: .header)
        var text = " " + s.title
        if !s.dictionaries.isEmpty {
            let d = s.dictionaries[s.dict]
            text += " | \(d.name) (\(d.architecture), \(d.featureCount) features"
            text += s.dictionaries.count > 1 ? ", \(s.dict + 1)/\(s.dictionaries.count))" : ")"
        }
        b.put(text, x: 0, y: 0, role: .header, maxWidth: b.width)
    }

    static func hints(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        drawHints(KeyMap.hints(for: s), state: s, &b)
    }

    /// The hint row (second from the bottom): each binding's first key and hint, while they fit.
    static func drawHints<State, BoundAction>(_ bindings: [KeyBindingOf<State, BoundAction>], state: State, _ b: inout ScreenBuffer) {
        let y = b.height - 2
        var x = 0
        for binding in bindings {
            guard let key = binding.keys.first else { continue }
            let label = key.description
            let text = binding.hint ?? binding.description
            let needed = TerminalText.width(label) + 1 + text.count + 2
            if x + needed > b.width { break }
            let disabled = binding.disabledReason(state) != nil
            x += b.put(label, x: x, y: y, role: disabled ? .dim : .mark)
            x += b.put(" " + text + "  ", x: x, y: y, role: disabled ? .dim : .hint)
        }
    }

    static func status(_ s: ExplorerState, _ b: inout ScreenBuffer) {
        let y = b.height - 1
        if let input = s.input {
            let prompt: String = switch input.kind {
            case .search: "search: "
            case .jump: "jump to feature: "
            case .alphaThreshold: "show features with alpha > "
            case .label(let key, .concept): "concept of \(key.feature): "
            case .label(let key, .notes): "notes of \(key.feature): "
            }
            var x = b.put(prompt, x: 0, y: y, role: .mark)
            let field = max(2, b.width - x - 1)
            let (glyphs, cursor) = input.editor.visible(width: field)
            b.put(glyphs: glyphs, x: x, y: y, role: .normal, maxWidth: field)
            b.cursor = (x + cursor, y)
            x += field
            if let m = s.message, m.isError, input.saving == false, case .label = input.kind {
                // Keep the error visible above the prompt while the edit is kept.
                b.fill(x: 0, y: y - 1, width: b.width, height: 1, role: .normal)
                b.put(m.text, x: 0, y: y - 1, role: .warning)
            }
            return
        }
        var left = " \(screenName(s)) "
        var x = b.put(left, x: 0, y: y, role: .selected)
        let badge = x
        left = ""
        if s.list.count > 0 || s.screen == .list {
            left += " feature \(s.list.count == 0 ? 0 : s.list.selected + 1)/\(s.list.count)"
            if let f = s.selectedFeature { left += " (#\(f.feature))" }
        }
        if s.screen == .compare, let c = s.compare { left = " #\(c.left.feature) \(s.dictionaries[c.left.dict].name) vs \(s.dictionaries[c.other].name)" }
        if s.screen == .list || s.screen == .detail {
            left += "  sort \(s.sort.column.title)\(s.sort.descending ? "↓" : "↑")"
            if s.filter != .all { left += "  filter: \(s.filter.title)" }
            if !s.search.isEmpty { left += "  search: \"\(s.search)\"" }
            if s.orderPending { left += "  sorting…" }
        }
        if s.readOnlyLabels { left += "  read-only" } else if s.savesInFlight > 0 { left += "  saving…" }
        x += b.put(left, x: x, y: y, role: .normal)
        if let m = s.message { drawMessage(m, after: badge, y: y, &b) }
    }

    /// A status message, right-aligned; a long one covers the position text rather than being cut.
    static func drawMessage(_ m: StatusMessage, after badge: Int, y: Int, _ b: inout ScreenBuffer) {
        let text = TerminalText.sanitize(m.text)
        let width = text.reduce(0) { $0 + $1.width }
        let start = max(badge + 2, b.width - width - 1)
        b.fill(x: start - 1, y: y, width: b.width - start + 1, height: 1, role: .normal)
        b.put(glyphs: text, x: start, y: y, role: m.isError ? .warning : .hint, maxWidth: b.width - start)
    }
}
