import Foundation

/// The outcome of a blind A/B comparison: per-dictionary interpretability and the tests between them.
///
/// "Interpretable" means rating == yes. Fractions carry 95% Wilson score intervals; the difference
/// (A - B) a percentile bootstrap interval; Fisher's exact test compares yes vs not-yes; the
/// Mann-Whitney U test compares the ordinal ratings no < maybe < yes. A statistic that cannot be
/// computed (no answers, no variance) is nil, so the value always encodes to JSON. Encodes with
/// snake_case keys through `jsonData()`; `text` renders it for a terminal.
public struct BlindReport: Sendable, Codable, Equatable {
    public struct Arm: Sendable, Codable, Equatable {
        public var name: String
        public var fingerprint: String
        public var answered: Int
        public var yes: Int
        public var maybe: Int
        public var no: Int
        /// yes / answered.
        public var interpretableFraction: Double?
        public var wilsonLower: Double?
        public var wilsonUpper: Double?
        /// Answers with verdict == norm_detector, and their share of the answered.
        public var normDetectors: Int
        public var normDetectorFraction: Double?
    }

    public var version = 1
    public var answered: Int
    public var total: Int
    /// Dictionary A then B, in the session's order.
    public var dictionaries: [Arm]
    /// interpretable fraction of A minus that of B.
    public var difference: Double?
    public var differenceLower: Double?
    public var differenceUpper: Double?
    public var bootstrapResamples: Int
    public var bootstrapSeed: UInt64
    public var fisherP: Double?
    public var fisherOddsRatio: Double?
    public var mannWhitneyU: Double?
    public var mannWhitneyP: Double?

    /// Computes the report from the answers of each dictionary.
    public init(
        names: [String], fingerprints: [String], answersA: [(Rating, Verdict?)], answersB: [(Rating, Verdict?)],
        total: Int, bootstrapResamples: Int = 10_000, bootstrapSeed: UInt64
    ) {
        func arm(_ i: Int, _ answers: [(Rating, Verdict?)]) -> Arm {
            let yes = answers.filter { $0.0 == .yes }.count
            let maybe = answers.filter { $0.0 == .maybe }.count
            let norm = answers.filter { $0.1 == .normDetector }.count
            let n = answers.count
            let w = BlindStatistics.wilson(successes: yes, total: n)
            return Arm(
                name: i < names.count ? names[i] : "dictionary \(i)", fingerprint: i < fingerprints.count ? fingerprints[i] : "",
                answered: n, yes: yes, maybe: maybe, no: n - yes - maybe,
                interpretableFraction: n > 0 ? Double(yes) / Double(n) : nil, wilsonLower: w?.lowerBound, wilsonUpper: w?.upperBound,
                normDetectors: norm, normDetectorFraction: n > 0 ? Double(norm) / Double(n) : nil)
        }
        let a = arm(0, answersA), b = arm(1, answersB)
        dictionaries = [a, b]
        answered = a.answered + b.answered
        self.total = total
        self.bootstrapResamples = bootstrapResamples
        self.bootstrapSeed = bootstrapSeed
        if let pa = a.interpretableFraction, let pb = b.interpretableFraction {
            difference = pa - pb
            let ci = BlindStatistics.bootstrapDifference(
                successesA: a.yes, totalA: a.answered, successesB: b.yes, totalB: b.answered,
                resamples: bootstrapResamples, seed: bootstrapSeed)
            differenceLower = ci?.lowerBound
            differenceUpper = ci?.upperBound
            fisherP = BlindStatistics.fisherExactTwoSided(a.yes, a.answered - a.yes, b.yes, b.answered - b.yes)
            fisherOddsRatio = BlindStatistics.oddsRatio(a.yes, a.answered - a.yes, b.yes, b.answered - b.yes)
            func ordinal(_ r: Rating) -> Double { r == .yes ? 2 : r == .maybe ? 1 : 0 }
            let mw = BlindStatistics.mannWhitney(answersA.map { ordinal($0.0) }, answersB.map { ordinal($0.0) })
            mannWhitneyU = mw?.u
            mannWhitneyP = mw?.p
        }
    }

    /// Pretty-printed JSON with snake_case keys, ending in a newline.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        var d = try e.encode(self)
        d.append(0x0A)
        return d
    }

    /// `jsonData()` with an `agreement` key: the inter-rater agreement of the session's features
    /// (`DictionaryAgreement`, keys as documented).
    public func jsonData(agreement: [DictionaryAgreement]) throws -> Data {
        struct WithAgreement: Encodable {
            var report: BlindReport
            var agreement: [DictionaryAgreement]
            enum Key: String, CodingKey { case agreement }
            func encode(to encoder: any Encoder) throws {
                try report.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(agreement, forKey: .agreement)
            }
        }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        var d = try e.encode(WithAgreement(report: self, agreement: agreement))
        d.append(0x0A)
        return d
    }

    /// Reads what `jsonData()` wrote.
    public static func decode(_ data: Data) throws -> BlindReport {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(BlindReport.self, from: data)
    }

    /// A plain-text rendering for the terminal (no colour, no trailing spaces).
    public var text: String {
        func f3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        func signed(_ v: Double?) -> String { v.map { String(format: "%+.3f", $0) } ?? "n/a" }
        func p(_ v: Double?) -> String {
            guard let v else { return "n/a" }
            return v < 0.0001 ? String(format: "%.2e", v) : String(format: "%.4f", v)
        }
        let width = max(10, dictionaries.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var lines = ["Blind A/B report: \(answered) of \(total) items answered"]
        lines.append(pad("dictionary", width) + "  answered   yes  maybe    no  interpretable [95% Wilson]  norm detectors")
        for a in dictionaries {
            let ci = a.wilsonLower.map { "[\(f3($0)), \(f3(a.wilsonUpper))]" } ?? ""
            lines.append(
                pad(a.name, width) + "  " + lpad(String(a.answered), 8) + lpad(String(a.yes), 6) + lpad(String(a.maybe), 7)
                    + lpad(String(a.no), 6) + "  " + pad(f3(a.interpretableFraction) + " " + ci, 26) + "  "
                    + "\(a.normDetectors) (\(f3(a.normDetectorFraction)))")
        }
        let names = dictionaries.map(\.name)
        let pairName = names.count == 2 ? "\(names[0]) - \(names[1])" : "A - B"
        lines.append(
            "difference \(pairName): \(signed(difference)), 95% bootstrap CI [\(signed(differenceLower)), \(signed(differenceUpper))] "
                + "(\(bootstrapResamples) resamples, seed \(bootstrapSeed))")
        lines.append(
            "Fisher exact test, yes vs not yes, two-sided: p = \(p(fisherP))"
                + (fisherOddsRatio.map { String(format: " (odds ratio %.3g)", $0) } ?? ""))
        lines.append(
            "Mann-Whitney U, no < maybe < yes, two-sided: " + (mannWhitneyU.map { String(format: "U = %.1f, ", $0) } ?? "")
                + "p = \(p(mannWhitneyP))")
        return lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n") + "\n"
    }
}
