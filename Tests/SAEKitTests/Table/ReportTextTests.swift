import Testing
@testable import SAEKit

/// Figures as `saex summary` and `saex report` print them.
struct ReportTextTests {
    /// A tiny negative share or difference printed "-0.0%" (found by the report's CLI test).
    @Test func valuesThatRoundToZeroHaveNoMinusSign() {
        #expect(ComparisonReport.percent(-0.0001) == "0.0%")
        #expect(ComparisonReport.percent(-0.0006) == "-0.1%")
        #expect(ComparisonReport.percent(0.1234) == "12.3%")
        #expect(ComparisonReport.percent(nil) == "n/a")
        var tiny = ProportionDifference(Proportion(0, of: 0), Proportion(0, of: 0))
        (tiny.difference, tiny.lower, tiny.upper, tiny.fisherP) = (-0.0002, -0.0004, 0.05, 1)
        #expect(ComparisonReport.difference(tiny) == "+0.0% [0.0%, 5.0%], Fisher p 1")
    }
}
