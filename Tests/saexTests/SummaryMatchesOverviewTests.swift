import ExplorerUI
import Foundation
import SAEKit
import Testing

/// The overview and `saex summary --format json` are one source: with the same cache and labels
/// they give exactly the same figures.
struct SummaryMatchesOverviewTests {
    @Test func summaryJSONEqualsTheOverviewsReport() throws {
        let demo = try DemoWithLabels("saex-summary-")
        defer { demo.remove() }
        let (cache, labelsPath, source) = (demo.cache, demo.labels, demo.source)

        // Labels on both sides, every verdict, so the label fractions and their difference are
        // exercised; a second rater on some of the same features, so the agreement is too.
        let other = try LabelStore(path: labelsPath, rater: "u")
        for (d, descriptor) in source.dictionaries.enumerated() {
            for f in stride(from: d, to: 140, by: 7) {
                try other.setLabel(
                    FeatureLabel(verdict: f % 14 == 0 ? .interpretable : .unsure, author: "u"),
                    for: FeatureKey(fingerprint: descriptor.fingerprint, feature: f))
            }
        }
        other.close()
        let store = try LabelStore(path: labelsPath, rater: "t")
        let verdicts: [Verdict] = [.interpretable, .interpretable, .normDetector, .uninterpretable, .polysemantic, .unsure]
        var changes: [(key: FeatureKey, label: FeatureLabel?)] = []
        for (d, descriptor) in source.dictionaries.enumerated() {
            for f in stride(from: d, to: 400, by: 7) {
                let label = FeatureLabel(
                    verdict: verdicts[(f / 7 + d) % verdicts.count], concept: "c\(f)", author: "t",
                    created: Date(timeIntervalSince1970: 0), updated: Date(timeIntervalSince1970: 0))
                changes.append((FeatureKey(fingerprint: descriptor.fingerprint, feature: f), label))
            }
        }
        try store.setLabels(changes)

        let session = ExplorerSession(source: source, labels: store, options: ExplorerOptions(), size: TerminalSize(width: 120, height: 40))
        session.settle()
        session.send(.show(.overview))
        session.settle()
        guard case .ready(let shown)? = session.state.report else {
            Issue.record("the overview did not compute its report: \(String(describing: session.state.report))")
            return
        }
        #expect(shown.dictionaries.allSatisfy { ($0.labels?.labelled ?? 0) > 50 })
        // The reconstruction beside the sparsity: FVU next to mean L0 on each dictionary's first line.
        #expect(shown.dictionaries.allSatisfy { $0.fvu != nil })
        let first = (0..<40).map { session.frame().rowText($0) }
        for d in shown.dictionaries {
            let fvu = try #require(d.fvu), l0 = try #require(d.meanL0)
            let line =
                "features \(d.featureCount)  dead \(d.deadCount)  mean L0 \(String(format: "%.1f", l0))  "
                + "FVU \(String(format: "%.4f", fvu))"
            #expect(first.contains { $0.contains(line) }, "no \"\(line)\" in\n\(first.joined(separator: "\n"))")
        }
        #expect(shown.agreement?.allSatisfy { $0.verdict.units > 0 } == true)
        let page = (1...30).map { _ -> String in
            session.press(.pageDown)
            return (0..<40).map { session.frame().rowText($0) }.joined(separator: "\n")
        }.joined(separator: "\n")
        #expect(page.contains("inter-rater agreement, standard:") && page.contains("Cohen's kappa"))

        let r = try CLI.run(["summary", cache, "--format", "json", "--labels", labelsPath])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try JSONDecoder().decode(ComparisonReport.self, from: Data(r.stdout.utf8))
        #expect(printed == shown)
        // And the text form prints the same label figures.
        let text = try CLI.run(["summary", cache, "--labels", labelsPath])
        let interpretable = try #require(shown.dictionaries.first?.labels?.interpretable)
        #expect(text.stdout.contains("\(interpretable.count)/\(interpretable.total)"), "\(text.stdout)")
    }
}
