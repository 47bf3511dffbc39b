import ExplorerUI
import Foundation
import SAEKit
import Testing

/// A labels file shared by several raters: the explorer edits the current rater's labels and
/// shows the others' (read-only) on the detail page and as a count in compare.
struct OtherRatersTests {
    @Test func theDetailPageShowsOtherRatersLabelsAndEditsOnlyYours() throws {
        let demo = try DemoWithLabels("saex-raters-")
        defer { demo.remove() }
        let (labelsPath, source) = (demo.labels, demo.source)
        let key = FeatureKey(fingerprint: source.dictionaries[0].fingerprint, feature: 7)

        for (rater, label) in [
            ("ann", FeatureLabel(verdict: .normDetector, concept: "big [CLS] norms", rating: .no, author: "ann")),
            (
                "zoe",
                FeatureLabel(
                    verdict: .interpretable, concept: "sentence ends", notes: "fires on . ! ?",
                    author: "zoe", provenance: .blind)
            )
        ] {
            let store = try LabelStore(path: labelsPath, rater: rater)
            try store.setLabel(label, for: key)
            store.close()
        }
        // An empty label of a third rater is not shown.
        let cleared = try LabelStore(path: labelsPath, rater: "quincy")
        try cleared.setLabel(FeatureLabel(verdict: .unsure, author: "quincy"), for: key)
        try cleared.setLabel(nil, for: key)
        cleared.close()

        let store = try LabelStore(path: labelsPath, rater: "bob")
        defer { store.close() }
        #expect(store.othersLabels[key]?.map(\.rater) == ["ann", "zoe"])
        let session = ExplorerSession(
            source: source, labels: store, options: ExplorerOptions(initialFeature: 7),
            size: TerminalSize(width: 120, height: 40))
        session.settle()
        func screen() -> String { (0..<40).map { session.frame().rowText($0) }.joined(separator: "\n") }
        var page = screen()
        #expect(page.contains("other raters (2, read-only)"), "\(page)")
        #expect(page.contains("ann  norm detector  rating no  concept big [CLS] norms"), "\(page)")
        #expect(page.contains("zoe  interpretable  concept sentence ends  (blind)  notes fires on . ! ?"), "\(page)")
        #expect(!page.contains("quincy"))

        // Bob's verdict is his own: ann's and zoe's labels are untouched, on screen and on disk.
        session.press(.char("1"))
        session.settle()
        page = screen()
        #expect(page.contains("label interpretable") && page.contains("other raters (2, read-only)"), "\(page)")
        let onDisk = try LabelStore(path: labelsPath, readOnly: true).everyLabel
        #expect(onDisk.label(key, by: "bob")?.verdict == .interpretable)
        #expect(onDisk.label(key, by: "ann")?.concept == "big [CLS] norms")
        #expect(onDisk.label(key, by: "zoe")?.verdict == .interpretable)

        // Compare shows the count beside bob's label.
        session.press(.char("c"))
        session.settle()
        page = screen()
        #expect(page.contains("+2 other raters"), "\(page)")
    }

    @Test func aBookWithoutACurrentRaterHasNoOthers() throws {
        let dir = try makeTemporaryFolder("saex-raters-")
        defer { removeFolder(dir) }
        let path = dir + "/x.labels"
        let key = FeatureKey(fingerprint: "f", feature: 1)
        let ann = try LabelStore(path: path, rater: "ann")
        try ann.setLabel(FeatureLabel(verdict: .unsure, author: "ann"), for: key)
        ann.close()
        let anyone = try LabelStore(path: path, readOnly: true)
        #expect(anyone.othersLabels.isEmpty)
        let ann2 = try LabelStore(path: path, readOnly: true, rater: "ann")
        #expect(ann2.othersLabels.isEmpty)
    }
}
