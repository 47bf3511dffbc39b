import Foundation
@testable import SAEKit

/// A fresh empty folder under the system temporary folder.
func makeTemporaryFolder(_ tag: String = #function) throws -> String {
    let clean = tag.filter { $0.isLetter || $0.isNumber }.prefix(40)
    let dir = NSTemporaryDirectory() + "/saex-labels-test-" + clean + "-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A fresh empty folder (as `makeTemporaryFolder` makes it) and the path of a labels file `name`
/// inside it, not yet written.
func makeLabelsFolder(_ name: String = "labels.jsonl", tag: String = #function) throws -> (dir: String, path: String) {
    let dir = try makeTemporaryFolder(tag)
    return (dir, dir + "/" + name)
}

/// Text that tends to break serialisers: newlines, CR, quotes, backslashes, emoji with joiners,
/// combining marks, right-to-left text, U+2028, tabs, commas.
let awkwardTexts = [
    "plain",
    "line one\nline two\r\nline three\rend",
    "quotes \"double\" and 'single', commas, and \\backslashes\\",
    "emoji 🧪🔬 👩‍🔬 🇯🇵 family 👨‍👩‍👧",
    "combining é vs é, Ångström, ﬁ ligature",
    "right-to-left: שלום عربي",
    "separators\u{2028}and\u{2029}and\u{85}next",
    "tab\there, trailing space ",
    "{\"json\": [1, 2]} /slashes/ <html>&amp;",
    ""
]

func label(
    _ concept: String, notes: String = "", verdict: Verdict? = .interpretable, rating: Rating? = .yes,
    author: String = "tester", at seconds: Double = 1_700_000_000.123
) -> FeatureLabel {
    FeatureLabel(
        verdict: verdict, concept: concept, notes: notes, rating: rating, author: author,
        created: Date(timeIntervalSince1970: seconds), updated: Date(timeIntervalSince1970: seconds + 60.5))
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func readText(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
}

/// Removes a folder made by `makeTemporaryFolder` (best effort).
func removeFolder(_ dir: String) {
    try? FileManager.default.removeItem(atPath: dir)
}
