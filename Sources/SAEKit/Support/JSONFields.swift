import Foundation

/// The one rule saex applies to numbers and booleans from `JSONSerialization` (config files,
/// importers, label exports, safetensors headers).
///
/// Foundation hands every JSON number and boolean back as an NSNumber: booleans have objCType "c"
/// (and `v is Bool` also holds for the numbers 0 and 1 on Linux), integers written without a
/// fraction or exponent come back as integer types, everything else as Double.
enum JSONNumber {
    /// Magnitudes below this are integers a Double holds exactly (2^53).
    static let exactIntegerLimit = 9_007_199_254_740_992.0

    /// True for JSON `true` and `false`.
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    /// A JSON number (not a boolean), or nil.
    static func double(_ v: Any) -> Double? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        return n.doubleValue
    }

    /// An integer, or nil. A literal integer (`5`) must fit an Int; with `acceptFloatForm` an
    /// integral float form (`5.0`, `5e0`, as PyTorch configs write) is accepted below 2^53 in
    /// magnitude, where it is exact. Safetensors headers take literal integers only, as the
    /// reference reader (serde's usize) does.
    static func integer(_ v: Any, acceptFloatForm: Bool = true) -> Int? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        switch String(cString: n.objCType) {
        case "q", "l", "i", "s":
            return Int(exactly: n.int64Value)
        case "Q", "L", "I", "S":
            return Int(exactly: n.uint64Value)
        default:
            guard acceptFloatForm else { return nil }
            let d = n.doubleValue
            guard d.isFinite, d.rounded() == d, abs(d) < exactIntegerLimit else { return nil }
            return Int(d)
        }
    }

    /// How a value is described in an error: "a string", "null", ...
    static func typeName(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if v is String { return "a string" }
        if v is [Any] { return "an array" }
        if v is [String: Any] { return "an object" }
        if isBool(v) { return "a boolean" }
        if v is NSNumber { return "a number" }
        return "an unexpected value"
    }
}

/// A JSON object read from a file (a cfg.json, an imported export, a label file), with typed
/// accessors whose errors name the file and the field (`features[3].activations[0].values`, or
/// `key "d_in"` in a config) in one line. Numbers follow `JSONNumber`.
struct JSONFields {
    let dict: [String: Any]
    let path: String
    /// Where this object sits, e.g. "line 4" or "features[2]"; empty for the top level.
    let location: String
    /// What the user can do when a field is wrong.
    let remedy: String
    /// Name fields as `key "a.b"` (config files) instead of `a.b` (imported data).
    let keyStyle: Bool

    init(_ dict: [String: Any], path: String, location: String, remedy: String, keyStyle: Bool = false) {
        self.dict = dict
        self.path = path
        self.location = location
        self.remedy = remedy
        self.keyStyle = keyStyle
    }

    /// Parses `bytes` as one JSON object.
    static func parse(_ bytes: some Collection<UInt8>, path: String, location: String, remedy: String, keyStyle: Bool = false) throws
        -> JSONFields
    {
        let data = Data(bytes)
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw SAEKitError(
                .badInput, path: path, subject: location.isEmpty ? nil : location,
                reason: "is not valid JSON\(invalidJSONHint(data, error))",
                remedy: remedy)
        }
        guard let dict = value as? [String: Any] else {
            throw SAEKitError(
                .badInput, path: path, subject: location.isEmpty ? nil : location,
                reason: "expected a JSON object, found \(JSONNumber.typeName(value))", remedy: remedy)
        }
        return JSONFields(dict, path: path, location: location, remedy: remedy, keyStyle: keyStyle)
    }

    /// Why Foundation refused `data`, when it is one of the causes people hit: NaN or Infinity
    /// (not JSON), or nesting deeper than the parser allows.
    static func invalidJSONHint(_ data: Data, _ error: Error) -> String {
        let text = String(decoding: data.prefix(1 << 20), as: UTF8.self)
        if text.contains("NaN") || text.contains("Infinity") { return " (it contains NaN or Infinity, which JSON does not allow)" }
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        return detail.hasPrefix("Too many nested") ? " (nested too deeply: more than 512 arrays or objects inside each other)" : ""
    }

    /// Reads a small configuration file (cfg.json, activation_scaler.json) that must hold one object.
    static func config(path: String) throws -> JSONFields {
        let file = try MappedFile(path: path)
        return try parse(file.bytes, path: path, location: "", remedy: "fix or regenerate the file", keyStyle: true)
    }

    func field(_ key: String) -> String {
        let name = location.isEmpty ? key : location + "." + key
        return keyStyle ? "key \"\(name)\"" : name
    }

    func error(_ key: String, _ reason: String) -> SAEKitError {
        SAEKitError(
            .badInput, path: path, subject: field(key), reason: reason,
            remedy: keyStyle ? "fix \((path as NSString).lastPathComponent)" : remedy)
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// The value of `key`, or nil when absent or null.
    func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }

    /// The object at `key`, or nil when absent or not an object.
    func object(_ key: String) -> JSONFields? {
        guard let o = dict[key] as? [String: Any] else { return nil }
        return JSONFields(o, path: path, location: location.isEmpty ? key : location + "." + key, remedy: remedy, keyStyle: keyStyle)
    }

    func requireString(_ key: String) throws -> String {
        guard let v = value(key) else { throw error(key, "is missing") }
        guard let s = v as? String else { throw error(key, "expected a string, found \(JSONNumber.typeName(v))") }
        return s
    }

    /// A string; a number is accepted and written in decimal (Neuronpedia stores ids either way).
    func optionalStringOrNumber(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        if let s = v as? String { return s }
        if let i = JSONNumber.integer(v) { return String(i) }
        if let d = JSONNumber.double(v) { return String(d) }
        throw error(key, "expected a string, found \(JSONNumber.typeName(v))")
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v as? String else { throw error(key, "expected a string, found \(JSONNumber.typeName(v))") }
        return s
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard JSONNumber.isBool(v), let b = v as? Bool else { throw error(key, "expected true or false, found \(JSONNumber.typeName(v))") }
        return b
    }

    /// A number, or nil when absent or null (any finite Double).
    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = JSONNumber.double(v) else { throw error(key, "expected a number, found \(JSONNumber.typeName(v))") }
        guard d.isFinite else { throw error(key, "is not a finite number") }
        return d
    }

    /// A finite number that fits a Float, or nil when absent or null.
    func optionalNumber(_ key: String) throws -> Double? {
        guard let d = try optionalDouble(key) else { return nil }
        guard abs(d) <= Double(Float.greatestFiniteMagnitude) else { throw error(key, "is not a finite number") }
        return d
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let n = JSONNumber.integer(v) else {
            throw error(
                key,
                JSONNumber.double(v).map { "expected an integer, found \($0)" } ?? "expected an integer, found \(JSONNumber.typeName(v))")
        }
        return n
    }

    /// A required integer above 0.
    func positiveInt(_ key: String) throws -> Int {
        guard let n = try optionalInt(key) else {
            throw SAEKitError(
                .badInput, path: path, subject: field(key), reason: "is missing",
                remedy: "add it to \((path as NSString).lastPathComponent)")
        }
        guard n > 0 else { throw error(key, "must be a positive integer, found \(n)") }
        return n
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
        guard let i = JSONNumber.integer(v), i >= 0 else {
            throw error(
                key,
                JSONNumber.double(v).map { "\($0) is not a feature number" }
                    ?? "expected a feature number, found \(JSONNumber.typeName(v))")
        }
        return i
    }

    func requireStrings(_ key: String) throws -> [String] {
        try requireArray(key, of: "strings") { i, e in
            guard let s = e as? String else { throw error(key, "entry \(i) is \(JSONNumber.typeName(e)), expected a string") }
            return s
        }
    }

    func requireFloats(_ key: String) throws -> [Float] {
        try requireArray(key, of: "numbers") { i, e in
            guard let d = JSONNumber.double(e) else { throw error(key, "entry \(i) is \(JSONNumber.typeName(e)), expected a number") }
            guard d.isFinite, abs(d) <= Double(Float.greatestFiniteMagnitude) else { throw error(key, "entry \(i) is not a finite number") }
            return Float(d)
        }
    }

    /// The array at `key` ("an array of `what`"), each entry (with its index) through `entry`.
    private func requireArray<T>(_ key: String, of what: String, _ entry: (Int, Any) throws -> T) throws -> [T] {
        guard let v = value(key) else { throw error(key, "is missing") }
        guard let a = v as? [Any] else { throw error(key, "expected an array of \(what), found \(JSONNumber.typeName(v))") }
        return try a.enumerated().map { try entry($0.offset, $0.element) }
    }

    /// The objects of array `key`; nil when absent or null and `required` is false.
    func objects(_ key: String, required: Bool) throws -> [JSONFields]? {
        guard let v = value(key) else {
            if required { throw error(key, "is missing") }
            return nil
        }
        guard let a = v as? [Any] else { throw error(key, "expected an array, found \(JSONNumber.typeName(v))") }
        var out: [JSONFields] = []
        out.reserveCapacity(a.count)
        for (i, e) in a.enumerated() {
            let loc = (location.isEmpty ? key : location + "." + key) + "[\(i)]"
            guard let d = e as? [String: Any] else {
                throw SAEKitError(
                    .badInput, path: path, subject: keyStyle ? "key \"\(loc)\"" : loc,
                    reason: "expected an object, found \(JSONNumber.typeName(e))", remedy: remedy)
            }
            out.append(JSONFields(d, path: path, location: loc, remedy: remedy, keyStyle: keyStyle))
        }
        return out
    }
}

/// An optional that always appears in JSON: nil encodes as null instead of leaving the key out, so
/// scripts can rely on every documented key being present.
@propertyWrapper
public struct NullEncoded<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A missing key reads as nil, as it does for a plain optional: the synthesised decoders of
    /// `@NullEncoded` properties accept files written before a key existed.
    public func decode<V>(_ type: NullEncoded<V>.Type, forKey key: Key) throws -> NullEncoded<V> {
        try decodeIfPresent(type, forKey: key) ?? NullEncoded(wrappedValue: nil)
    }
}

/// The layout of the JSON documents saex writes for people and scripts alike.
enum PrettyJSON {
    /// `value` as pretty-printed UTF-8 JSON with sorted keys and unescaped slashes, ending in a newline.
    static func document<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var d = try e.encode(value)
        d.append(0x0A)
        return d
    }
}
