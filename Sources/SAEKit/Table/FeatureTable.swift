import Foundation

/// Token ids to display strings: a cache's vocabulary, or the distinct preview strings of an import.
public protocol TokenVocabulary: AnyObject, Sendable {
    /// Ids run from 0 to `vocabularySize - 1`.
    var vocabularySize: Int { get }
    /// The display string of `id` (empty for padding and unknown ids).
    func tokenText(_ id: Int32) -> String
}

/// A vocabulary made of the strings it was given, for sources whose previews come as text.
public final class StringVocabulary: TokenVocabulary {
    public let strings: [String]
    public init(_ strings: [String]) { self.strings = strings }
    public var vocabularySize: Int { strings.count }
    public func tokenText(_ id: Int32) -> String { id >= 0 && Int(id) < strings.count ? strings[Int(id)] : "" }
}

/// Every feature of one dictionary as columns: the statistics the list shows, filters, sorts and
/// searches, and the dictionary summaries are made of. The one home of those rules: the explorer,
/// `saex analyze` and `saex summary` all read features through a table.
///
/// Immutable and shareable across threads. A table built from a cache's analysis borrows its
/// columns from the mapped analysis file; others own arrays. A nil statistic is stored as NaN and
/// comes back as nil ("unavailable", never zero).
public final class FeatureTable: @unchecked Sendable {
    public let descriptor: DictionaryDescriptor
    /// Real (non-padding) tokens the statistics ran over; nil when unknown (imports).
    public let tokenCount: Int?
    public var featureCount: Int { descriptor.featureCount }

    /// The numeric columns, one value per feature; NaN = unknown.
    public struct Floats: Sendable {
        public var alpha, elasticity, normPearson, normSpearman, normPearsonActive, normSpearmanActive: TableColumn<Float>
        public var topNormMass, normAUC, maxActivation, meanActivation, decoderNorm, encoderNorm, encoderDecoderCosine: TableColumn<Float>
        public var singleTokenConcentration, specialTokenConcentration: TableColumn<Float>
    }

    public let floats: Floats
    public let density: TableColumn<Double>
    /// Active tokens per feature; -1 = unknown.
    public let activeCount: TableColumn<Int64>
    public let dead, hint: TableColumn<UInt8>
    /// Up to `previewWidth` peak-token ids per feature, row-major [featureCount x previewWidth]; -1 pads.
    public let previewIDs: TableColumn<Int32>
    public let previewWidth: Int
    public let vocabulary: any TokenVocabulary

    public init(
        descriptor: DictionaryDescriptor, tokenCount: Int?, floats: Floats, density: TableColumn<Double>, activeCount: TableColumn<Int64>,
        dead: TableColumn<UInt8>, hint: TableColumn<UInt8>, previewIDs: TableColumn<Int32>, previewWidth: Int,
        vocabulary: any TokenVocabulary
    ) {
        let f = descriptor.featureCount
        precondition(density.count == f && activeCount.count == f && dead.count == f && hint.count == f, "a column has the wrong length")
        precondition(previewWidth >= 0 && previewIDs.count == f * previewWidth, "previews have the wrong length")
        self.descriptor = descriptor
        self.tokenCount = tokenCount
        self.floats = floats
        self.density = density
        self.activeCount = activeCount
        self.dead = dead
        self.hint = hint
        self.previewIDs = previewIDs
        self.previewWidth = previewWidth
        self.vocabulary = vocabulary
    }

    /// A table of `stats` (one per feature, in feature order), with their `topTokens` as previews.
    public convenience init(descriptor: DictionaryDescriptor, tokenCount: Int?, stats: [FeatureStats]) {
        var strings: [String] = []
        var ids: [String: Int32] = [:]
        let width = stats.map(\.topTokens.count).max() ?? 0
        var preview = [Int32](repeating: -1, count: stats.count * width)
        for (f, s) in stats.enumerated() {
            for (j, t) in s.topTokens.enumerated() {
                if let id = ids[t] {
                    preview[f * width + j] = id
                } else {
                    let id = Int32(strings.count)
                    ids[t] = id
                    strings.append(t)
                    preview[f * width + j] = id
                }
            }
        }
        self.init(
            descriptor: descriptor, tokenCount: tokenCount, stats: stats, previewIDs: preview, previewWidth: width,
            vocabulary: StringVocabulary(strings))
    }

    /// A table of `stats` whose previews are token ids of `vocabulary` ([count x previewWidth], -1 pads).
    public convenience init(
        descriptor: DictionaryDescriptor, tokenCount: Int?, stats: [FeatureStats], previewIDs: [Int32], previewWidth: Int,
        vocabulary: any TokenVocabulary
    ) {
        func col(_ get: (FeatureStats) -> Float?) -> TableColumn<Float> { TableColumn(stats.map { get($0) ?? .nan }) }
        let floats = Floats(
            alpha: col(\.alpha), elasticity: col(\.elasticity), normPearson: col(\.normPearson), normSpearman: col(\.normSpearman),
            normPearsonActive: col(\.normPearsonActive), normSpearmanActive: col(\.normSpearmanActive), topNormMass: col(\.topNormMass),
            normAUC: col(\.normAUC), maxActivation: col { $0.maxActivation }, meanActivation: col { $0.meanActivation },
            decoderNorm: col(\.decoderNorm), encoderNorm: col(\.encoderNorm), encoderDecoderCosine: col(\.encoderDecoderCosine),
            singleTokenConcentration: col(\.singleTokenConcentration), specialTokenConcentration: col(\.specialTokenConcentration))
        var d = descriptor
        d.featureCount = stats.count
        self.init(
            descriptor: d, tokenCount: tokenCount, floats: floats, density: TableColumn(stats.map(\.density)),
            activeCount: TableColumn(stats.map { Int64($0.activeCount ?? -1) }), dead: TableColumn(stats.map { $0.dead ? 1 : 0 }),
            hint: TableColumn(stats.map { $0.normDetectorHint ? 1 : 0 }), previewIDs: TableColumn(previewIDs), previewWidth: previewWidth,
            vocabulary: vocabulary)
    }

    @inline(__always)
    static func known(_ v: Float) -> Float? { v.isNaN ? nil : v }

    /// The peak tokens of `feature`'s best contexts, best first (list previews).
    public func topTokens(_ feature: Int) -> [String] {
        var out: [String] = []
        for j in 0..<previewWidth {
            let id = previewIDs[feature * previewWidth + j]
            if id >= 0 { out.append(vocabulary.tokenText(id)) }
        }
        return out
    }

    /// One feature's row as a `FeatureStats` value.
    public func stats(_ feature: Int) -> FeatureStats {
        let c = floats, f = feature
        let active = activeCount[f]
        return FeatureStats(
            feature: f, alpha: Self.known(c.alpha[f]), elasticity: Self.known(c.elasticity[f]), normPearson: Self.known(c.normPearson[f]),
            normSpearman: Self.known(c.normSpearman[f]), normPearsonActive: Self.known(c.normPearsonActive[f]),
            normSpearmanActive: Self.known(c.normSpearmanActive[f]), topNormMass: Self.known(c.topNormMass[f]), density: density[f],
            maxActivation: c.maxActivation[f], meanActivation: c.meanActivation[f], dead: dead[f] != 0,
            decoderNorm: Self.known(c.decoderNorm[f]),
            encoderNorm: Self.known(c.encoderNorm[f]), encoderDecoderCosine: Self.known(c.encoderDecoderCosine[f]),
            singleTokenConcentration: Self.known(c.singleTokenConcentration[f]),
            specialTokenConcentration: Self.known(c.specialTokenConcentration[f]),
            normDetectorHint: hint[f] != 0, topTokens: topTokens(f), normAUC: Self.known(c.normAUC[f]),
            activeCount: active >= 0 ? Int(active) : nil)
    }

    /// The value of a numeric column for `feature` (nil when unknown; booleans as 0/1). The text
    /// preview and the label order have no numeric value here.
    public func value(_ column: FeatureColumn, _ f: Int) -> Double? {
        func d(_ v: Float) -> Double? { v.isNaN ? nil : Double(v) }
        let c = floats
        switch column {
        case .feature: return Double(f)
        case .alpha: return d(c.alpha[f])
        case .elasticity: return d(c.elasticity[f])
        case .normPearson: return d(c.normPearson[f])
        case .normSpearman: return d(c.normSpearman[f])
        case .normPearsonActive: return d(c.normPearsonActive[f])
        case .normSpearmanActive: return d(c.normSpearmanActive[f])
        case .topNormMass: return d(c.topNormMass[f])
        case .normAUC: return d(c.normAUC[f])
        case .density: return density[f]
        case .log10Density: return density[f] > 0 ? log10(density[f]) : nil
        case .activeCount: return activeCount[f] >= 0 ? Double(activeCount[f]) : nil
        case .maxActivation: return d(c.maxActivation[f])
        case .meanActivation: return d(c.meanActivation[f])
        case .dead: return Double(dead[f])
        case .normDetectorHint: return Double(hint[f])
        case .decoderNorm: return d(c.decoderNorm[f])
        case .encoderNorm: return d(c.encoderNorm[f])
        case .encoderDecoderCosine: return d(c.encoderDecoderCosine[f])
        case .singleTokenConcentration: return d(c.singleTokenConcentration[f])
        case .specialTokenConcentration: return d(c.specialTokenConcentration[f])
        case .label, .topTokens: return nil
        }
    }
}

extension FeatureTable: Equatable {
    /// Tables are immutable: two are equal when they are the same table.
    public static func == (a: FeatureTable, b: FeatureTable) -> Bool { a === b }
}
