import Foundation
import Testing
import SAEKit

/// docs/ANALYSIS.md carries the glossary the help overlay shows; this keeps the copy current.
struct GlossaryDocsTests {
    @Test func analysisDocGlossaryIsCurrent() throws {
        let path = Repo.path("docs/ANALYSIS.md")
        var doc = try String(contentsOfFile: path, encoding: .utf8)
        let begin = "<!-- GLOSSARY:BEGIN -->\n", end = "<!-- GLOSSARY:END -->"
        let a = try #require(doc.range(of: begin)), b = try #require(doc.range(of: end))
        if ProcessInfo.processInfo.environment["SAEX_RECORD_SNAPSHOTS"] == "1" {
            doc.replaceSubrange(a.upperBound..<b.lowerBound, with: Glossary.markdown())
            try doc.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            String(doc[a.upperBound..<b.lowerBound]) == Glossary.markdown(),
            "docs/ANALYSIS.md's glossary is stale: run SAEX_RECORD_SNAPSHOTS=1 swift test --filter GlossaryDocsTests")
    }

    /// The hint's line states the rule's thresholds as NormDetectorRule.standard has them.
    @Test func hintEntryStatesTheRulesThresholds() throws {
        let hint = try #require(Glossary.entries.first { $0.term == "~n" })
        #expect(
            hint.meaning.contains("at least 10 tokens") && hint.meaning.contains("top-norm mass ≥ 0.50")
                && hint.meaning.contains("ρ(act) ≥ 0.50") && hint.meaning.contains("norm AUC ≥ 0.75"))
    }
}
