import Testing
@testable import ExplorerUI

@Suite struct LineEditorTests {
    @Test func editsByGrapheme() {
        var e = LineEditor("ae\u{301}東😀")
        #expect(e.cursor == 4)
        e.backspace()
        #expect(e.text == "ae\u{301}東")
        e.left()
        e.backspace()  // removes e + combining acute together
        #expect(e.text == "a東")
        e.home()
        e.deleteForward()
        #expect(e.text == "東" && e.cursor == 0)
        e.end()
        e.insert("x")
        #expect(e.text == "東x")
    }

    @Test func combiningMarkTypedAfterBaseMerges() {
        var e = LineEditor("cafe")
        e.insert("\u{301}")
        #expect(e.characters.count == 4 && e.cursor == 4)
        #expect(e.text == "cafe\u{301}")
    }

    @Test func ctrlUAndCtrlK() {
        var e = LineEditor("hello world")
        for _ in 0..<5 { e.left() }
        e.killToStart()
        #expect(e.text == "world" && e.cursor == 0)
        e.right()
        e.killToEnd()
        #expect(e.text == "w")
    }

    @Test func longPasteScrollsToKeepCursorVisible() {
        var e = LineEditor()
        let paste = String(repeating: "東京abc", count: 2000)
        e.insert(paste)
        #expect(e.characters.count == 10_000)
        let (glyphs, cursor) = e.visible(width: 20)
        #expect(glyphs.reduce(0) { $0 + $1.width } <= 20)
        #expect(cursor <= 19)
        e.home()
        #expect(e.visible(width: 20).cursorColumn == 0)
    }

    @Test func controlsInPasteShowAsPlaceholders() {
        let e = LineEditor("a\u{1B}[2Jb")
        #expect(e.visible(width: 40).glyphs.map(\.text).joined() == "a␛[2Jb")
    }
}

@Suite struct PasteTests {
    @Test func multiLinePasteIntoNotesKeepsNewlines() {
        let book = FakeLabelBook()
        let session = makeSession(book: book)
        session.press(.char("a"), .paste("line one\nline two\tend"), .enter)
        let key = session.state.key(for: FeatureRef(dict: 0, feature: 0))
        #expect(book.allLabels[key]?.notes == "line one\nline two\tend")
    }

    @Test func pasteOfKeysWithEnterOutsideAPrompt() {
        let session = makeSession()
        session.press(.paste("jj\r"))
        #expect(session.state.screen == .detail && session.state.selectedFeature?.feature == 2)
    }
}
