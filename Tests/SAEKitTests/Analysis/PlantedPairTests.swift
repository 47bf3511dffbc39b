import Foundation
import Testing
@testable import SAEKit

/// A planted pair of dictionaries, built into a real cache: feature j of B is feature pi(j) of A
/// with its encoder column, bias and decoder row multiplied by c_j > 0, so B's activation is c_j
/// times A's on every token (decoder cosine 1, activation correlation 1). One feature of A has no
/// counterpart in B and one feature of B (a fresh random direction) none in A. Every expectation
/// comes from the construction or from a dense double-precision computation in this file.
struct PlantedPairTests {
    static let dIn = 64, featuresA = 24, sequences = 40, length = 10
    /// A's feature with no counterpart in B.
    static let onlyInA = 5
    /// pi: B's feature j copies A's feature pi[j]; the last feature of B is new.
    static let pi: [Int] = {
        var rest = Array(0..<featuresA).filter { $0 != onlyInA }
        var g = SplitMix64(seed: 99)
        for i in stride(from: rest.count - 1, to: 0, by: -1) { rest.swapAt(i, g.next(below: i + 1)) }
        return rest
    }()
    static var featuresB: Int { pi.count + 1 }
    static var onlyInB: Int { pi.count }

    struct Planted {
        var wEncA: [Float], wEncB: [Float], bA: [Float], bB: [Float], x: [Float]
        var dictionaries: [NamedDictionary]

        /// Dense activation of feature f (weights `w` [dIn x d], bias `b`) on row r, in Double.
        func act(_ w: [Float], _ b: [Float], _ d: Int, _ f: Int, _ r: Int) -> Double {
            var s = Double(b[f])
            for k in 0..<dIn { s += Double(w[k * d + f]) * Double(x[r * dIn + k]) }
            return max(0, s)
        }
    }

    static func weights() -> (wEncA: [Float], wEncB: [Float], bA: [Float], bB: [Float], decA: [Float], decB: [Float]) {
        var r = AnalysisFixtures.Random(state: 2024)
        let (fa, fb) = (featuresA, featuresB)
        // A: unit random directions, bias -1 (each fires on about a sixth of the tokens).
        var dirA = (0..<fa).map { _ in (0..<dIn).map { _ in r.normal() } }
        dirA = dirA.map { v in
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n }
        }
        let newB: [Float] = {
            let v = (0..<dIn).map { _ in r.normal() }; let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n }
        }()
        let scale = (0..<fb).map { _ in Float(0.5 + 3 * r.uniform()) }
        let dirB = pi.map { dirA[$0] } + [newB]
        func encoder(_ dirs: [[Float]], _ s: [Float]) -> [Float] {
            var w = [Float](repeating: 0, count: dIn * dirs.count)
            for (f, d) in dirs.enumerated() { for k in 0..<dIn { w[k * dirs.count + f] = d[k] * s[f] } }
            return w
        }
        let onesA = [Float](repeating: 1, count: fa)
        let wEncA = encoder(dirA, onesA), wEncB = encoder(dirB, scale)
        let bA = [Float](repeating: -1, count: fa), bB = scale.map { -$0 }
        func decoder(_ dirs: [[Float]], _ s: [Float]) -> [Float] { dirs.enumerated().flatMap { f, v in v.map { $0 * s[f] } } }
        return (wEncA: wEncA, wEncB: wEncB, bA: bA, bB: bB, decA: decoder(dirA, onesA), decB: decoder(dirB, scale))
    }

    /// The planted weights written as SAELens "standard" folders (the cache reloads decoders from
    /// disk for the analysis), and the activations.
    static func planted(_ dir: TempDir) throws -> Planted {
        var r = AnalysisFixtures.Random(state: 7)
        let w = weights()
        func write(_ name: String, _ wEnc: [Float], _ b: [Float], _ wDec: [Float], _ d: Int) throws -> NamedDictionary {
            let folder = dir.file(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = dir.write(
                name + "/cfg.json",
                """
                {"d_in": \(dIn), "d_sae": \(d), "dtype": "float32", "apply_b_dec_to_input": false, \
                "normalize_activations": "none", "architecture": "standard"}
                """)
            var st = SafetensorsWriter()
            st.add("W_enc", shape: [dIn, d], floats: wEnc)
            st.add("b_enc", shape: [d], floats: b)
            st.add("W_dec", shape: [d, dIn], floats: wDec)
            st.add("b_dec", shape: [dIn], floats: [Float](repeating: 0, count: dIn))
            try st.write(to: folder + "/sae_weights.safetensors")
            return NamedDictionary(name: name, dictionary: try DictionaryLoader.load(path: folder))
        }
        // Tokens with norms from 2 to 14, so both matchers see the same scale spread.
        let x: [Float] = (0..<(sequences * length)).flatMap { _ in
            let norm = Float(2 + 12 * r.uniform())
            let v = (0..<dIn).map { _ in r.normal() }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / n * norm }
        }
        return Planted(
            wEncA: w.wEncA, wEncB: w.wEncB, bA: w.bA, bB: w.bB, x: x,
            dictionaries: [try write("A", w.wEncA, w.bA, w.decA, featuresA), try write("B", w.wEncB, w.bB, w.decB, featuresB)])
    }

    static func buildCache(_ p: Planted, _ dir: TempDir) throws -> CacheFeatureSource {
        var w = SafetensorsWriter()
        w.add("activations", shape: [sequences, length, dIn], floats: p.x)
        w.add("tokens", shape: [sequences, length], int32s: (0..<(sequences * length)).map { Int32(3 + $0 % 40) })
        let input = dir.file("acts.safetensors")
        try w.write(to: input)
        let vocab = CacheTests.makeVocab(dir)
        try CacheBuilder.build(
            dictionaries: p.dictionaries, input: try ActivationFile(path: input), vocabulary: try Vocabulary.load(path: vocab),
            vocabularyPath: vocab, output: dir.file("c.saexcache"))
        return try CacheFeatureSource(path: dir.file("c.saexcache"))
    }

    @Test(arguments: MatchRanking.allCases)
    func bothMatchersRecoverThePermutation(ranking: MatchRanking) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let source = try Self.buildCache(try Self.planted(dir), dir)
        let ab = try #require(source.allMatchLists(dict: 0, other: 1)), ba = try #require(source.allMatchLists(dict: 1, other: 0))
        let forward = PairTable(a: source.table(dict: 0), b: source.table(dict: 1), aToB: ab, bToA: ba, ranking: ranking)
        let backward = PairTable(a: source.table(dict: 1), b: source.table(dict: 0), aToB: ba, bToA: ab, ranking: ranking)
        for (j, i) in Self.pi.enumerated() {
            #expect(forward.matchOf(i) == j, "A #\(i) should match B #\(j) by \(ranking)")
            #expect(backward.matchOf(j) == i, "B #\(j) should match A #\(i) by \(ranking)")
            #expect(forward.mutual[i] && !forward.isUnmatched(i))
            #expect(abs(forward.decoderCosine[i] - 1) < 1e-5)
            #expect(abs(forward.activationCorrelation[i] - 1) < 1e-5)
        }
        // The planted loners: whatever their best match is, it is below the threshold.
        #expect(forward.isUnmatched(Self.onlyInA), "A #\(Self.onlyInA) has no counterpart (score \(forward.score[Self.onlyInA]))")
        #expect(backward.isUnmatched(Self.onlyInB), "B #\(Self.onlyInB) has no counterpart (score \(backward.score[Self.onlyInB]))")
        #expect(!forward.mutual[Self.onlyInA] && !backward.mutual[Self.onlyInB])
        let unmatched = forward.order(PairQuery(filter: .unmatched), labelsA: [:], labelsB: [:])
        #expect(unmatched == [Int32(Self.onlyInA)])
        #expect(forward.order(PairQuery(filter: .mutual), labelsA: [:], labelsB: [:]).count == Self.pi.count)
    }

    /// `labelled` keeps a pair when either side has a label, `unlabelled` when neither has one, and
    /// `verdicts_differ` needs a verdict on both sides.
    @Test func labelFiltersLookAtBothSides() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let source = try Self.buildCache(try Self.planted(dir), dir)
        let ab = try #require(source.allMatchLists(dict: 0, other: 1)), ba = try #require(source.allMatchLists(dict: 1, other: 0))
        let pairs = PairTable(a: source.table(dict: 0), b: source.table(dict: 1), aToB: ab, bToA: ba, ranking: .combined)
        // A's pi[0] is labelled on A's side; A's pi[1] only through its match, B's feature 1.
        let onA = Self.pi[0], onB = Self.pi[1], both = Self.pi[2]
        let labelsA: [Int: FeatureLabel] = [onA: FeatureLabel(verdict: .interpretable), both: FeatureLabel(verdict: .interpretable)]
        let labelsB: [Int: FeatureLabel] = [1: FeatureLabel(concept: "commas"), 2: FeatureLabel(verdict: .normDetector)]
        let labelled = pairs.order(PairQuery(filter: .labelled), labelsA: labelsA, labelsB: labelsB)
        #expect(labelled == [onA, onB, both].sorted().map(Int32.init))
        let unlabelled = pairs.order(PairQuery(filter: .unlabelled), labelsA: labelsA, labelsB: labelsB)
        #expect(unlabelled.count == Self.featuresA - 3 && Set(unlabelled).isDisjoint(with: labelled))
        #expect(pairs.order(PairQuery(filter: .verdictsDiffer), labelsA: labelsA, labelsB: labelsB) == [Int32(both)])
    }

    /// Shared evidence: B's activations at A's top contexts equal a dense computation of B's
    /// encoder on those tokens, and the reverse.
    @Test func sharedEvidenceEqualsDenseActivations() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let p = try Self.planted(dir)
        let source = try Self.buildCache(p, dir)
        let sides = [(w: p.wEncA, b: p.bA, d: Self.featuresA), (w: p.wEncB, b: p.bB, d: Self.featuresB)]
        var checked = 0
        for (mine, other) in [(0, 1), (1, 0)] {
            for f in [0, 3, Self.onlyInA, 17] {
                let top = try source.contexts(dict: mine, feature: f).top
                #expect(!top.isEmpty)
                for g in [1, 7, sides[other].d - 1] {
                    let shared = try source.contexts(dict: other, feature: g, at: top)
                    #expect(shared.count == top.count)
                    for (c, s) in zip(top, shared) {
                        #expect(s.sequence == c.sequence && s.position == c.position)
                        #expect(s.activations.count == Self.length)
                        for (pos, v) in s.activations.enumerated() {
                            let want = p.act(sides[other].w, sides[other].b, sides[other].d, g, c.sequence * Self.length + pos)
                            #expect(abs(Double(v) - want) <= 1e-4 * max(1, want), "dict \(other) #\(g) seq \(c.sequence) pos \(pos)")
                            checked += 1
                        }
                        #expect(s.value == s.activations[s.position])
                    }
                }
            }
        }
        #expect(checked > 1000)
    }
}
