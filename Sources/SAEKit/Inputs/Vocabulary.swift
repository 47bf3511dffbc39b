import Foundation

/// Token ids to the text a reader expects to see.
///
/// Reads a Hugging Face `tokenizer.json` (WordPiece, BPE or Unigram model, plus `added_tokens`), a
/// JSON array of strings (index = id) or a JSON object {"id": "token"}. Each id gets a display
/// string such that concatenating a sequence's strings reads like the text: WordPiece `##`
/// continuations attach to the previous token and other tokens start with a space; byte-level BPE
/// markers are decoded through GPT-2's byte-to-unicode table (`Ġ` is a space, `Ċ` a newline), and
/// such a vocabulary keeps each token's bytes (`bytes`), so that a character split across two
/// tokens is joined when a row of tokens is shown (`displayRow`, `ByteLevelText`); SentencePiece `▁`
/// is a space. Special tokens ([CLS], <s>, ...) are kept as written and flagged. Strings are
/// untrusted: the UI sanitises them before drawing.
public struct Vocabulary: Sendable, Equatable {
    /// How token strings were written.
    public enum Style: String, Sendable, Equatable {
        case wordPiece = "wordpiece"
        case byteLevel = "byte-level BPE"
        case metaspace = "sentencepiece"
        case plain
    }

    /// Each token on its own (a byte-level token that holds part of a character shows it as escapes).
    public var display: [String]
    public var special: [Bool]
    public var style: Style
    /// Byte-level BPE only: the bytes each token stands for (not always whole UTF-8 characters).
    public var bytes: [[UInt8]]?

    public init(display: [String], special: [Bool], style: Style, bytes: [[UInt8]]? = nil) {
        self.display = display
        self.special = special
        self.style = style
        self.bytes = bytes
    }

    /// The display strings of a row of token ids read together: byte-level characters split across
    /// tokens are joined (`ByteLevelText`); other styles show each token as `text` does.
    public func displayRow(_ ids: [Int]) -> [String] {
        guard let bytes else { return ids.map(text) }
        return ByteLevelText.display(row: ids.map { $0 >= 0 && $0 < bytes.count ? bytes[$0] : Array(text($0).utf8) })
    }

    /// The display string of `id`; unknown ids and padding render as a visible marker.
    public func text(_ id: Int) -> String {
        if id >= 0 && id < display.count { return display[id] }
        return id < 0 ? "" : "<unk:\(id)>"
    }

    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < special.count && special[id] }

    /// Loads a vocabulary file.
    public static func load(path: String) throws -> Vocabulary {
        let file = try MappedFile(path: path)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(file.bytes), options: [])
        } catch {
            throw SAEKitError(
                .badInput, path: path, reason: "is not valid JSON",
                remedy: "give a tokenizer.json, a JSON array of token strings, or a JSON object {\"id\": \"token\"}")
        }
        if let array = json as? [Any] {
            var raw: [String] = []
            for (i, v) in array.enumerated() {
                guard let s = v as? String else {
                    throw SAEKitError(
                        .badInput, path: path, subject: "entry \(i)", reason: "is not a string",
                        remedy: "a vocabulary array holds one string per token id")
                }
                raw.append(s)
            }
            return fromRawTokens(raw, special: Set(), style: guessStyle(raw))
        }
        guard let obj = json as? [String: Any] else {
            throw SAEKitError(.badInput, path: path, reason: "is neither a JSON array nor an object")
        }
        if let model = obj["model"] as? [String: Any] {
            return try fromTokenizerJSON(obj, model: model, path: path)
        }
        // {"id": "token"}
        var pairs: [(Int, String)] = []
        for (k, v) in obj {
            guard let id = Int(k), id >= 0 else {
                throw SAEKitError(
                    .badInput, path: path, subject: "key \"\(k)\"", reason: "is not a token id",
                    remedy: "a vocabulary object maps \"id\" to \"token\"; or give a tokenizer.json")
            }
            guard let s = v as? String else {
                throw SAEKitError(.badInput, path: path, subject: "key \"\(k)\"", reason: "value is not a string")
            }
            guard id < 10_000_000 else {
                throw SAEKitError(.badInput, path: path, subject: "key \"\(k)\"", reason: "token id is implausibly large")
            }
            pairs.append((id, s))
        }
        let n = (pairs.map(\.0).max() ?? -1) + 1
        var raw = [String](repeating: "", count: n)
        var present = [Bool](repeating: false, count: n)
        for (id, s) in pairs { raw[id] = s; present[id] = true }
        var v = fromRawTokens(raw, special: Set(), style: guessStyle(raw))
        for i in 0..<n where !present[i] { v.setUnknown(i) }
        return v
    }

    /// Marks id `i` as absent from the file: it shows as `<unk:i>`.
    mutating func setUnknown(_ i: Int) {
        display[i] = "<unk:\(i)>"
        bytes?[i] = Array(display[i].utf8)
    }

    static func guessStyle(_ raw: [String]) -> Style {
        var g = 0, h = 0, m = 0
        for s in raw.prefix(50_000) {
            if s.hasPrefix("Ġ") { g += 1 }
            if s.hasPrefix("##") { h += 1 }
            if s.hasPrefix("▁") { m += 1 }
        }
        let best = max(g, h, m)
        if best < 10 { return .plain }
        return best == g ? .byteLevel : (best == h ? .wordPiece : .metaspace)
    }

    static func fromTokenizerJSON(_ obj: [String: Any], model: [String: Any], path: String) throws -> Vocabulary {
        let type = model["type"] as? String ?? ""
        var idToToken: [Int: String] = [:]
        if let vocab = model["vocab"] as? [String: Any] {
            for (tok, idAny) in vocab {
                guard let id = JSONNumber.integer(idAny), id >= 0, id < 10_000_000 else {
                    throw SAEKitError(.badInput, path: path, subject: "model.vocab[\"\(tok)\"]", reason: "is not a token id")
                }
                idToToken[id] = tok
            }
        } else if let vocab = model["vocab"] as? [Any] {
            // Unigram: [[piece, score], ...]
            for (i, e) in vocab.enumerated() {
                guard let pair = e as? [Any], let piece = pair.first as? String else {
                    throw SAEKitError(.badInput, path: path, subject: "model.vocab[\(i)]", reason: "is not a [piece, score] pair")
                }
                idToToken[i] = piece
            }
        } else {
            throw SAEKitError(
                .badInput, path: path, subject: "model.vocab", reason: "missing", remedy: "give the tokenizer.json saved with the model")
        }
        var special = Set<Int>()
        if let added = obj["added_tokens"] as? [[String: Any]] {
            for t in added {
                guard let idAny = t["id"], let id = JSONNumber.integer(idAny), id >= 0, id < 10_000_000,
                    let content = t["content"] as? String
                else { continue }
                idToToken[id] = content
                if t["special"] as? Bool == true { special.insert(id) }
            }
        }
        let n = (idToToken.keys.max() ?? -1) + 1
        var raw = [String](repeating: "", count: n)
        for (id, s) in idToToken { raw[id] = s }
        let decoder = (obj["decoder"] as? [String: Any])?["type"] as? String ?? ""
        let style: Style
        if type == "WordPiece" || decoder == "WordPiece" {
            style = .wordPiece
        } else if decoder == "ByteLevel" || (obj["pre_tokenizer"] as? [String: Any])?["type"] as? String == "ByteLevel" {
            style = .byteLevel
        } else if decoder == "Metaspace" || type == "Unigram" {
            style = .metaspace
        } else {
            style = guessStyle(raw)
        }
        var v = fromRawTokens(raw, special: special, style: style)
        for i in 0..<n where idToToken[i] == nil { v.setUnknown(i) }
        return v
    }

    static func fromRawTokens(_ raw: [String], special: Set<Int>, style: Style) -> Vocabulary {
        var display: [String] = []
        display.reserveCapacity(raw.count)
        var flags = [Bool](repeating: false, count: raw.count)
        var bytes: [[UInt8]] = []
        for (i, tok) in raw.enumerated() {
            let isSpecial =
                special.contains(i)
                || (tok.hasPrefix("[") && tok.hasSuffix("]") && tok.count > 2 && tok.uppercased() == tok && style == .wordPiece)
            flags[i] = isSpecial
            if isSpecial {
                display.append(style == .wordPiece ? " " + tok : tok)
                if style == .byteLevel { bytes.append(Array(tok.utf8)) }
                continue
            }
            switch style {
            case .wordPiece:
                display.append(tok.hasPrefix("##") ? String(tok.dropFirst(2)) : " " + tok)
            case .byteLevel:
                bytes.append(ByteLevelText.bytes(of: tok))
                display.append(ByteLevelText.display(token: bytes[i]))
            case .metaspace:
                display.append(tok.replacingOccurrences(of: "▁", with: " "))
            case .plain:
                display.append(tok)
            }
        }
        return Vocabulary(display: display, special: flags, style: style, bytes: style == .byteLevel ? bytes : nil)
    }
}
