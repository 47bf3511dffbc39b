/// A decoded key press, independent of the terminal library.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    case char(Character)
    /// Control + a letter (lowercase), e.g. ctrl-c is `.ctrl("c")`.
    case ctrl(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)
    /// Text that arrived in one read (a paste), inserted as a whole in input fields.
    case paste(String)
    case resize

    /// The name shown in help and docs/KEYS.md.
    public var description: String {
        switch self {
        case .char(" "): "space"
        case .char(let c): String(c)
        case .ctrl(let c): "ctrl-\(c)"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .tab: "Tab"
        case .backTab: "shift-Tab"
        case .function(let n): "F\(n)"
        case .paste: "paste"
        case .resize: "resize"
        }
    }

    /// Decodes a character read by the terminal (not a function key): controls become named keys.
    /// A paste outside a prompt, as the keys a person would have typed: control characters become
    /// their keys (Enter, Tab, ...), everything else a character key.
    public static func typedKeys(fromPaste text: String) -> [Key] {
        text.map { c in
            let scalar = c.unicodeScalars.first?.value ?? 0
            return c.unicodeScalars.count == 1 && scalar < 32 ? fromCharacter(scalar) ?? .char(c) : .char(c)
        }
    }

    public static func fromCharacter(_ value: UInt32) -> Key? {
        switch value {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        case 0: return nil
        case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(value) + 96)))
        case 28...31: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .char(Character(scalar))
        }
    }
}
