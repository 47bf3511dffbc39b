/// GPT-2's byte-level BPE text: token strings written in the byte-to-unicode alphabet (each byte one
/// printable character: `Ġ` is the space byte, `Ċ` the newline, `âĢĻ` the three bytes of `’`), turned
/// back into the text they stand for.
///
/// A token is a run of bytes, not always whole characters: `’` is often the two tokens `âĢ` + `Ļ`.
/// A row of tokens is decoded as one byte string; a character split across tokens is rendered on
/// the token it starts in, and each token holding only its continuation starts with
/// `continuationMark`. Bytes that are not UTF-8 (a lone continuation byte, a character cut off at
/// the row's end) are shown as escapes such as `\xe2`. Characters outside the alphabet stand for
/// their own UTF-8 bytes, so strings where some bytes were already decoded (SAEDashboard writes
/// `Ġ` as a space and some whole characters such as `—` decoded) come out right too.
public enum ByteLevelText {
    /// Starts the display string of a token that continues a character begun in the previous one.
    public static let continuationMark = "\u{21AA}"  // ↪

    /// The alphabet: byte b is written as the scalar `scalarOfByte[b]` (GPT-2's `bytes_to_unicode`:
    /// printable Latin-1 bytes stand for themselves, the others are mapped to U+0100 on, in order).
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `scalarOfByte`, indexed by scalar value (0 ..< 324); -1 where a scalar is not in the alphabet.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in scalarOfByte.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// The byte scalar `s` stands for in the alphabet, or nil when it is not part of it.
    @inline(__always) static func byte(of s: Unicode.Scalar) -> UInt8? {
        let v = Int(s.value)
        guard v < byteOfScalar.count, byteOfScalar[v] >= 0 else { return nil }
        return UInt8(byteOfScalar[v])
    }

    /// The bytes a byte-level token string stands for: each scalar of the alphabet is its byte, any
    /// other scalar (a space, `—`) its own UTF-8 bytes.
    public static func bytes(of token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            if let b = byte(of: s) { out.append(b) } else { out.append(contentsOf: String(s).utf8) }
        }
        return out
    }

    /// Display strings of a row of tokens given as bytes (see the type's description).
    public static func display(row tokens: [[UInt8]]) -> [String] {
        var flat: [UInt8] = []
        var owner: [Int] = []
        for (k, t) in tokens.enumerated() {
            flat.append(contentsOf: t)
            owner.append(contentsOf: repeatElement(k, count: t.count))
        }
        var text = [String](repeating: "", count: tokens.count)
        var continued = [Bool](repeating: false, count: tokens.count)
        var p = 0
        while p < flat.count {
            let k = owner[p]
            if case .character(let n) = step(flat, p) {
                text[k] += String(decoding: flat[p..<(p + n)], as: UTF8.self)
                for q in (p + 1)..<(p + n) where owner[q] != k { continued[owner[q]] = true }
                p += n
            } else {
                text[k] += escape(flat[p])
                p += 1
            }
        }
        return tokens.indices.map { continued[$0] ? continuationMark + text[$0] : text[$0] }
    }

    /// The display string of one token on its own (incomplete characters as escapes).
    public static func display(token: [UInt8]) -> String { display(row: [token])[0] }

    /// Display strings of a row of byte-level token strings.
    public static func decode(row: [String]) -> [String] { display(row: row.map(bytes(of:))) }

    /// `\xe2`: how a byte that is not part of a UTF-8 character is shown.
    static func escape(_ b: UInt8) -> String {
        let hex = Array("0123456789abcdef")
        return "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
    }

    enum Step: Equatable {
        /// A well-formed UTF-8 character of this many bytes starts here.
        case character(Int)
        /// Not the start of a well-formed character.
        case invalid
        /// A well-formed start that the bytes end before completing.
        case truncated
    }

    /// What starts at `bytes[p]` (Unicode's table 3-7 of well-formed UTF-8 byte sequences).
    static func step(_ bytes: [UInt8], _ p: Int) -> Step {
        let lead = bytes[p]
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        let n: Int
        switch lead {
        case 0x00...0x7F: return .character(1)
        case 0xC2...0xDF: n = 2
        case 0xE0: n = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: n = 3
        case 0xED: n = 3; hi = 0x9F
        case 0xF0: n = 4; lo = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; hi = 0x8F
        default: return .invalid
        }
        for i in 1..<n {
            guard p + i < bytes.count else { return .truncated }
            let c = bytes[p + i]
            if i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF) { return .invalid }
        }
        return .character(n)
    }

    /// Whether token strings are byte-level, weighed over everything a source holds.
    ///
    /// Text that is already decoded uses the same Latin-1 letters the alphabet uses, so a string
    /// alone does not say which it is. Evidence for byte-level: a character of two or more bytes
    /// assembled from alphabet letters (`âĢĻ` is `’`, `Ã©` is `é`), or `Ġ`, `Ċ`, `ĉ` (the space,
    /// newline and tab bytes, which decoded text does not contain). Evidence against: an alphabet
    /// letter that decodes to bytes that are not UTF-8 inside a row (`café` read as bytes). A
    /// character cut off at either end of a row counts for neither.
    public struct Evidence: Sendable, Equatable {
        public private(set) var assembled = 0
        public private(set) var broken = 0

        public init() {}

        /// True when the strings seen are byte-level: some evidence for, more than against.
        public var isByteLevel: Bool { assembled > 0 && assembled > broken }

        /// Weighs one row of token strings (a context window, or a single token).
        public mutating func add(row: [String]) {
            var bytes: [UInt8] = []
            // Whether each byte came from a non-ASCII letter of the alphabet.
            var fromAlphabet: [Bool] = []
            for token in row {
                for s in token.unicodeScalars {
                    if s.value < 0x80 {
                        bytes.append(UInt8(s.value))
                        fromAlphabet.append(false)
                    } else if let b = ByteLevelText.byte(of: s) {
                        if b < 0x80 { assembled += 1 }  // Ġ, Ċ, ĉ, ...
                        bytes.append(b)
                        fromAlphabet.append(b >= 0x80)
                    } else {
                        let utf8 = Array(String(s).utf8)
                        bytes.append(contentsOf: utf8)
                        fromAlphabet.append(contentsOf: repeatElement(false, count: utf8.count))
                    }
                }
            }
            var p = 0
            // Continuation bytes at the row's start belong to a character cut off before it.
            while p < bytes.count, fromAlphabet[p], (0x80...0xBF).contains(bytes[p]) { p += 1 }
            while p < bytes.count {
                guard fromAlphabet[p] else { p += 1; continue }
                switch ByteLevelText.step(bytes, p) {
                case .character(let n):
                    if n > 1 && fromAlphabet[p..<(p + n)].allSatisfy({ $0 }) { assembled += 1 }
                    p += n
                case .invalid:
                    broken += 1
                    p += 1
                case .truncated:
                    p = bytes.count
                }
            }
        }

        public mutating func add(_ other: Evidence) {
            assembled += other.assembled
            broken += other.broken
        }
    }
}
