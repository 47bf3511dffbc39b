/// Every feature's match lists of one dictionary (neighbours, or matches in another dictionary),
/// as a collection indexed by feature.
///
/// An analysis read from disk keeps the lists in the mapped file and builds a feature's
/// `FeatureMatchLists` only when it is asked for, so opening a cache of a million features costs
/// nothing per feature; a computed analysis holds them as values.
public struct MatchListTable: RandomAccessCollection, Sendable {
    /// One list kind in the file: [count x k] features (-1 pads), cosines, correlations (NaN: none)
    /// and mutual flags.
    struct Columns: @unchecked Sendable {
        let features: UnsafeBufferPointer<Int32>
        let cosine: UnsafeBufferPointer<Float>
        let correlation: UnsafeBufferPointer<Float>
        let mutual: UnsafeBufferPointer<UInt8>

        func list(_ f: Int, k: Int) -> [FeatureMatch] {
            var out: [FeatureMatch] = []
            for j in (f * k)..<(f * k + k) where features[j] >= 0 {
                let c = correlation[j]
                out.append(
                    FeatureMatch(
                        feature: Int(features[j]), decoderCosine: cosine[j], activationCorrelation: c.isNaN ? nil : c,
                        mutual: mutual[j] != 0))
            }
            return out
        }
    }

    struct Mapped: @unchecked Sendable {
        let count, k: Int
        let byCosine, byCorrelation: Columns
        /// Keeps the mapping alive.
        let owner: AnyObject
    }

    enum Storage: Sendable {
        case owned([FeatureMatchLists])
        case mapped(Mapped)
    }

    let storage: Storage

    public init(_ lists: [FeatureMatchLists]) { storage = .owned(lists) }

    init(mapped: Mapped) { storage = .mapped(mapped) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .owned(let l): return l.count
        case .mapped(let m): return m.count
        }
    }

    public subscript(feature: Int) -> FeatureMatchLists {
        switch storage {
        case .owned(let l):
            return l[feature]
        case .mapped(let m):
            precondition(feature >= 0 && feature < m.count, "feature \(feature) outside the \(m.count) features")
            return FeatureMatchLists(
                byDecoderCosine: m.byCosine.list(feature, k: m.k), byActivationCorrelation: m.byCorrelation.list(feature, k: m.k))
        }
    }
}
