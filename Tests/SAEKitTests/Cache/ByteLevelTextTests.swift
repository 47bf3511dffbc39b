import Foundation
import Testing
@testable import SAEKit

/// GPT-2 byte-level token strings back to text. Expected strings are written by hand from GPT-2's
/// byte-to-unicode table (bytes 33-126, 161-172 and 174-255 stand for themselves; bytes 0-32 are
/// U+0100-U+0120, 127-160 are U+0121-U+0142, 173 is U+0143) and the UTF-8 encodings of the characters.
struct ByteLevelTextTests {
    @Test func alphabet() {
        #expect(ByteLevelText.bytes(of: "Ġ") == [0x20] && ByteLevelText.bytes(of: "Ċ") == [0x0A] && ByteLevelText.bytes(of: "ĉ") == [0x09])
        #expect(ByteLevelText.bytes(of: "Ā") == [0x00] && ByteLevelText.bytes(of: "ġ") == [0x7F])
        #expect(ByteLevelText.bytes(of: "ł") == [0xA0] && ByteLevelText.bytes(of: "Ń") == [0xAD])
        #expect(ByteLevelText.bytes(of: "!~¡é") == [0x21, 0x7E, 0xA1, 0xE9])
        #expect(ByteLevelText.bytes(of: "âĢĻ") == [0xE2, 0x80, 0x99])
        // Characters outside the alphabet stand for their own UTF-8 (SAEDashboard decodes some).
        #expect(ByteLevelText.bytes(of: " —") == [0x20, 0xE2, 0x80, 0x94])
        // Every byte has one letter and back.
        #expect(Set(ByteLevelText.scalarOfByte).count == 256)
        for b in 0..<256 {
            #expect(ByteLevelText.bytes(of: String(Character(Unicode.Scalar(ByteLevelText.scalarOfByte[b])!))) == [UInt8(b)])
        }
    }

    @Test(arguments: [
        (["Hillary", "âĢĻ", "s"], ["Hillary", "’", "s"]),
        ([" Hillary", "âĢ", "Ļ", "s"], [" Hillary", "’", "↪", "s"]),
        (["âĢ", "Ļs"], ["’", "↪s"]),
        ([" ðŁ", "ĺ", "Ģ", "!"], [" 😀", "↪", "↪", "!"]),  // F0 9F 98 80 over three tokens
        (["Ġthe", "ĠâĢ"], [" the", " \\xe2\\x80"]),  // cut off at the row's end
        (["Ļ", "s"], ["\\x99", "s"]),  // a continuation with nothing before it
        (["ÀĢ"], ["\\xc0\\x80"]),  // C0 never starts a character
        (["íłĢ"], ["\\xed\\xa0\\x80"]),  // ED A0 80 would be a surrogate
        (["ðŁĺ", "x"], ["\\xf0\\x9f\\x98", "x"]),  // interrupted by ASCII
        (["Ã©", "Ċ", "<|endoftext|>"], ["é", "\n", "<|endoftext|>"]),
        ([" —", " ’"], [" —", " ’"]),  // already decoded: unchanged
        (["", "âĢ", "", "Ļ"], ["", "’", "", "↪"])
    ])
    func rows(_ tokens: [String], _ shown: [String]) {
        #expect(ByteLevelText.decode(row: tokens) == shown)
    }

    @Test func evidence() {
        func weigh(_ rows: [[String]]) -> Bool {
            var e = ByteLevelText.Evidence()
            for r in rows { e.add(row: r) }
            return e.isByteLevel
        }
        #expect(weigh([["Ġthe", "Ġcat"]]))
        #expect(weigh([[" Hillary", "âĢ", "Ļ", "s"]]))  // SAEDashboard: spaces decoded, the split ’ not
        #expect(weigh([["Ã©"]]))
        #expect(!weigh([["The", " café", " au", " lait"]]))  // decoded text: é then a space is no UTF-8
        #expect(!weigh([["był", " dom"]]))  // ł would be a lone continuation byte
        #expect(!weigh([["a", "b"], [" plain"]]))  // nothing either way
        #expect(!weigh([["âĢ"], ["Ļ"]]))  // cut-off pieces alone count for nothing
        #expect(!weigh([["Ã©"], ["café au"], ["naïve one"]]))  // more against than for
    }

    /// A byte-level tokenizer.json: ’ as the two tokens âĢ + Ļ, 😀 as three.
    static func tokenizer(_ t: TempDir) -> String {
        t.write(
            "tokenizer.json",
            """
            {"model": {"type": "BPE", "vocab": {"Ġsaid": 0, "âĢ": 1, "Ļ": 2, "s": 3, "ðŁ": 4, "ĺ": 5, "Ģ": 6}},
             "added_tokens": [{"id": 7, "content": "<|endoftext|>", "special": true}], "decoder": {"type": "ByteLevel"}}
            """)
    }

    @Test func tokenizerJSONKeepsBytesAndJoinsRows() throws {
        let t = TempDir()
        defer { t.cleanup() }
        let v = try Vocabulary.load(path: Self.tokenizer(t))
        #expect(v.style == .byteLevel)
        #expect(v.bytes?[1] == [0xE2, 0x80] && v.bytes?[7] == Array("<|endoftext|>".utf8))
        #expect(v.text(1) == "\\xe2\\x80" && v.text(2) == "\\x99" && v.text(7) == "<|endoftext|>" && v.isSpecial(7))
        #expect(v.displayRow([7, 0, 1, 2, 3]) == ["<|endoftext|>", " said", "’", "↪", "s"])
        #expect(v.displayRow([4, 5, 6, 99]) == ["😀", "↪", "↪", "<unk:99>"])
    }

    /// A cache keeps the tokens' bytes, shows rows joined, and a merge of --shard parts keeps them.
    @Test func cacheContextsJoinSplitCharacters() throws {
        let t = TempDir()
        defer { t.cleanup() }
        let vocab = Self.tokenizer(t)
        let rows: [[Int32]] = [[7, 0, 1, 2, 3, -1], [4, 5, 6, 0, 1, -1], [2, 3, 0, 4, 5, 6]]
        let shown = [
            ["<|endoftext|>", " said", "’", "↪", "s"], ["😀", "↪", "↪", " said", "\\xe2\\x80"],
            ["\\x99", "s", " said", "😀", "↪", "↪"]
        ]
        var w = SafetensorsWriter()
        var rng = SplitMix(seed: 3)
        w.add("activations", shape: [3, 6, 16], floats: (0..<(3 * 6 * 16)).map { _ in Float(rng.normal()) })
        w.add("tokens", shape: [3, 6], int32s: rows.flatMap { $0 })
        try w.write(to: t.file("acts.safetensors"))
        let jr = try DictionaryLoader.load(path: Repo.path("fixtures/loaders/saelens_jumprelu"))
        let dicts = [NamedDictionary(name: "jr", dictionary: jr)]
        let corpus = try ActivationCorpus(paths: [t.file("acts.safetensors")])
        func build(_ name: String, _ shard: ShardSpec?) throws {
            try CacheBuilder.build(
                dictionaries: dicts, corpus: corpus, shard: shard, vocabulary: try Vocabulary.load(path: vocab),
                vocabularyPath: vocab, output: t.file(name))
        }
        try build("c.saexcache", nil)
        let c = try ContextCache(path: t.file("c.saexcache"))
        #expect(c.vocabularyStyle == "byte-level BPE" && c.tokenBytes(1) == [0xE2, 0x80] && c.tokenText(1) == "\\xe2\\x80")
        for (s, want) in shown.enumerated() {
            #expect(c.context(dict: 0, feature: 0, row: s * 6).tokens == want)
        }
        try build("p0.saexcache", ShardSpec(index: 0, count: 2))
        try build("p1.saexcache", ShardSpec(index: 1, count: 2))
        try CacheMerger.merge(inputs: [t.file("p0.saexcache"), t.file("p1.saexcache")], output: t.file("m.saexcache"))
        #expect(try ShardAndSpillTests.bytes(t.file("m.saexcache")) == ShardAndSpillTests.bytes(t.file("c.saexcache")))
    }
}
