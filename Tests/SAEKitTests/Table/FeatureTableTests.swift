import Foundation
import Testing
@testable import SAEKit

/// The table's order against a brute-force reading of the rules it documents: filter, search,
/// then sort with unknown values last in either direction and ties by feature number.
@Suite struct FeatureTableTests {
    static func descriptor(_ name: String, _ count: Int) -> DictionaryDescriptor {
        DictionaryDescriptor(
            name: name, score: .cosine, architecture: "test", dIn: 4, featureCount: count, fingerprint: "fp-\(name)",
            path: name, hasNorms: true)
    }

    /// Features with ties, unknowns, dead ones and hints, from a seeded generator.
    static func planted(_ count: Int, seed: UInt64 = 5) -> [FeatureStats] {
        var g = SplitMix64(seed: seed)
        let words = [" the", " she", " bushes", " court", "ing", " Court", " shed", " she's", ""]
        return (0..<count).map { f in
            let active = g.next(below: 5) == 0 ? 0 : g.next(below: 50)
            var s = FeatureStats(feature: f)
            s.alpha = g.next(below: 6) == 0 ? nil : Float(g.next(below: 5)) / 4  // many ties
            s.normSpearmanActive = g.next(below: 4) == 0 ? nil : Float(g.next(below: 200)) / 100 - 1
            s.maxActivation = Float(g.next(below: 10))
            s.activeCount = active
            s.density = Double(active) / 1000
            s.dead = active == 0
            s.normDetectorHint = g.next(below: 7) == 0
            s.topTokens = (0..<g.next(below: 4)).map { _ in words[g.next(below: words.count - 1)] }
            return s
        }
    }

    /// The documented order, written out directly over the stats.
    static func bruteForce(_ stats: [FeatureStats], key: (FeatureStats) -> Double?, descending: Bool, keep: (FeatureStats) -> Bool)
        -> [Int32]
    {
        stats.filter(keep).sorted { a, b in
            switch (key(a), key(b)) {
            case let (x?, y?) where x != y: return descending ? x > y : x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.feature < b.feature
            }
        }.map { Int32($0.feature) }
    }

    @Test(arguments: [false, true])
    func sortsPutUnknownLastAndBreakTiesByFeature(_ descending: Bool) {
        let stats = Self.planted(600)
        let table = FeatureTable(descriptor: Self.descriptor("a", 600), tokenCount: 1000, stats: stats)
        let cases: [(FeatureColumn, (FeatureStats) -> Double?)] = [
            (.alpha, { $0.alpha.map(Double.init) }),
            (.normSpearmanActive, { $0.normSpearmanActive.map(Double.init) }),
            (.maxActivation, { Double($0.maxActivation) }),
            (.density, { $0.density }),
            (.activeCount, { $0.activeCount.map(Double.init) }),
            (.normDetectorHint, { $0.normDetectorHint ? 1 : 0 })
        ]
        for (column, key) in cases {
            let got = table.order(FeatureQuery(sort: column, descending: descending), labels: [:])
            #expect(
                got == Self.bruteForce(stats, key: key, descending: descending, keep: { _ in true }), "\(column) descending \(descending)")
        }
        let byFeature = table.order(FeatureQuery(sort: .feature, descending: descending), labels: [:])
        #expect(byFeature == (descending ? Array((0..<600).reversed()) : Array(0..<600)).map(Int32.init))
    }

    @Test func filtersKeepWhatTheyName() {
        let stats = Self.planted(400)
        let table = FeatureTable(descriptor: Self.descriptor("a", 400), tokenCount: 1000, stats: stats)
        let labels: [Int: FeatureLabel] = [
            3: FeatureLabel(verdict: .normDetector), 7: FeatureLabel(verdict: .interpretable, concept: "x"),
            9: FeatureLabel(concept: "only a concept")
        ]
        func check(_ filter: FeatureFilter, minimumActive: Int = 0, _ keep: (FeatureStats) -> Bool) {
            let got = table.order(FeatureQuery(filter: filter, minimumActive: minimumActive), labels: labels)
            #expect(got == stats.filter(keep).map { Int32($0.feature) }, "\(filter)")
        }
        check(.normDetectorHints) { $0.normDetectorHint }
        check(.dead) { $0.dead }
        check(.alphaAbove(0.5)) { ($0.alpha ?? -1) > 0.5 }
        check(.unlabelled) { ![3, 7, 9].contains($0.feature) }
        check(.labelled) { [3, 7, 9].contains($0.feature) }
        check(.verdict(.normDetector)) { $0.feature == 3 }
        check(.all, minimumActive: 10) { ($0.activeCount ?? 0) >= 10 }
    }

    @Test func searchMatchesWholeWordsByDefaultAndSubstringsOnRequest() {
        var stats = (0..<4).map { FeatureStats(feature: $0) }
        stats[0].topTokens = [" bushes"]
        stats[1].topTokens = [" she", " the"]
        stats[2].topTokens = [" She's"]
        stats[3].topTokens = [" court"]
        let table = FeatureTable(descriptor: Self.descriptor("a", 4), tokenCount: 10, stats: stats)
        let labels: [Int: FeatureLabel] = [3: FeatureLabel(concept: "what she said")]
        #expect(table.order(FeatureQuery(search: "she"), labels: labels) == [1, 2, 3])
        #expect(table.order(FeatureQuery(search: "SHE", wholeWord: false), labels: labels) == [0, 1, 2, 3])
        #expect(table.order(FeatureQuery(search: "court"), labels: [:]) == [3])
        #expect(table.order(FeatureQuery(search: "ushe", wholeWord: true), labels: [:]).isEmpty)
    }

    @Test func labelOrderIsVerdictOrderWithUnlabelledLast() {
        let table = FeatureTable(descriptor: Self.descriptor("a", 5), tokenCount: 10, stats: (0..<5).map { FeatureStats(feature: $0) })
        let labels: [Int: FeatureLabel] = [
            0: FeatureLabel(verdict: .polysemantic), 2: FeatureLabel(verdict: .interpretable),
            4: FeatureLabel(concept: "no verdict")
        ]
        // Verdict.allCases order: interpretable, normDetector, uninterpretable, polysemantic, unsure; then a label without verdict.
        #expect(table.order(FeatureQuery(sort: .label), labels: labels) == [2, 0, 4, 1, 3])
        #expect(table.order(FeatureQuery(sort: .label, descending: true), labels: labels) == [4, 0, 2, 1, 3])
    }

    @Test func rowsRoundTripThroughTheColumns() {
        var s = FeatureStats(
            feature: 0, alpha: 0.25, elasticity: nil, normPearson: 0.5, normSpearman: -0.5, normPearsonActive: nil,
            normSpearmanActive: 0.1, topNormMass: 0.2, density: 0.003, maxActivation: 4, meanActivation: 0.01, dead: false,
            decoderNorm: 1, encoderNorm: nil, encoderDecoderCosine: 0.9, singleTokenConcentration: 0.5,
            specialTokenConcentration: nil, normDetectorHint: true, topTokens: [" a", " b"], normAUC: 0.7, activeCount: 3)
        let table = FeatureTable(descriptor: Self.descriptor("a", 1), tokenCount: 1000, stats: [s])
        #expect(table.stats(0) == s)
        s.topTokens = []
        #expect(FeatureTable(descriptor: Self.descriptor("a", 1), tokenCount: 1000, stats: [s]).stats(0) == s)
    }

    /// `saex analyze --sort` across dictionaries: one order, ties by dictionary name then feature.
    @Test func recordsOfSeveralTablesSortTogether() throws {
        let a = Self.planted(50, seed: 1), b = Self.planted(50, seed: 2)
        let tables = [
            FeatureTable(descriptor: Self.descriptor("zeta", 50), tokenCount: 1000, stats: a),
            FeatureTable(descriptor: Self.descriptor("alpha", 50), tokenCount: 1000, stats: b)
        ]
        let records = try FeatureRecord.records(tables, sortedBy: "max_activation", ascending: false)
        let expected = (a.map { ("zeta", $0) } + b.map { ("alpha", $0) }).sorted { x, y in
            x.1.maxActivation != y.1.maxActivation ? x.1.maxActivation > y.1.maxActivation : (x.0, x.1.feature) < (y.0, y.1.feature)
        }
        #expect(records.map { "\($0.dictionary)#\($0.feature)" } == expected.map { "\($0.0)#\($0.1.feature)" })
        #expect(throws: SAEKitError.self) { try FeatureRecord.records(tables, sortedBy: "top_tokens", ascending: true) }
    }
}
