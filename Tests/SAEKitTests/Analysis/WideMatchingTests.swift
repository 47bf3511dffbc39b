import Foundation
import Testing
@testable import SAEKit

/// The matching that lets wide dictionaries be analysed: each pair once (upper triangle, one
/// correlation pass for both directions) against brute force, the approximate matcher against
/// the exact one, and the plan that chooses between them.
struct WideMatchingTests {
    // MARK: each pair once

    @Test(arguments: [(1, 1), (3, 2), (7, 2), (64, 1), (1000, 2)])
    func upperTriangleNeighboursEqualBruteForce(blockRows: Int, threads: Int) {
        let dim = 9, rows = 41
        var w = MatchingAndSummaryTests.randomRows(rows, dim, seed: 21)
        for j in 0..<dim { w[30 * dim + j] = 2 * w[3 * dim + j] }  // a duplicate across blocks
        for j in 0..<dim { w[11 * dim + j] = 0 }  // a zero row: cosine 0 with everything
        let m = w.withUnsafeBufferPointer {
            DecoderMatching.neighbours($0.baseAddress!, rows: rows, dim: dim, k: 5, blockRows: blockRows, threads: threads)
        }
        let want = MatchingAndSummaryTests.bruteTopK(w, rows, w, rows, dim, k: 5, excludeSelf: true)
        for i in 0..<rows where i != 11 { #expect(m.matchesOfA(i).map(\.feature) == want[i], "row \(i)") }
        // Ties at cosine 0 go to the lowest indices, as a full scan gives them.
        #expect(m.matchesOfA(11).map(\.feature) == [0, 1, 2, 3, 4])
        #expect(m.bestOfA(3) == 30 && m.bestOfA(30) == 3)
    }

    /// Brute-force Pearson over dense columns, top-k among co-active partners, ties to the lower index.
    static func bruteCorrelation(_ da: [[Double]], _ db: [[Double]], excludeSelf: Bool, k: Int) -> [[(Int, Double)]] {
        da.indices.map { f in
            var want: [(Int, Double)] = []
            for g in db.indices where !(excludeSelf && g == f) && da[f].indices.contains(where: { da[f][$0] != 0 && db[g][$0] != 0 }) {
                if let c = ActivationCorrelationDenseTests.pearson(da[f], db[g]) { want.append((g, c)) }
            }
            want.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            return Array(want.prefix(k))
        }
    }

    static func expectLists(_ got: TopKLists, _ want: [[(Int, Double)]], _ what: String) {
        for (f, w) in want.enumerated() {
            let g = got.list(f)
            #expect(g.map(\.index) == w.map(\.0), "\(what) feature \(f)")
            for (q, m) in g.enumerated() where q < w.count {
                #expect(abs(Double(m.value) - w[q].1) < 1e-6, "\(what) feature \(f) match \(q)")
            }
        }
    }

    /// Both directions of a cross pass and the within-dictionary pass, with the heavy tokens sparse,
    /// dense or mixed, and the requested pairs answered from the same accumulators.
    @Test(arguments: [nil, 1, 500, Int.max] as [Int?])
    func onePassGivesBothDirectionsAndTheRequestedPairs(cutoff: Int?) {
        let (a, da) = ActivationCorrelationDenseTests.columns(features: 40, seed: 11)
        let (b, db) = ActivationCorrelationDenseTests.columns(features: 33, seed: 12)
        var pairs: [(x: Int, y: Int, slot: Int)] = []
        for f in 0..<40 {
            pairs.append((x: f, y: (f * 7) % 33, slot: 2 * f))
            pairs.append((x: f, y: (f * 3 + 1) % 33, slot: 2 * f + 1))
        }
        let both = ActivationCorrelation.topKBothWays(
            a: a, b: b, k: 5, requests: .init(featuresA: 40, slots: 80, pairs: pairs), threads: 2,
            denseCutoff: cutoff)
        Self.expectLists(both.aToB, Self.bruteCorrelation(da, db, excludeSelf: false, k: 5), "A->B")
        Self.expectLists(both.bToA, Self.bruteCorrelation(db, da, excludeSelf: false, k: 5), "B->A")
        for p in pairs {
            let want = ActivationCorrelationDenseTests.pearson(da[p.x], db[p.y])
            let got = both.requested[p.slot]
            #expect(got.isNaN == (want == nil))
            if let want { #expect(abs(Double(got) - want) < 1e-6, "pair \(p)") }
        }
        // Within one dictionary each pair f < g is accumulated once.
        let within = ActivationCorrelation.topKWithin(
            a, k: 5, requests: .init(featuresA: 40, slots: 1, pairs: [(x: 2, y: 9, slot: 0)]),
            threads: 2, denseCutoff: cutoff)
        Self.expectLists(within.top, Self.bruteCorrelation(da, da, excludeSelf: true, k: 5), "within")
        #expect(abs(Double(within.requested[0]) - (ActivationCorrelationDenseTests.pearson(da[2], da[9]) ?? .nan)) < 1e-6)
    }

    // MARK: approximate matching

    /// Rows in families around shared parents (cosine 0.5 to 0.95), the second dictionary perturbing
    /// the first's rows: near neighbours and cross matches, as trained dictionaries have.
    static func families(rows: Int, dim: Int, parents: Int, seed: UInt64) -> ([Float], [Float]) {
        var r = AnalysisFixtures.Random(state: seed)
        func unit(_ v: [Float]) -> [Float] { let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n } }
        let p = (0..<parents).map { _ in unit((0..<dim).map { _ in r.normal() }) }
        var a: [Float] = [], b: [Float] = []
        for _ in 0..<rows {
            let c = Float(0.5 + 0.45 * r.uniform())
            let parent = p[Int(r.uniform() * Double(parents)) % parents]
            let row = unit(zip(parent, unit((0..<dim).map { _ in r.normal() })).map { c * $0 + (1 - c * c).squareRoot() * $1 })
            a += row
            let c2 = Float(0.8 + 0.19 * r.uniform())
            b += unit(zip(row, unit((0..<dim).map { _ in r.normal() })).map { c2 * $0 + (1 - c2 * c2).squareRoot() * $1 })
        }
        return (a, b)
    }

    static func decoder(_ w: [Float], rows: Int, dim: Int) -> DecoderRows { DecoderRows(storage: FloatStorage(w), rows: rows, dim: dim) }

    /// Searching every cluster looks at every pair: the lists are the exact ones, whatever the
    /// clustering, with one clustering or two (where every pair is met twice and kept once).
    @Test(arguments: [1, 2])
    func searchingEveryClusterIsExact(tables: Int) {
        let dim = 12, ra = 150, rb = 90
        let wa = MatchingAndSummaryTests.randomRows(ra, dim, seed: 31), wb = MatchingAndSummaryTests.randomRows(rb, dim, seed: 32)
        let p = ApproximateDecoderMatching.Parameters(clusters: 8, probes: 8, trainingRows: 100, iterations: 3, tables: tables)
        let r = ApproximateDecoderMatching.matchAll(
            [Self.decoder(wa, rows: ra, dim: dim), Self.decoder(wb, rows: rb, dim: dim)], k: 4,
            parameters: p, threads: 2)
        let nA = MatchingAndSummaryTests.bruteTopK(wa, ra, wa, ra, dim, k: 4, excludeSelf: true)
        let nB = MatchingAndSummaryTests.bruteTopK(wb, rb, wb, rb, dim, k: 4, excludeSelf: true)
        let ab = MatchingAndSummaryTests.bruteTopK(wa, ra, wb, rb, dim, k: 4, excludeSelf: false)
        let ba = MatchingAndSummaryTests.bruteTopK(wb, rb, wa, ra, dim, k: 4, excludeSelf: false)
        for i in 0..<ra {
            #expect(r.neighbours(0).matchesOfA(i).map(\.feature) == nA[i], "A neighbours \(i)")
            #expect(r.cross(0, 1).matchesOfA(i).map(\.feature) == ab[i], "A->B \(i)")
        }
        for j in 0..<rb {
            #expect(r.neighbours(1).matchesOfA(j).map(\.feature) == nB[j], "B neighbours \(j)")
            #expect(r.cross(0, 1).matchesOfB(j).map(\.feature) == ba[j], "B->A \(j)")
        }
        #expect(r.clusterSizes.reduce(0, +) == tables * (ra + rb))
    }

    /// With the standard parameters on rows that have structure, the best match is found for
    /// nearly every row; lists never hold a row twice or the row itself, and cosines are exact.
    @Test func standardParametersFindNearlyEveryBestMatch() {
        let dim = 48, rows = 3000
        let (wa, wb) = Self.families(rows: rows, dim: dim, parents: 200, seed: 41)
        let r = ApproximateDecoderMatching.matchAll([Self.decoder(wa, rows: rows, dim: dim), Self.decoder(wb, rows: rows, dim: dim)], k: 5)
        let exact = wa.withUnsafeBufferPointer { pa in
            wb.withUnsafeBufferPointer { pb in
                (
                    DecoderMatching.neighbours(pa.baseAddress!, rows: rows, dim: dim, k: 5),
                    DecoderMatching.match(a: pa.baseAddress!, rowsA: rows, b: pb.baseAddress!, rowsB: rows, dim: dim, k: 5)
                )
            }
        }
        var hitsN = 0, hitsAB = 0
        for i in 0..<rows {
            let n = r.neighbours(0).matchesOfA(i), x = r.cross(0, 1).matchesOfA(i)
            #expect(Set(n.map(\.feature)).count == n.count && !n.contains { $0.feature == i }, "row \(i): a repeat or itself")
            #expect(Set(x.map(\.feature)).count == x.count)
            for m in n {
                let want = exact.0.matchesOfA(i).first { $0.feature == m.feature }?.cosine
                if let want { #expect(abs(m.cosine - want) < 1e-5) }
            }
            if n.first?.feature == exact.0.bestOfA(i) { hitsN += 1 }
            if x.first?.feature == exact.1.bestOfA(i) { hitsAB += 1 }
        }
        #expect(Double(hitsN) / Double(rows) >= 0.9, "neighbour recall \(hitsN) of \(rows)")
        #expect(Double(hitsAB) / Double(rows) >= 0.95, "cross recall \(hitsAB) of \(rows)")
    }

    // MARK: the plan

    static func demo() throws -> ContextCache { try ContextCache(path: Repo.path("fixtures/demo/demo.saexcache")) }

    @Test func planChoosesByWidthBudgetAndRequest() throws {
        let cache = try Self.demo()
        let auto = AnalysisPlan(cache: cache, sgemmGFLOPs: 100)
        #expect(auto.method == .exact && auto.record == .exact)
        // 2 x 2,048 features at d_in 384: 2,048^2 x 384 per neighbour triangle, 2 x 2,048^2 x 384 for the pair.
        let flops = 4.0 * 2048 * 2048 * 384
        #expect(abs(auto.exactMatchingSeconds - flops * 1.15 / 100e9) < 1e-9)
        #expect(auto.summary.contains("2 x 2,048 features, d_in 384"))
        let narrow = AnalysisPlan(cache: cache, options: AnalysisOptions(exactWidthLimit: 1024), sgemmGFLOPs: 100)
        #expect(narrow.method == .approximate && narrow.reason.contains("more than 1,024 features"))
        #expect(narrow.summary.contains("--exact"))
        let budget = AnalysisPlan(cache: cache, options: AnalysisOptions(exactBudget: 0.001), sgemmGFLOPs: 100)
        #expect(budget.method == .approximate && budget.reason.contains("would take over"))
        #expect(
            AnalysisPlan(cache: cache, options: AnalysisOptions(matching: .exact, exactWidthLimit: 1), sgemmGFLOPs: 100).method == .exact)
        let forced = AnalysisPlan(cache: cache, options: AnalysisOptions(matching: .approximate), sgemmGFLOPs: 100)
        #expect(
            forced.method == .approximate && forced.record.clusters == ApproximateDecoderMatching.Parameters.standard(rows: 4096).clusters)
        #expect(AnalysisPlan.measureSGEMM(dim: 64) > 0)
    }

    /// An approximate analysis is stored with its method, read back with the lists in the mapped
    /// file equal to the computed ones, and replaced by an exact one when exact matching is asked for.
    @Test func approximateAnalysisRoundTripsAndExactReplacesIt() throws {
        let t = TempDir()
        defer { t.cleanup() }
        let demo = Repo.path("fixtures/demo")
        for name in ["demo.saexcache", "activations.safetensors", "tokenizer.json"] {
            try FileManager.default.copyItem(atPath: demo + "/" + name, toPath: t.file(name))
        }
        for name in ["standard", "cosine_perfeature"] { try FileManager.default.copyItem(atPath: demo + "/" + name, toPath: t.file(name)) }
        let cache = try ContextCache(path: t.file("demo.saexcache"))
        let plan = AnalysisPlan(cache: cache, options: AnalysisOptions(matching: .approximate), sgemmGFLOPs: 100)
        let computed = try CacheAnalysis.compute(cache, plan: plan)
        #expect(computed.matching == plan.record && computed.matching.method == .approximate)
        let path = AnalysisStore.path(for: cache.path)
        try computed.write(to: path)
        // The description's keys are sorted, so one analysis is one byte sequence in every run
        // (Foundation orders an unsorted object's keys by a hash seeded per process).
        let description = try #require(try SafetensorsFile(path: path).metadata["saex_analysis"])
        let object = try JSONSerialization.jsonObject(with: Data(description.utf8))
        let sorted = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(description == String(decoding: sorted, as: UTF8.self))
        let read = try #require(try CacheAnalysis.read(path: path, for: cache))
        #expect(read.matching == computed.matching)
        for d in 0..<2 {
            for f in stride(from: 0, to: 2048, by: 7) {
                #expect(read.neighbours[d][f] == computed.neighbours[d][f], "dictionary \(d) feature \(f)")
            }
        }
        for (pair, lists) in computed.matches {
            for f in stride(from: 0, to: lists.count, by: 5) { #expect(read.matches[pair]?[f] == lists[f]) }
        }
        var announced: [String] = []
        #expect(try CacheAnalysis.load(cache: cache, announce: { announced.append($0) }).matching.method == .approximate)
        #expect(announced.isEmpty, "a fresh analysis is reused without a plan")
        let exact = try CacheAnalysis.load(cache: cache, options: AnalysisOptions(matching: .exact), announce: { announced.append($0) })
        #expect(exact.matching == .exact && announced.count == 1 && announced[0].contains("exact decoder matching"))
        #expect(try CacheAnalysis.read(path: path, for: cache)?.matching == .exact)
    }
}
