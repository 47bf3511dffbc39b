import Foundation
import Testing

/// Text the CLI prints about the demo: tokens counted without padding, analyze's columns in one
/// notation each, CSV floats in their shortest float32 form, top tokens without doubled spaces.
struct TextOutputTests {
    static let demo = "fixtures/demo/demo.saexcache"
    /// python3: numpy count of tokens >= 0 in fixtures/demo/activations.safetensors (8,192 rows, 3,165 padding).
    static let realTokens = 5027

    @Test func messagesCountRealTokensNotPadding() throws {
        let r = try CLI.run(["contexts", Self.demo, "--dict", "standard", "--feature", "3"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").first?.hasSuffix(" active tokens of \(Self.realTokens)") == true, "\(r.stdout.prefix(80))")

        let dir = NSTemporaryDirectory() + "saex-tokens-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs = [
            "cache", "build", "--dict", "standard=fixtures/demo/standard",
            "--activations", "fixtures/demo/activations.safetensors", "--vocab", "fixtures/demo/tokenizer.json"
        ]
        let build = try CLI.run(inputs + ["-o", dir + "/c.saexcache"], timeout: 300)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("wrote \(dir)/c.saexcache: \(Self.realTokens) tokens, 1 dictionaries"), "\(build.stderr)")
        let part = try CLI.run(inputs + ["-o", dir + "/p.saexcache", "--shard", "0/1"], timeout: 300)
        #expect(part.stderr.contains("part 0/1 of \(Self.realTokens) tokens"), "\(part.stderr)")
    }

    @Test func analyzeTableUsesOneNotationPerColumnAndNoDoubledSpaces() throws {
        let r = try CLI.run(["analyze", Self.demo])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        let names = ["alpha", "elast", "n.pear", "n.spear", "n.sp.act", "top1%", "density", "max"]
        let fixed = try NSRegularExpression(pattern: #"^-?\d+\.\d{3}$"#)
        let scientific = try NSRegularExpression(pattern: #"^-?\d\.\d{2}e[+-]\d{2}$"#)
        func matches(_ re: NSRegularExpression, _ s: String) -> Bool { re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
        // Columns are right-aligned: the cells are the whitespace-separated fields 2...9.
        let rows = lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        for (i, name) in names.enumerated() {
            let cells = rows.map { $0[2 + i] }.filter { $0 != "n/a" }
            let notations = Set(cells.map { matches(fixed, $0) ? "fixed" : matches(scientific, $0) ? "scientific" : "other: \($0)" })
            #expect(notations.count == 1, "column \(name) mixes \(notations.sorted())")
        }
        #expect(header.hasPrefix("dict "))
        let tokensAt = try #require(header.range(of: "top tokens")).lowerBound.utf16Offset(in: header)
        for line in lines.dropFirst() where line.utf16.count > tokensAt {
            let tokens = String(line.utf16.dropFirst(tokensAt)) ?? ""
            #expect(!tokens.contains("  "), "doubled space in top tokens: \"\(tokens)\"")
        }
    }

    @Test func csvFloatsAreTheShortestTextOfTheStoredFloat32() throws {
        let csv = try CLI.run(["analyze", Self.demo, "--dict", "standard", "--top", "40", "--format", "csv"])
        let json = try CLI.run(["analyze", Self.demo, "--dict", "standard", "--top", "40", "--format", "json"])
        #expect(csv.status == 0 && json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let records = try #require(object?["features"] as? [[String: Any]])
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        let fields = lines[0].split(separator: ",").map(String.init)
        #expect(lines.count == records.count + 1)
        let floatFields = ["alpha", "elasticity", "norm_pearson", "norm_spearman", "max_activation", "mean_activation", "decoder_norm"]
        var checked = 0
        for (row, record) in zip(lines.dropFirst(), records) {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for name in floatFields {
                let i = try #require(fields.firstIndex(of: name))
                guard let stored = record[name] as? Double, !cells[i].isEmpty else { continue }
                let value = try #require(Float(cells[i]), "\(name): \(cells[i])")
                #expect(value == Float(stored), "\(name): \(cells[i]) is not the stored float32 \(Float(stored))")
                // Shortest: one significant digit fewer no longer reads back as that float32.
                let mantissa = cells[i].split(separator: "e").first.map(String.init) ?? cells[i]
                let significant = mantissa.filter(\.isNumber).drop { $0 == "0" }
                let digits = significant.reversed().drop { $0 == "0" }.count
                if digits > 1 {
                    let shorter = String(format: "%.\(digits - 2)e", Double(value))
                    #expect(Float(shorter) != value, "\(name): \(cells[i]) is longer than needed (\(shorter) reads back the same)")
                }
                checked += 1
            }
            let tokens = cells.last ?? ""
            #expect(!tokens.contains("  "), "doubled space in top_tokens: \"\(tokens)\"")
        }
        #expect(checked > 200)
    }
}
