import Foundation
import Testing
@testable import ExplorerUI
import SAEKit

/// The blind screen's pure core: answering, progress, going back, resuming, concept editing.
@Suite struct BlindUpdateTests {
    func started(_ answers: [String: BlindDraft] = [:]) -> (BlindState, [BlindEffect]) {
        updateBlind(BlindState(order: ["a", "b", "c"], answers: answers), .start)
    }

    @Test func startOpensTheFirstItemAndPrefetchesTheNext() {
        let (s, effects) = started()
        #expect(s.position == 0 && s.screen == .item)
        #expect(effects == [.loadContexts("a"), .loadContexts("b")])
        #expect(s.answeredCount == 0 && s.total == 3)
    }

    @Test func aRatingIsShownAsSavedOnlyAfterTheSessionConfirms() {
        var (s, effects) = started()
        (s, effects) = updateBlind(s, .setVerdict(.polysemantic))
        #expect(effects.isEmpty, "a verdict on an unanswered item is a draft")
        #expect(s.draft.verdict == .polysemantic)
        (s, effects) = updateBlind(s, .rate(.yes))
        let save = BlindSave(id: "a", rating: .yes, verdict: .polysemantic, concept: "", advance: true)
        #expect(effects == [.record(save)])
        #expect(s.answers.isEmpty && s.saving == save && s.position == 0)
        #expect(BlindView.answerStatus(s).0 == "saving…")
        // While saving, answer keys are disabled.
        #expect(BlindKeyMap.action(for: .char("n"), in: s) == .disabled("the previous answer is still being saved"))
        (s, effects) = updateBlind(s, .answerSaved(save))
        #expect(s.answers["a"] == BlindDraft(id: "a", rating: .yes, verdict: .polysemantic))
        #expect(s.answeredCount == 1 && s.saving == nil)
        #expect(s.position == 1 && s.draft == BlindDraft(id: "b"))
        #expect(effects == [.loadContexts("c")], "b was prefetched")
        #expect(s.message?.text == "answer saved (1/3)")
    }

    @Test func aFailedSaveKeepsTheItemAndSaysSo() {
        var (s, _) = started()
        (s, _) = updateBlind(s, .rate(.no))
        let save = BlindSave(id: "a", rating: .no, verdict: nil, concept: "", advance: true)
        (s, _) = updateBlind(s, .answerSaveFailed(save, "disk full"))
        #expect(s.answers.isEmpty && s.position == 0 && s.saving == nil)
        #expect(s.message == StatusMessage(text: "answer NOT saved: disk full", isError: true))
    }

    @Test func goingBackChangesASavedAnswerInPlace() {
        var (s, effects) = started(["a": BlindDraft(id: "a", rating: .maybe)])
        #expect(s.position == 1)
        (s, effects) = updateBlind(s, .previousItem)
        #expect(s.position == 0 && s.draft == BlindDraft(id: "a", rating: .maybe))
        #expect(effects == [.loadContexts("a")], "b is already loaded")
        (s, effects) = updateBlind(s, .setVerdict(.unsure))
        let save = BlindSave(id: "a", rating: .maybe, verdict: .unsure, concept: "", advance: false)
        #expect(effects == [.record(save)])
        (s, _) = updateBlind(s, .answerSaved(save))
        #expect(s.position == 0 && s.answers["a"]?.verdict == .unsure)
        (s, _) = updateBlind(s, .previousItem)
        #expect(s.position == 0 && s.message?.text == "this is the first item")
    }

    @Test func draftsSurviveMovingAround() {
        var (s, _) = started()
        (s, _) = updateBlind(s, .setVerdict(.interpretable))
        (s, _) = updateBlind(s, .nextItem)
        #expect(s.draft == BlindDraft(id: "b"))
        (s, _) = updateBlind(s, .previousItem)
        #expect(s.draft == BlindDraft(id: "a", verdict: .interpretable))
    }

    @Test func resumeOpensTheFirstUnansweredItemAndTheReportWhenDone() {
        let (s, _) = started(["a": BlindDraft(id: "a", rating: .yes), "c": BlindDraft(id: "c", rating: .no)])
        #expect(s.position == 1 && s.screen == .item && s.answeredCount == 2)
        let done = ["a", "b", "c"].reduce(into: [String: BlindDraft]()) { $0[$1] = BlindDraft(id: $1, rating: .no) }
        let (t, effects) = started(done)
        #expect(t.screen == .report && effects == [.computeReport])
        // Answering the last open item wraps to an earlier unanswered one before the report.
        var (u, _) = started(["b": BlindDraft(id: "b", rating: .yes)])
        (u, _) = updateBlind(u, .nextItem)
        (u, _) = updateBlind(u, .nextItem)
        #expect(u.position == 2)
        (u, _) = updateBlind(u, .rate(.no))
        (u, _) = updateBlind(u, .answerSaved(BlindSave(id: "c", rating: .no, verdict: nil, concept: "", advance: true)))
        #expect(u.position == 0)
    }

    @Test func conceptEditingHandlesNonASCIIText() {
        var (s, effects) = started(["a": BlindDraft(id: "a", rating: .yes)])
        (s, _) = updateBlind(s, .previousItem)
        (s, _) = updateBlind(s, .editConcept)
        // In the prompt, rating keys are text.
        #expect(BlindKeyMap.action(for: .char("y"), in: s) == .edit(.insert("y")))
        for op: EditOp in [.insert("naïve 東京 cafe"), .insert("\u{301}"), .insert("👩‍💻"), .backspace, .left, .backspace] {
            (s, _) = updateBlind(s, .edit(op))
        }
        // The emoji is one grapheme, the combining accent joined its "e": one backspace each.
        #expect(s.conceptEditor?.text == "naïve 東京 caé")
        (s, _) = updateBlind(s, .edit(.home))
        (s, _) = updateBlind(s, .edit(.deleteForward))
        (s, effects) = updateBlind(s, .edit(.submit))
        #expect(s.conceptEditor == nil && s.draft.concept == "aïve 東京 caé")
        #expect(effects == [.record(BlindSave(id: "a", rating: .yes, verdict: nil, concept: "aïve 東京 caé", advance: false))])
        (s, _) = updateBlind(s, .editConcept)
        (s, _) = updateBlind(s, .edit(.insert("x")))
        (s, effects) = updateBlind(s, .edit(.cancel))
        #expect(s.draft.concept == "aïve 東京 caé" && effects.isEmpty)
    }

    @Test func progressBarIsAlwaysVisible() {
        var (s, _) = started(["b": BlindDraft(id: "b", rating: .yes)])
        s.width = 80
        s.height = 24
        let size = TerminalSize(width: 80, height: 24)
        func row0(_ s: BlindState) -> String { renderBlind(s, size: size).rowText(0) }
        #expect(row0(s).hasSuffix(" " + String(repeating: "█", count: 10) + String(repeating: "░", count: 20) + " 1/3 answered  "))
        (s, _) = updateBlind(s, .editConcept)
        #expect(row0(s).contains("1/3 answered"))
        (s, _) = updateBlind(s, .edit(.cancel))
        (s, _) = updateBlind(s, .toggleHelp)
        #expect(row0(s).contains("1/3 answered"))
        #expect(renderBlind(s, size: size).allText.contains("yes, I can name a concept"))
        #expect(renderBlind(s, size: size, asciiOnly: true).rowText(0).contains(" ##########---------"))
    }
}

/// The screen driven by keys against a real blind session on disk.
@Suite struct BlindSessionScreenTests {
    @Test func answersAreRecordedDurablyAndReopeningResumes() throws {
        let fixture = try BlindFixture()
        defer { fixture.remove() }
        var (session, screen) = try fixture.open()
        let first = try #require(screen.state.currentID)
        screen.press(.char("3"), .char("e"), .paste("東京 naïve"), .enter, .char("m"))
        #expect(session.answer(for: first)?.concept == "東京 naïve")
        #expect(session.answer(for: first)?.verdict == .uninterpretable)
        #expect(session.answer(for: first)?.rating == .maybe)
        #expect(screen.state.position == 1)
        screen.press(.char("y"), .left, .char("n"))
        #expect(session.progress.answered == 2)
        screen.press(.char("q"))
        #expect(screen.shouldQuit)
        session.close()

        (session, screen) = try fixture.open()
        defer { session.close() }
        #expect(screen.state.position == 2 && screen.state.answeredCount == 2)
        #expect(screen.frame().rowText(0).contains("2/6 answered"))
        screen.press(.char("["), .char("["))
        #expect(screen.state.draft.concept == "東京 naïve")
        #expect(screen.frame().allText.contains("東京 naïve"))
        // Item 2 was answered y, then changed to n from item 3.
        #expect(session.answer(for: session.order[1])?.rating == .no)
        for _ in 0..<4 { screen.press(.char("u"), .char("y")) }
        #expect(screen.state.screen == .report)
        #expect(screen.frame().allText.contains("Blind A/B report: 6 of 6 items answered"))
    }
}

/// Snapshots of the blind screen, and proof that it never shows what would unblind the rater.
@Suite struct BlindSnapshotTests {
    /// Strings that must never be on an item screen.
    static func forbidden(_ session: BlindSession) -> [String] {
        var out =
            BlindTestSource.names + BlindTestSource.fingerprints + [
                "alpha", "7.777", "7.78", "0.864", "0.975", "Spearman", "Pearson",
                "ρ", "elastic", "match", "jumprelu", "#1", "#2"
            ]
        out += BlindTestSource.names.map { String($0.prefix(6)) }
        return out
    }

    static func featureIndices(_ session: BlindSession) -> [String] {
        session.order.compactMap { session.target(of: $0).map { String($0.feature) } }
    }

    @Test(arguments: [(120, 40), (80, 24)]) func itemScreenShowsNoIdentity(_ w: Int, _ h: Int) throws {
        let fixture = try BlindFixture()
        defer { fixture.remove() }
        let (session, screen) = try fixture.open(width: w, height: h)
        defer { session.close() }
        var frames: [(String, ScreenBuffer)] = [("start", screen.frame())]
        assertSnapshot(screen.frame().debugDump(), named: "blind-item-\(w)x\(h)")
        screen.press(.char("2"), .char("e"), .paste("court 東京"))
        frames.append(("prompt", screen.frame()))
        screen.press(.enter)
        assertSnapshot(screen.frame().debugDump(), named: "blind-draft-\(w)x\(h)")
        screen.press(.char("y"))
        frames.append(("answered", screen.frame()))
        for key: Key in [
            .char("w"), .char("j"), .char(" "), .char("?"), .char("?"), .left, .right, .char("n"), .char("m"), .char("y"), .char("n"),
            .char("y")
        ] {
            screen.press(key)
            if screen.state.screen == .item { frames.append(("\(key)", screen.frame())) }
        }
        #expect(screen.state.screen == .report)
        assertSnapshot(screen.frame().debugDump(), named: "blind-report-\(w)x\(h)")
        let indices = Self.featureIndices(session)
        #expect(indices.count == 6 && indices.allSatisfy { $0.count == 4 })
        for (name, frame) in frames {
            let text = frame.allText
            for s in Self.forbidden(session) { #expect(!text.contains(s), "\(name): shows \(s)") }
            for f in indices { #expect(!text.contains(f), "\(name): shows feature index \(f)") }
        }
    }
}
