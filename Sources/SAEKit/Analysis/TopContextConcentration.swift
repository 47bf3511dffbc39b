/// The peaks of a feature's top contexts: token id and position in its sequence, best first.
public struct TopContextPeaks: Sendable, Equatable {
    public var tokenIDs: [Int]
    public var positions: [Int]

    public init(tokenIDs: [Int], positions: [Int]) {
        precondition(tokenIDs.count == positions.count, "one position per peak token")
        self.tokenIDs = tokenIDs
        self.positions = positions
    }
}

/// Which token ids are special (BOS, EOS, PAD, ...), as a mask indexed by token id.
public struct SpecialTokenMask: Sendable, Equatable {
    public var mask: [Bool]

    public init(mask: [Bool]) { self.mask = mask }
    public init(specialIDs: [Int], vocabularySize: Int) {
        var m = [Bool](repeating: false, count: vocabularySize)
        for id in specialIDs where id >= 0 && id < vocabularySize { m[id] = true }
        mask = m
    }

    /// Ids outside the mask are not special.
    public func contains(_ id: Int) -> Bool { id >= 0 && id < mask.count && mask[id] }

    public static let none = SpecialTokenMask(mask: [])
}

/// Concentration of a feature's top contexts on one token or on special positions; nil without contexts.
public enum TopContextConcentration {
    /// Share of top contexts whose peak token id is the most common peak token id.
    public static func singleToken(_ peaks: TopContextPeaks) -> Float? {
        guard !peaks.tokenIDs.isEmpty else { return nil }
        var counts: [Int: Int] = [:]
        for id in peaks.tokenIDs { counts[id, default: 0] += 1 }
        return Float(counts.values.max() ?? 0) / Float(peaks.tokenIDs.count)
    }

    /// Share of top contexts whose peak is at position 0 or on a special token.
    public static func specialOrFirst(_ peaks: TopContextPeaks, special: SpecialTokenMask) -> Float? {
        guard !peaks.tokenIDs.isEmpty else { return nil }
        var hits = 0
        for (id, pos) in zip(peaks.tokenIDs, peaks.positions) where pos == 0 || special.contains(id) { hits += 1 }
        return Float(hits) / Float(peaks.tokenIDs.count)
    }
}
