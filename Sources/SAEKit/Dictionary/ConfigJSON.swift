import Foundation

/// Typed, error-reporting access to a cfg.json object.
///
/// Every failure names the file and the key and says what was expected, as one line.
struct ConfigJSON {
    let path: String
    let object: [String: Any]

    /// Reads and parses `path`; it must hold a JSON object.
    init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        let data = Data(file.bytes)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw SAEKitError(.badInput, path: path, reason: "is not valid JSON", remedy: "fix or regenerate the file")
        }
        guard let obj = json as? [String: Any] else {
            throw SAEKitError(.badInput, path: path, reason: "must be a JSON object", remedy: "fix or regenerate the file")
        }
        self.object = obj
    }

    init(path: String, object: [String: Any]) {
        self.path = path
        self.object = object
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    private func wrongType(_ key: String, _ expected: String) -> SAEKitError {
        SAEKitError(.badInput, path: path, subject: "key \"\(key)\"", reason: "must be \(expected)", remedy: "fix cfg.json")
    }

    /// A required positive integer (accepts 5 and 5.0, as PyTorch configs write both).
    func positiveInt(_ key: String) throws -> Int {
        guard let v = object[key], !(v is NSNull) else {
            throw SAEKitError(.badInput, path: path, subject: "key \"\(key)\"", reason: "missing", remedy: "add it to cfg.json")
        }
        guard let n = ConfigJSON.integer(v), n > 0 else { throw wrongType(key, "a positive integer") }
        return n
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let n = ConfigJSON.integer(v) else { throw wrongType(key, "an integer") }
        return n
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw wrongType(key, "a string") }
        return s
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = object[key], !(v is NSNull) else { return d }
        if ConfigJSON.isBool(v), let b = v as? Bool { return b }
        throw wrongType(key, "true or false")
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, !ConfigJSON.isBool(v) else { throw wrongType(key, "a number") }
        return n.doubleValue
    }

    func object(_ key: String) -> ConfigJSON? {
        guard let o = object[key] as? [String: Any] else { return nil }
        return ConfigJSON(path: path, object: o)
    }

    /// True for JSON true/false. (`v is Bool` also holds for the numbers 0 and 1 on Linux.)
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func integer(_ v: Any) -> Int? {
        if isBool(v) { return nil }
        guard let n = v as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }
}
