import Foundation

/// A JSON object read from an imported file, with typed accessors whose errors name the file and
/// the field (`features[3].activations[0].values`) in one line.
struct JSONFields {
    let dict: [String: Any]
    let path: String
    /// Where this object sits, e.g. "line 4" or "features[2]"; empty for the top level.
    let location: String
    /// What the user can do when a field is wrong.
    let remedy: String

    init(_ dict: [String: Any], path: String, location: String, remedy: String) {
        self.dict = dict
        self.path = path
        self.location = location
        self.remedy = remedy
    }

    /// Parses `bytes` as one JSON object.
    static func parse(_ bytes: some Collection<UInt8>, path: String, location: String, remedy: String) throws -> JSONFields {
        let data = Data(bytes)
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            let text = String(decoding: data.prefix(1 << 20), as: UTF8.self)
            let hint = text.contains("NaN") || text.contains("Infinity") ? " (it contains NaN or Infinity, which JSON does not allow)" : ""
            throw SAEKitError(.badInput, path: path, subject: location.isEmpty ? nil : location, reason: "is not valid JSON\(hint)", remedy: remedy)
        }
        guard let dict = value as? [String: Any] else {
            throw SAEKitError(.badInput, path: path, subject: location.isEmpty ? nil : location,
                              reason: "expected a JSON object, found \(JSONFields.typeName(value))", remedy: remedy)
        }
        return JSONFields(dict, path: path, location: location, remedy: remedy)
    }

    func field(_ key: String) -> String { location.isEmpty ? key : location + "." + key }

    func error(_ key: String, _ reason: String) -> SAEKitError {
        SAEKitError(.badInput, path: path, subject: field(key), reason: reason, remedy: remedy)
    }

    func has(_ key: String) -> Bool {
        guard let v = dict[key] else { return false }
        return !(v is NSNull)
    }

    /// The value of `key`, or nil when absent or null.
    func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }

    static func typeName(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if v is String { return "a string" }
        if v is [Any] { return "an array" }
        if v is [String: Any] { return "an object" }
        if isBool(v) { return "a boolean" }
        if v is NSNumber { return "a number" }
        return "an unexpected value"
    }

    static func isBool(_ v: Any) -> Bool {
        if v is Bool, !(v is NSNumber) { return true }
        if let n = v as? NSNumber { return String(cString: n.objCType) == "c" }
        return false
    }

    /// A finite number, or nil when `v` is not a number.
    static func number(_ v: Any) -> Double? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        return n.doubleValue
    }

    func requireString(_ key: String) throws -> String {
        guard let v = value(key) else { throw error(key, "is missing") }
        guard let s = v as? String else { throw error(key, "expected a string, found \(JSONFields.typeName(v))") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        if let s = v as? String { return s }
        if let d = JSONFields.number(v) { return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d) }
        throw error(key, "expected a string, found \(JSONFields.typeName(v))")
    }

    /// A finite number that fits a Float, or nil when absent or null.
    func optionalNumber(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = JSONFields.number(v) else { throw error(key, "expected a number, found \(JSONFields.typeName(v))") }
        guard d.isFinite, abs(d) <= Double(Float.greatestFiniteMagnitude) else { throw error(key, "is not a finite number") }
        return d
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let d = try optionalNumber(key) else { return nil }
        guard d == d.rounded(), abs(d) < 1e15 else { throw error(key, "expected an integer, found \(d)") }
        return Int(d)
    }

    /// A feature number: a non-negative integer, or a string of decimal digits (Neuronpedia stores
    /// indices as text).
    func requireIndex(_ key: String) throws -> Int {
        guard let v = value(key) else { throw error(key, "is missing") }
        if let s = v as? String {
            guard !s.isEmpty, s.count <= 15, s.allSatisfy({ $0.isASCII && $0.isNumber }), let i = Int(s) else {
                throw error(key, "\"\(s.prefix(40))\" is not a feature number")
            }
            return i
        }
        guard let d = JSONFields.number(v) else { throw error(key, "expected a feature number, found \(JSONFields.typeName(v))") }
        guard d >= 0, d == d.rounded(), d < 1e15 else { throw error(key, "\(d) is not a feature number") }
        return Int(d)
    }

    func requireStrings(_ key: String) throws -> [String] {
        guard let v = value(key) else { throw error(key, "is missing") }
        guard let a = v as? [Any] else { throw error(key, "expected an array of strings, found \(JSONFields.typeName(v))") }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for (i, e) in a.enumerated() {
            guard let s = e as? String else { throw error(key, "entry \(i) is \(JSONFields.typeName(e)), expected a string") }
            out.append(s)
        }
        return out
    }

    func requireFloats(_ key: String) throws -> [Float] {
        guard let v = value(key) else { throw error(key, "is missing") }
        guard let a = v as? [Any] else { throw error(key, "expected an array of numbers, found \(JSONFields.typeName(v))") }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for (i, e) in a.enumerated() {
            guard let d = JSONFields.number(e) else { throw error(key, "entry \(i) is \(JSONFields.typeName(e)), expected a number") }
            guard d.isFinite, abs(d) <= Double(Float.greatestFiniteMagnitude) else { throw error(key, "entry \(i) is not a finite number") }
            out.append(Float(d))
        }
        return out
    }

    /// The objects of array `key`; nil when absent or null and `required` is false.
    func objects(_ key: String, required: Bool) throws -> [JSONFields]? {
        guard let v = value(key) else {
            if required { throw error(key, "is missing") }
            return nil
        }
        guard let a = v as? [Any] else { throw error(key, "expected an array, found \(JSONFields.typeName(v))") }
        var out: [JSONFields] = []
        out.reserveCapacity(a.count)
        for (i, e) in a.enumerated() {
            let loc = field(key) + "[\(i)]"
            guard let d = e as? [String: Any] else {
                throw SAEKitError(.badInput, path: path, subject: loc, reason: "expected an object, found \(JSONFields.typeName(e))", remedy: remedy)
            }
            out.append(JSONFields(d, path: path, location: loc, remedy: remedy))
        }
        return out
    }
}
