/// Selection and scrolling of a virtual list: a plain state machine over indices, with no rows.
///
/// Invariants after every operation (tested): when `count == 0`, `selected == 0` and `top == 0`;
/// otherwise `0 <= selected < count`, `top <= selected < top + viewport`, and
/// `0 <= top <= max(0, count - viewport)`. Cost is O(1) whatever the count.
public struct ListState: Equatable, Sendable {
    public private(set) var count: Int
    public private(set) var selected: Int
    /// Index of the first visible row.
    public private(set) var top: Int
    public private(set) var viewport: Int

    public init(count: Int = 0, viewport: Int = 1) {
        self.count = max(0, count)
        self.viewport = max(1, viewport)
        selected = 0
        top = 0
    }

    public mutating func setCount(_ n: Int) {
        count = max(0, n)
        clamp()
    }

    public mutating func setViewport(_ h: Int) {
        viewport = max(1, h)
        clamp()
    }

    public mutating func select(_ index: Int) {
        selected = index
        clamp()
    }

    /// Selects `index` and scrolls so it sits near the middle (used by jumps).
    public mutating func jump(to index: Int) {
        selected = index
        top = index - viewport / 2
        clamp()
    }

    public mutating func move(by delta: Int) {
        selected = selected &+ delta
        clamp()
    }

    public mutating func pageDown() {
        let oldOffset = selected - top
        selected += viewport
        top += viewport
        clampTop()
        selected = min(max(0, count - 1), top + oldOffset)
        clamp()
    }

    public mutating func pageUp() {
        let oldOffset = selected - top
        top -= viewport
        clampTop()
        selected = top + oldOffset
        clamp()
    }

    public mutating func home() { select(0) }
    public mutating func end() { select(count - 1) }

    /// The visible index range.
    public var visibleRange: Range<Int> { top..<min(count, top + viewport) }

    private mutating func clampTop() { top = max(0, min(top, count - viewport)) }

    private mutating func clamp() {
        guard count > 0 else {
            selected = 0
            top = 0
            return
        }
        selected = max(0, min(selected, count - 1))
        if selected < top { top = selected }
        if selected >= top + viewport { top = selected - viewport + 1 }
        clampTop()
    }
}
