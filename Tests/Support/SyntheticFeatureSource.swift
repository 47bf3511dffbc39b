import SAEKit

/// A deterministic in-memory `FeatureSource` for tests, demos and the UI benchmark.
///
/// Every value is a pure function of (seed, dictionary, feature), so two instances built with the
/// same arguments answer identically and nothing is stored per feature: 131,072 features cost no
/// memory. `stats` is cheap (a few hashes); `contexts`, `matches` and `sample` build small arrays.
/// With `hostileTokens` the vocabulary includes escape sequences, OSC 52, C1 controls, bidi
/// overrides and invalid-looking text, to exercise the explorer's sanitisation.
public final class SyntheticFeatureSource: FeatureSource {
    public let dictionaries: [DictionaryDescriptor]
    public let seed: UInt64
    public let vocabulary: [String]
    /// Every feature index that is a multiple of this is dead (0 disables).
    public let deadEvery: Int
    /// When set, `contexts` of this feature throws (to test error display).
    public let failingFeature: Int?

    /// Plain tokens, including whitespace, CJK, combining marks and single-scalar emoji.
    public static let plainVocabulary: [String] = [
        " the", " of", " and", " to", " in", "ing", "ed", " court", " v.", " U.S.", " §", " 42", "\n", "\n\n", "\t",
        " (", ")", ",", ".", " legal", " citation", " cat", " dog", "<bos>", "<eos>", " über", " café", "e\u{301}",
        "東京", "日本語", "の", "は", "한국어", " Москва", " 😀", "🚀", " 3.14", "def", " return", "  ", " x"
    ]
    /// Tokens a hostile or broken vocabulary may contain.
    public static let hostileVocabulary: [String] = [
        "\u{1B}[31mRED\u{1B}[0m", "\u{1B}]52;c;aGVsbG8=\u{07}", "\u{9B}2J", "\u{202E}evil\u{202C}", "\u{2066}iso\u{2069}",
        "\u{7F}del", "nul\u{0}", "👩‍💻", "🇫🇷", "👍🏽", "\r\n", "\u{200B}"
    ]

    public init(
        featureCount: Int = 131_072, dictionaryNames: [String] = ["standard", "cosine"], seed: UInt64 = 1,
        hostileTokens: Bool = false, hasNorms: Bool = true, deadEvery: Int = 97, failingFeature: Int? = nil
    ) {
        self.seed = seed
        self.deadEvery = deadEvery
        self.failingFeature = failingFeature
        self.vocabulary = hostileTokens ? Self.plainVocabulary + Self.hostileVocabulary : Self.plainVocabulary
        self.dictionaries = dictionaryNames.enumerated().map { index, name in
            DictionaryDescriptor(
                name: name, score: index % 2 == 0 ? .innerProduct : .cosine,
                architecture: index % 2 == 0 ? "jumprelu" : "cosine", dIn: 768, featureCount: featureCount,
                fingerprint: String(format16(Self.mix(seed &+ UInt64(index) &* 0x9E37))), path: "synthetic://\(name)",
                hasNorms: hasNorms)
        }
    }

    // MARK: hashing

    static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    func hash(_ dict: Int, _ feature: Int, _ salt: UInt64) -> UInt64 {
        Self.mix(
            seed
                ^ Self.mix(
                    UInt64(truncatingIfNeeded: dict) &* 0x1_0000_0001
                        ^ Self.mix(UInt64(truncatingIfNeeded: feature) ^ (salt &* 0xA24B_AED4_963E_E407))))
    }

    /// Uniform in [0, 1).
    func unit(_ dict: Int, _ feature: Int, _ salt: UInt64) -> Float {
        Float(hash(dict, feature, salt) >> 40) / Float(1 << 24)
    }

    func token(_ dict: Int, _ feature: Int, _ salt: UInt64) -> String {
        vocabulary[Int(hash(dict, feature, salt) % UInt64(vocabulary.count))]
    }

    // MARK: FeatureSource

    public func stats(dict: Int, feature: Int) -> FeatureStats {
        let dead = deadEvery > 0 && feature % deadEvery == 0
        let cosine = dictionaries[dict].score == .cosine
        let alpha: Float = cosine ? 0.2 + 2.3 * unit(dict, feature, 1) : 1
        let spearman = -0.2 + 1.15 * unit(dict, feature, 2)
        let elasticity = cosine ? alpha * (0.8 + 0.4 * unit(dict, feature, 3)) : 0.5 + unit(dict, feature, 3)
        let hasNorms = dictionaries[dict].hasNorms
        if dead {
            return FeatureStats(
                feature: feature, alpha: alpha, elasticity: nil, density: 0, maxActivation: 0, meanActivation: 0, dead: true,
                decoderNorm: 1, encoderNorm: 1, topTokens: [])
        }
        let density = Double(unit(dict, feature, 4)) * Double(unit(dict, feature, 5)) * 0.05 + 1e-5
        let maxAct = 0.5 + 30 * unit(dict, feature, 6)
        let hint = hasNorms && spearman > 0.8 && elasticity > 0.9
        return FeatureStats(
            feature: feature, alpha: alpha, elasticity: elasticity,
            normPearson: hasNorms ? spearman * 0.95 : nil, normSpearman: hasNorms ? spearman : nil,
            normPearsonActive: hasNorms ? spearman * 0.8 : nil, normSpearmanActive: hasNorms ? spearman * 0.85 : nil,
            topNormMass: hasNorms ? unit(dict, feature, 7) * 0.3 : nil, density: density, maxActivation: maxAct,
            meanActivation: maxAct * Float(density) * 0.3, dead: false, decoderNorm: 0.5 + unit(dict, feature, 8),
            encoderNorm: 0.5 + unit(dict, feature, 9), encoderDecoderCosine: 0.3 + 0.6 * unit(dict, feature, 10),
            singleTokenConcentration: unit(dict, feature, 11), specialTokenConcentration: unit(dict, feature, 12) * 0.2,
            normDetectorHint: hint, topTokens: (0..<3).map { token(dict, feature, 100 + UInt64($0)) })
    }

    /// One context of `length` tokens peaking at `peakOffset` with value `peak`.
    func context(dict: Int, feature: Int, salt: UInt64, peak: Float, length: Int = 33) -> TokenContext {
        let peakOffset = length / 2
        let sequence = Int(hash(dict, feature, salt) % 50_000)
        let start = Int(hash(dict, feature, salt &+ 1) % 900)
        var tokens: [String] = []
        var acts: [Float] = []
        for i in 0..<length {
            let salted = salt &* 131 &+ UInt64(i)
            tokens.append(i == peakOffset ? token(dict, feature, 100) : token(dict, feature, salted))
            let distance = Float(abs(i - peakOffset))
            let base = peak * max(0, 1 - distance / 6) * (0.4 + 0.6 * unit(dict, feature, salted &+ 7))
            acts.append(i == peakOffset ? peak : min(base, peak * 0.95))
        }
        return TokenContext(sequence: sequence, position: start + peakOffset, value: peak, start: start, tokens: tokens, activations: acts)
    }

    public func contexts(dict: Int, feature: Int) throws -> FeatureContexts {
        if feature == failingFeature { throw SyntheticSourceError(message: "synthetic failure reading contexts of feature \(feature)") }
        let s = stats(dict: dict, feature: feature)
        if s.dead { return .empty }
        let top = (0..<8).map { k in
            context(dict: dict, feature: feature, salt: 1000 + UInt64(k), peak: s.maxActivation * (1 - Float(k) * 0.06))
        }
        var intervals: [IntervalGroup] = []
        let bins = 5
        var remaining = 1.0
        for b in 0..<bins {
            let lower = s.maxActivation * Float(b) / Float(bins)
            let upper = s.maxActivation * Float(b + 1) / Float(bins)
            let share = b == bins - 1 ? remaining : remaining * 0.55
            remaining -= share
            let examples = (0..<2).map { k in
                context(dict: dict, feature: feature, salt: 2000 + UInt64(b * 10 + k), peak: lower + (upper - lower) * 0.5, length: 21)
            }
            intervals.append(IntervalGroup(lower: lower, upper: upper, contains: share, examples: examples))
        }
        let random = (0..<4).map { k in
            context(
                dict: dict, feature: feature, salt: 3000 + UInt64(k), peak: s.maxActivation * unit(dict, feature, 3000 + UInt64(k)),
                length: 21)
        }
        return FeatureContexts(top: top, intervals: intervals, random: random)
    }

    func matches(dict: Int, feature: Int, other: Int, limit: Int) -> [FeatureMatch] {
        let count = dictionaries[other].featureCount
        return (0..<min(limit, 8, count)).map { k in
            let f = Int(hash(dict, feature, 500 + UInt64(k)) % UInt64(count))
            let cosine = 0.95 - Float(k) * 0.08 - 0.05 * unit(dict, feature, 600 + UInt64(k))
            let correlation: Float? = k == 3 ? nil : cosine * (0.5 + 0.5 * unit(dict, feature, 700 + UInt64(k)))
            return FeatureMatch(feature: f, decoderCosine: cosine, activationCorrelation: correlation, mutual: k == 0)
        }
    }

    /// Eight matches by decoder cosine; the same ones with a correlation, by correlation.
    public func matchLists(dict: Int, feature: Int, other: Int) throws -> FeatureMatchLists {
        let byCosine = matches(dict: dict, feature: feature, other: other, limit: 8)
        let byCorrelation = byCosine.filter { $0.activationCorrelation != nil }.sorted {
            ($0.activationCorrelation ?? 0) > ($1.activationCorrelation ?? 0)
        }
        return FeatureMatchLists(byDecoderCosine: byCosine, byActivationCorrelation: byCorrelation)
    }

    public func allMatchLists(dict: Int, other: Int) -> [FeatureMatchLists]? {
        (0..<dictionaries[dict].featureCount).map { f in
            (try? matchLists(dict: dict, feature: f, other: other)) ?? FeatureMatchLists(byDecoderCosine: [], byActivationCorrelation: [])
        }
    }

    /// The feature's activations on another feature's context tokens: zero on two tokens in three,
    /// otherwise a deterministic fraction of its maximum.
    public func contexts(dict: Int, feature: Int, at others: [TokenContext]) throws -> [TokenContext] {
        let peak = stats(dict: dict, feature: feature).maxActivation
        return others.map { c in
            let acts = c.activations.indices.map { i -> Float in
                let h = hash(dict, feature, UInt64(c.sequence * 1000 + c.start + i))
                return h % 3 == 0 ? peak * Float(h % 1000) / 1000 : 0
            }
            return TokenContext(
                sequence: c.sequence, position: c.position, value: acts[c.peakIndex], start: c.start, tokens: c.tokens, activations: acts)
        }
    }

    public func neighbours(dict: Int, feature: Int, limit: Int) throws -> [FeatureMatch] {
        matches(dict: dict, feature: feature, other: dict, limit: limit)
    }

    public func sample(dict: Int, feature: Int) throws -> ActivationSample {
        let s = stats(dict: dict, feature: feature)
        if s.dead { return ActivationSample(values: [], norms: dictionaries[dict].hasNorms ? [] : nil) }
        let n = 400
        var values: [Float] = []
        var norms: [Float] = []
        values.reserveCapacity(n)
        let rho = s.normSpearman ?? 0
        for i in 0..<n {
            let u = unit(dict, feature, 10_000 + UInt64(i))
            let v = unit(dict, feature, 20_000 + UInt64(i))
            let norm = 20 + 80 * u
            values.append(max(0.01, s.maxActivation * (rho * u + (1 - rho) * v * v)))
            norms.append(norm)
        }
        return ActivationSample(values: values, norms: dictionaries[dict].hasNorms ? norms : nil)
    }
}

/// The error `SyntheticFeatureSource` throws for its `failingFeature`.
public struct SyntheticSourceError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

private func format16(_ x: UInt64) -> String {
    let hex = String(x, radix: 16)
    return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
}
