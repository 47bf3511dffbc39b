import Foundation
import Testing

/// The tie-aware comparisons the demo tests rely on: they forgive float32 ties and nothing else.
struct Float32TiesTests {
    typealias C = (sequence: Int, position: Int, value: Double)

    static let reference: [C] = [(1, 1, 9.0), (2, 2, 8.0), (3, 3, 7.0), (4, 4, 7.00001), (5, 5, 6.0), (6, 6, 5.0)].map {
        ($0.0, $0.1, $0.2)
    }

    @Test func identicalTopListsAgree() {
        #expect(Float32Ties.compareTop(saex: Self.reference, reference: Self.reference, full: true).isEmpty)
    }

    @Test func tiedNeighboursMaySwap() {
        var saex = Self.reference
        saex.swapAt(2, 3)  // 7.0 and 7.00001 agree to 1.4e-6 relative
        #expect(Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
    }

    @Test func untiedNeighboursMayNot() {
        var saex = Self.reference
        saex.swapAt(0, 1)  // 9 and 8
        #expect(Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).count == 2)
    }

    @Test func anUnlistedContextMayTakeTheLastPlaceOnlyWhenTied() {
        var saex = Self.reference
        saex[5] = (7, 7, 5.00004)  // not in the reference's list, tied with its last value 5.0
        #expect(Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
        // Not when the reference listed every active token, and not when the value is not tied.
        #expect(!Float32Ties.compareTop(saex: saex, reference: Self.reference, full: false).isEmpty)
        saex[5] = (7, 7, 5.001)
        #expect(!Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
        // Nor in an earlier place.
        saex = Self.reference
        saex[4] = (7, 7, 6.00001)
        #expect(!Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
    }

    @Test func valuesMustAgreeToEps() {
        var saex = Self.reference
        saex[1].value = 8.0 * (1 + 5e-6)
        #expect(Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
        saex[1].value = 8.0 * (1 + 5e-5)
        #expect(!Float32Ties.compareTop(saex: saex, reference: Self.reference, full: true).isEmpty)
    }

    @Test func spearmanMatchesScipy() {
        // scipy.stats.spearmanr([1, 2, 2, 4, 3], [5, 6, 7, 8, 7]) = 0.9210526315789475
        let r = Float32Ties.spearman([1, 2, 2, 4, 3], [5, 6, 7, 8, 7])!
        #expect(abs(r - 0.9210526315789475) < 1e-12)
        #expect(Float32Ties.spearman([1, 1, 1], [1, 2, 3]) == nil)
    }

    @Test func spearmanRangeIsAPointWithoutTies() {
        let v: [Double] = [1, 3, 2, 5, 4, 7, 6]
        let n: [Double] = [10, 20, 30, 40, 50, 60, 70]
        let range = Float32Ties.spearmanRange(values: v, norms: n)
        let r = Float32Ties.spearman(v, n)!
        #expect(abs(range.lowerBound - r) < 1e-12 && abs(range.upperBound - r) < 1e-12)
    }

    @Test func spearmanRangeCoversTiedOrdersAndNothingMore() {
        // Values 2 and 2.00001 are tied: the reference may order them either way.
        let v: [Double] = [1, 2.00001, 2, 5, 4]
        let n: [Double] = [10, 20, 30, 40, 50]
        let range = Float32Ties.spearmanRange(values: v, norms: n)
        let swapped = Float32Ties.spearman([1, 2, 2.00001, 5, 4], n)!
        let asIs = Float32Ties.spearman(v, n)!
        #expect(range.contains(swapped) && range.contains(asIs))
        // An order that needs an untied pair swapped (1 and 2) falls outside: 0.6.
        #expect(!range.contains(Float32Ties.spearman([2, 2.00001, 1, 5, 4], n)!))
    }

    @Test func spearmanRangeCoversFloat32NormTies() {
        // Norms 20 and 20 are equal in float32; the reference has them in some order.
        let v: [Double] = [1, 2, 3, 4]
        let range = Float32Ties.spearmanRange(values: v, norms: [10, 20, 20, 40])
        #expect(range.contains(Float32Ties.spearman(v, [10, 20, 20.5, 40])!))
        #expect(range.contains(Float32Ties.spearman(v, [10, 20.5, 20, 40])!))
        #expect(!range.contains(Float32Ties.spearman(v, [40, 20, 20.5, 10])!))
    }
}
