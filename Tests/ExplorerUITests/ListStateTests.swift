import Testing
@testable import ExplorerUI
import SAEKit

@Suite struct ListStateTests {
    func checkInvariants(_ l: ListState, sourceLocation: SourceLocation = #_sourceLocation) {
        if l.count == 0 {
            #expect(l.selected == 0 && l.top == 0, sourceLocation: sourceLocation)
        } else {
            #expect((0..<l.count).contains(l.selected), sourceLocation: sourceLocation)
            #expect(l.top <= l.selected && l.selected < l.top + l.viewport, sourceLocation: sourceLocation)
            #expect(l.top >= 0 && l.top <= max(0, l.count - l.viewport), sourceLocation: sourceLocation)
        }
    }

    @Test func movesAndScrolls() {
        var l = ListState(count: 100, viewport: 10)
        l.move(by: 1)
        #expect(l.selected == 1 && l.top == 0)
        l.move(by: 9)
        #expect(l.selected == 10 && l.top == 1)
        l.move(by: -100)
        #expect(l.selected == 0 && l.top == 0)
        l.end()
        #expect(l.selected == 99 && l.top == 90)
        checkInvariants(l)
    }

    @Test func pagesKeepTheRowOffset() {
        var l = ListState(count: 100, viewport: 10)
        l.move(by: 3)
        l.pageDown()
        #expect(l.selected == 13 && l.top == 10)
        l.pageUp()
        #expect(l.selected == 3 && l.top == 0)
        l.end()
        l.pageDown()
        #expect(l.selected == 99)
        l.home()
        l.pageUp()
        #expect(l.selected == 0 && l.top == 0)
    }

    @Test func emptyAndShrinking() {
        var l = ListState(count: 0, viewport: 10)
        l.move(by: 5)
        l.pageDown()
        l.end()
        checkInvariants(l)
        l.setCount(50)
        l.end()
        l.setCount(5)
        #expect(l.selected == 4 && l.top == 0)
        l.setCount(0)
        checkInvariants(l)
    }

    @Test func jumpCentres() {
        var l = ListState(count: 131_072, viewport: 36)
        l.jump(to: 65_000)
        #expect(l.selected == 65_000 && l.top == 65_000 - 18)
        l.jump(to: 131_071)
        #expect(l.top == 131_072 - 36)
        l.setViewport(100)
        checkInvariants(l)
    }

    /// Seeded, so a failure replays: each seed is its own case.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomOperationsKeepInvariants(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var l = ListState(count: 37, viewport: 7)
        for _ in 0..<2000 {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: l.move(by: Int.random(in: -50...50, using: &rng))
            case 1: l.pageDown()
            case 2: l.pageUp()
            case 3: l.setCount(Int.random(in: 0...60, using: &rng))
            case 4: l.setViewport(Int.random(in: 0...20, using: &rng))
            case 5: l.jump(to: Int.random(in: -5...70, using: &rng))
            case 6: l.home()
            default: l.end()
            }
            checkInvariants(l)
        }
    }
}
