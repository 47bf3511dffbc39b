import Foundation

/// Finds duplicate keys at the top level of a JSON object, which JSONSerialization drops silently.
enum JSONKeyScanner {
    /// The first top-level key that occurs twice (after JSON unescaping), or nil.
    static func firstDuplicateTopLevelKey(in bytes: UnsafeRawBufferPointer) -> String? {
        var seen = Set<String>()
        var depth = 0
        var i = 0
        var expectKey = false
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                // Scan the string.
                let start = i
                i += 1
                var escaped = false
                while i < n {
                    let d = bytes[i]
                    if escaped {
                        escaped = false
                    } else if d == UInt8(ascii: "\\") {
                        escaped = true
                    } else if d == UInt8(ascii: "\"") {
                        break
                    }
                    i += 1
                }
                if depth == 1 && expectKey {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start...min(i, n - 1)])
                    let key = decodeString(raw)
                    if !seen.insert(key).inserted { return key }
                    expectKey = false
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = (c == UInt8(ascii: "{")) && depth == 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { expectKey = true }
            default:
                break
            }
            i += 1
        }
        return nil
    }

    private static func decodeString(_ raw: UnsafeRawBufferPointer) -> String {
        if !raw.contains(UInt8(ascii: "\\")) {
            return String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
        }
        if let s = try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]) as? String { return s }
        return String(decoding: raw, as: UTF8.self)
    }
}
