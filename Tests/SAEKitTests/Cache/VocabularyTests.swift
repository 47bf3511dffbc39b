import Foundation
import Testing
@testable import SAEKit

struct VocabularyTests {
    @Test func wordPieceTokenizerJSON() throws {
        let t = TempDir()
        defer { t.cleanup() }
        let p = t.write(
            "tokenizer.json",
            """
            {"model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "[CLS]": 1, "play": 2, "##ing": 3, "the": 4}},
             "added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[CLS]", "special": true}],
             "decoder": {"type": "WordPiece", "prefix": "##"}}
            """)
        let v = try Vocabulary.load(path: p)
        #expect(v.style == .wordPiece)
        #expect([1, 4, 2, 3].map { v.text($0) }.joined() == " [CLS] the playing")
        #expect(v.isSpecial(1) && !v.isSpecial(2))
    }

    @Test func byteLevelBPE() throws {
        let t = TempDir()
        defer { t.cleanup() }
        // "Ġ" = space, "Ċ" = newline, "Ã©" = the two bytes of "é".
        let p = t.write(
            "tokenizer.json",
            """
            {"model": {"type": "BPE", "vocab": {"Hello": 0, "Ġcaf": 1, "Ã©": 2, "Ċ": 3}}, "decoder": {"type": "ByteLevel"}}
            """)
        let v = try Vocabulary.load(path: p)
        #expect(v.style == .byteLevel)
        #expect((0..<4).map { v.text($0) }.joined() == "Hello café\n")
    }

    @Test func idObjectAndArray() throws {
        let t = TempDir()
        defer { t.cleanup() }
        let v = try Vocabulary.load(path: t.write("v.json", "{\"0\": \"a\", \"2\": \"c\"}"))
        #expect(v.text(0) == "a" && v.text(2) == "c" && v.text(1) == "<unk:1>")
        let a = try Vocabulary.load(path: t.write("a.json", "[\"x\", \"y\"]"))
        #expect(a.display == ["x", "y"])
        #expect(throws: SAEKitError.self) { try Vocabulary.load(path: t.write("b.json", "{\"zero\": \"a\"}")) }
        #expect(throws: SAEKitError.self) { try Vocabulary.load(path: t.write("c.json", "[1, 2]")) }
    }
}
