/// One dictionary offered to a blind A/B comparison.
public struct BlindDictionary: Sendable, Equatable {
    public var name: String
    public var fingerprint: String
    public var featureCount: Int
    /// Fraction of tokens each feature is active on (`featureCount` values); 0 means dead.
    public var density: [Double]

    public init(name: String, fingerprint: String, featureCount: Int, density: [Double]) {
        self.name = name
        self.fingerprint = fingerprint
        self.featureCount = featureCount
        self.density = density
    }
}

/// One sampled feature, as the key file records it. Never shown to the person rating.
public struct BlindKeyItem: Sendable, Codable, Equatable {
    /// Opaque id ("i" + 10 hex digits), the only thing the answers file knows.
    public var id: String
    /// 0 or 1: which of the session's two dictionaries.
    public var dictionary: Int
    public var feature: Int
    /// Density stratum (0 = rarest), or -1 when the feature filled a short stratum.
    public var stratum: Int
}

/// The stratified, seeded sample behind a blind session (docs/LABELS.md, "Blind A/B").
///
/// Alive features (density > 0) of both dictionaries are pooled and cut into `strata` quantile
/// bins of log10 density (equivalently of density, since the logarithm is monotonic, which also
/// keeps the cut free of platform `log10` rounding). Every stratum gets the same quota in both
/// dictionaries (the remainder of `perDictionary / strata` goes to strata chosen by the seed), so
/// the two samples have matched density profiles. A dictionary short of features in a stratum
/// fills the gap from its other alive features (recorded as stratum -1). Everything is drawn from
/// one `SplitMix64(seed:)` stream in a fixed order, so a seed gives the same sample everywhere.
public enum BlindSample {
    /// Draws `perDictionary` features from each of the two dictionaries and returns them in blind
    /// (shuffled) order.
    public static func draw(_ dictionaries: [BlindDictionary], perDictionary: Int, seed: UInt64, strata: Int = 5) throws -> [BlindKeyItem] {
        guard dictionaries.count == 2 else {
            throw SAEKitError(
                .badInput, path: nil, reason: "a blind comparison needs exactly two dictionaries, got \(dictionaries.count)",
                remedy: "give two --dict options")
        }
        guard perDictionary > 0, strata > 0 else {
            throw SAEKitError(
                .badInput, path: nil, reason: "the sample size and the number of strata must be positive",
                remedy: "give a sample size of at least 1")
        }
        var alive: [[(feature: Int, density: Double)]] = []
        for d in dictionaries {
            guard d.density.count == d.featureCount else {
                throw SAEKitError(
                    .badInput, path: nil, subject: d.name, reason: "\(d.density.count) densities for \(d.featureCount) features",
                    remedy: "rebuild the context cache")
            }
            let a = d.density.enumerated().filter { $0.element > 0 && $0.element.isFinite }.map {
                (feature: $0.offset, density: $0.element)
            }
            guard a.count >= perDictionary else {
                throw SAEKitError(
                    .badInput, path: nil, subject: d.name, reason: "only \(a.count) alive features, cannot sample \(perDictionary)",
                    remedy: "choose a sample size of at most \(a.count) per dictionary")
            }
            alive.append(a)
        }
        let pooled = (alive[0] + alive[1]).map(\.density).sorted()
        let edges = (1..<strata).map { pooled[$0 * pooled.count / strata] }
        func stratum(_ v: Double) -> Int { edges.reduce(0) { v >= $1 ? $0 + 1 : $0 } }

        var rng = SplitMix64(seed: seed)
        var quota = [Int](repeating: perDictionary / strata, count: strata)
        var order = Array(0..<strata)
        rng.shuffle(&order)
        for s in order.prefix(perDictionary % strata) { quota[s] += 1 }

        var items: [BlindKeyItem] = []
        for (di, features) in alive.enumerated() {
            var byStratum = [[Int]](repeating: [], count: strata)
            for f in features { byStratum[stratum(f.density)].append(f.feature) }
            var leftovers: [Int] = []
            var taken = 0
            for s in 0..<strata {
                var candidates = byStratum[s]
                rng.shuffle(&candidates)
                let k = min(quota[s], candidates.count)
                for f in candidates.prefix(k) { items.append(BlindKeyItem(id: "", dictionary: di, feature: f, stratum: s)) }
                leftovers += candidates.dropFirst(k)
                taken += k
            }
            if taken < perDictionary {
                leftovers.sort()
                rng.shuffle(&leftovers)
                for f in leftovers.prefix(perDictionary - taken) {
                    items.append(BlindKeyItem(id: "", dictionary: di, feature: f, stratum: -1))
                }
            }
        }
        var used = Set<String>()
        for i in items.indices {
            var id: String
            repeat {
                let hex = String(rng.next() >> 24, radix: 16)
                id = "i" + String(repeating: "0", count: max(0, 10 - hex.count)) + hex
            } while used.contains(id)
            used.insert(id)
            items[i].id = id
        }
        rng.shuffle(&items)
        return items
    }
}
