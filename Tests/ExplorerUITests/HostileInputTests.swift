import Testing
import SAEKit
@testable import ExplorerUI

/// Issue 19, item 17: a 50 MB paste, huge axis values, long notes, ASCII mode's rho.
@Suite struct HostileInputTests {
    @Test func theEditorHoldsAtMostItsCapacity() {
        var e = LineEditor()
        e.insert(String(repeating: "x", count: 25_000))
        #expect(e.text.count == LineEditor.maxCharacters)
        e.insert("more")
        #expect(e.text.count == LineEditor.maxCharacters && e.cursor == LineEditor.maxCharacters)
        e.backspace()
        e.insert("éé")
        #expect(e.text.count == LineEditor.maxCharacters && e.text.hasSuffix("xé"))
    }

    @Test func axisLabelsNeverExceedSixCharacters() {
        let values: [Double] = [
            2_226_693.0, -2_226_693.0, 0.0015, -0.0015, 1e-10, -1e-10, 1e300, -1e300, 99_999, -99_999, 123_456.5, 0.25, -12.5, 0
        ]
        for v in values {
            #expect(Format.axis(v).count <= 6, "\(v) -> \(Format.axis(v))")
        }
        #expect(Format.axis(2_226_693.0) == "2.2e6")
        #expect(Format.axis(-0.0015) == "-2e-3" || Format.axis(-0.0015) == "-1e-3")
    }

    @Test func longLabelTextIsShownCut() {
        let note = String(repeating: "n", count: 5_000_000)
        let shown = Format.preview(note)
        #expect(shown.count == 501 && shown.hasSuffix("…"))
        #expect(Format.preview("short") == "short")
    }

    @Test func asciiModeTellsRhoFromR() {
        let rho = ScreenBuffer.asciiFallback(Glyph("ρ", width: 1)).map(\.text).joined()
        #expect(rho == "rho")
        #expect(rho != "r")
    }
}
