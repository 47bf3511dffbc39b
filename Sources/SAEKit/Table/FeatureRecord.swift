import Foundation

/// One row of `saex analyze`: a feature of a table, read through stable, documented field names.
///
/// The field names are a contract (docs/ANALYSIS.md): scripts read them from JSON and CSV.
/// Unknown values are JSON null, an empty CSV cell, and "n/a" in tables.
public struct FeatureRecord: Sendable {
    /// The columns of a record, in output order (after "dictionary").
    public static let columns: [FeatureColumn] = [
        .feature, .alpha, .elasticity, .normPearson, .normSpearman, .normPearsonActive, .normSpearmanActive, .topNormMass, .normAUC,
        .density, .log10Density, .activeCount, .maxActivation, .meanActivation, .dead, .normDetectorHint, .decoderNorm, .encoderNorm,
        .encoderDecoderCosine, .singleTokenConcentration, .specialTokenConcentration, .topTokens
    ]
    /// The best-match fields: the strongest match in any other dictionary by decoder cosine and by
    /// activation correlation. JSON nests each as {dictionary, feature, score}; CSV and tables
    /// spell them out as `<name>_dictionary`, `<name>_feature`, `<name>_score`.
    public static let matchFields = ["match_decoder", "match_activation"]
    public static let fields = ["dictionary"] + columns.map(\.rawValue) + matchFields
    /// The flat field names of CSV output.
    public static let flatFields =
        ["dictionary"] + columns.map(\.rawValue)
        + matchFields.flatMap { m in ["dictionary", "feature", "score"].map { m + "_" + $0 } }

    /// A value of one field.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int?)
        case number(Double?)
        case bool(Bool)
        case strings([String])
    }

    public let table: FeatureTable
    public let feature: Int
    /// The best match by decoder cosine and by activation correlation (nil when the source has no
    /// other dictionary or no stored matches).
    public var matchDecoder: BestMatch?
    public var matchActivation: BestMatch?

    public init(table: FeatureTable, feature: Int, matches: [BestMatch] = []) {
        self.table = table
        self.feature = feature
        matchDecoder = BestMatch.strongest(matches, by: .decoder)
        matchActivation = BestMatch.strongest(matches, by: .activation)
    }

    public var dictionary: String { table.descriptor.name }

    public func value(_ field: String) -> Value? {
        if field == "dictionary" { return .string(dictionary) }
        for (name, match) in zip(Self.matchFields, [matchDecoder, matchActivation]) where field.hasPrefix(name + "_") {
            switch field.dropFirst(name.count + 1) {
            case "dictionary": return .string(match?.dictionary ?? "")
            case "feature": return .int(match?.feature)
            case "score": return .number(match?.score)
            default: return nil
            }
        }
        guard let column = FeatureColumn(rawValue: field), Self.columns.contains(column) else { return nil }
        switch column {
        case .feature: return .int(feature)
        case .activeCount: return .int(table.value(.activeCount, feature).map { Int($0) })
        case .dead, .normDetectorHint: return .bool(table.value(column, feature) == 1)
        case .topTokens: return .strings(table.topTokens(feature))
        default: return .number(table.value(column, feature))
        }
    }

    /// A JSON object with every field.
    public var jsonObject: [String: Any] {
        var o: [String: Any] = [:]
        for (name, match) in zip(Self.matchFields, [matchDecoder, matchActivation]) {
            o[name] =
                match.map { m -> [String: Any] in
                    ["dictionary": m.dictionary, "feature": m.feature, "score": m.score.map { $0 as Any } ?? NSNull()]
                } ?? NSNull()
        }
        for k in Self.fields where !Self.matchFields.contains(k) {
            switch value(k) {
            case .string(let v): o[k] = v
            case .int(let v): o[k] = v.map { $0 as Any } ?? NSNull()
            case .number(let v): o[k] = v.map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull()
            case .bool(let v): o[k] = v
            case .strings(let v): o[k] = v
            case nil: break
            }
        }
        return o
    }

    /// Every feature of `tables` as records, ordered by `field` (nil: tables in order, features
    /// ascending): descending unless `ascending`, unknown values last either way, ties by
    /// dictionary name then feature. The same key as the explorer's sort.
    /// `matches` gives a feature's best matches (FeatureSource.bestMatches).
    public static func records(
        _ tables: [FeatureTable], sortedBy field: String?, ascending: Bool,
        matches: (FeatureTable, Int) -> [BestMatch] = { _, _ in [] }
    ) throws -> [FeatureRecord] {
        var all: [FeatureRecord] = []
        for t in tables { for f in 0..<t.featureCount { all.append(FeatureRecord(table: t, feature: f, matches: matches(t, f))) } }
        guard let field else { return all }
        let sortable = ["dictionary"] + FeatureColumn.sortableFields.map(\.rawValue)
        guard sortable.contains(field) else {
            throw SAEKitError(
                .badInput, path: nil, subject: "--sort \(field)", reason: "is not a field",
                remedy: "use one of: \(sortable.joined(separator: ", "))")
        }
        let column = FeatureColumn(rawValue: field)
        let keys = all.map { r in column.flatMap { r.table.sortKey($0, r.feature, labels: [:]) } }
        let order = all.indices.sorted { i, j in
            let a = all[i], b = all[j]
            if column == nil, a.dictionary != b.dictionary { return ascending ? a.dictionary < b.dictionary : a.dictionary > b.dictionary }
            switch (keys[i], keys[j]) {
            case let (x?, y?) where x != y: return ascending ? x < y : x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return (a.dictionary, a.feature) < (b.dictionary, b.feature)
            }
        }
        return order.map { all[$0] }
    }
}
