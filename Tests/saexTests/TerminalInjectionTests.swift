import Foundation
import SAEKit
import Testing

/// Hostile vocabulary tokens (escape sequences, C1 controls, bidi overrides) must never reach the
/// terminal or a text output as they are: the explorer, `saex contexts` and `saex analyze` show
/// placeholders instead.
struct TerminalInjectionTests {
    /// Tokens planted in every sequence; each payload is distinctive so the assertions below can
    /// look for it in the exact bytes the program wrote, apart from ncurses' own drawing sequences.
    static let hostile: [String] = [
        "\u{1B}]0;pwned\u{07}",  // OSC 0: set the window title
        "\u{1B}]52;c;cHduZWQ=\u{07}",  // OSC 52: set the clipboard
        "\u{1B}[2J\u{1B}[10;10Hpwned",  // CSI: clear the screen, move the cursor
        "\u{1B}[31mredpwn",  // SGR: red text
        "\u{9B}31mc1csi",  // C1 CSI (U+009B)
        "\u{90}dcspwn\u{9C}",  // C1 DCS ... ST
        "bell\u{07}pwn",  // BEL
        "del\u{7F}pwn",  // DEL
        "\u{202E}rlopwn\u{202C}",  // bidi right-to-left override
        "\u{2066}lripwn\u{2069}"  // bidi left-to-right isolate
    ]

    /// Byte strings that must not appear in any output.
    static let forbidden: [(String, [UInt8])] = [
        ("OSC title", Array("\u{1B}]0;pwned".utf8)),
        ("OSC 52", Array("\u{1B}]52;".utf8)),
        ("CSI cursor move from data", Array("\u{1B}[10;10Hpwned".utf8)),
        ("SGR from data", Array("\u{1B}[31mredpwn".utf8)),
        ("C1 CSI", [0xC2, 0x9B]),
        ("C1 DCS", [0xC2, 0x90]),
        ("C1 ST", [0xC2, 0x9C]),
        ("BEL from data", Array("bell\u{07}".utf8)),
        ("DEL from data", Array("del\u{7F}".utf8)),
        ("U+202E", [0xE2, 0x80, 0xAE]),
        ("U+2066", [0xE2, 0x81, 0xA6])
    ]

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count, let first = needle.first else { return false }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == first && Array(hay[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }

    struct Fixture {
        var dir: String
        var cache: String
        var feature: Int
    }

    /// A cache of two 16-d dictionaries over 4 sequences that each hold every hostile token, and a
    /// feature of "jr" that fires (so its contexts show them).
    static func makeCache() throws -> Fixture {
        let dir = NSTemporaryDirectory() + "saex-injection-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let vocab = ["<pad>", "the", " cat", " sat"] + hostile
        try JSONSerialization.data(withJSONObject: vocab).write(to: URL(fileURLWithPath: dir + "/vocab.json"))
        let nSeq = 4, seqLen = hostile.count + 2, dIn = 16
        var tokens: [Int32] = []
        for s in 0..<nSeq {
            tokens += [1, Int32(2 + s % 2)] + (0..<hostile.count).map { Int32(4 + ($0 + s) % hostile.count) }
        }
        // Deterministic activations with a large norm, so that most features fire somewhere.
        var state: UInt64 = 0x9E3779B97F4A7C15
        var acts: [Float] = []
        for _ in 0..<(nSeq * seqLen * dIn) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            acts.append((Float(state >> 40) / Float(1 << 24) - 0.5) * 8)
        }
        var w = SafetensorsWriter()
        w.add("tokens", shape: [nSeq, seqLen], int32s: tokens)
        w.add("activations", shape: [nSeq, seqLen, dIn], floats: acts)
        try w.write(to: dir + "/acts.safetensors")
        let cache = dir + "/hostile.saexcache"
        let b = try CLI.run([
            "cache", "build", "--dict", "jr=fixtures/loaders/saelens_jumprelu", "--dict", "cos=fixtures/loaders/cosine_jumprelu_alpha",
            "--activations", dir + "/acts.safetensors", "--vocab", dir + "/vocab.json", "-o", cache
        ])
        guard b.status == 0 else {
            throw NSError(domain: "saexTests", code: 2, userInfo: [NSLocalizedDescriptionKey: "cache build failed: \(b.stderr)"])
        }
        // The payloads are stored raw in the cache's vocabulary: what reaches the screen is up to the sanitisers.
        let stored = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cache)))
        guard contains(stored, Array("\u{1B}]52;c;".utf8)), contains(stored, [0xC2, 0x9B]) else {
            throw NSError(domain: "saexTests", code: 2, userInfo: [NSLocalizedDescriptionKey: "the cache does not hold the raw payloads"])
        }
        let a = try CLI.run(["analyze", cache, "--dict", "jr", "--format", "json", "--sort", "max_activation"])
        let obj = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any]
        let first = (obj?["features"] as? [[String: Any]])?.first
        guard let feature = first?["feature"] as? Int, ((first?["max_activation"] as? Double) ?? 0) > 0 else {
            throw NSError(
                domain: "saexTests", code: 2,
                userInfo: [NSLocalizedDescriptionKey: "no active feature: \(a.stdout.prefix(500)) \(a.stderr)"])
        }
        return Fixture(dir: dir, cache: cache, feature: feature)
    }

    func assertClean(_ bytes: [UInt8], _ what: String) {
        for (name, needle) in Self.forbidden {
            #expect(!Self.contains(bytes, needle), "\(what): holds \(name) verbatim")
        }
    }

    @Test func textOutputsShowNoRawControls() throws {
        let f = try Self.makeCache()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let c = try CLI.run(["contexts", f.cache, "--dict", "jr", "--feature", String(f.feature)])
        #expect(c.status == 0, "\(c.stderr)")
        let a = try CLI.run(["analyze", f.cache])
        #expect(a.status == 0, "\(a.stderr)")
        for (name, text) in [("contexts", c.stdout), ("analyze", a.stdout)] {
            let bytes = Array(text.utf8)
            assertClean(bytes, name)
            #expect(!bytes.contains(0x1B), "\(name): raw ESC")
            #expect(!bytes.contains(0x07) && !bytes.contains(0x7F), "\(name): raw BEL or DEL")
            #expect(
                !text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || TerminalInjectionTests.isBidi($0.value) },
                "\(name): raw C1 or bidi control")
        }
        // The placeholders are there instead: ␛ for ESC, ␇ for BEL, ␡ for DEL.
        #expect(c.stdout.contains("\u{241B}]0;pwned\u{2407}"), "\(c.stdout.prefix(400))")
        #expect(c.stdout.contains("del\u{2421}pwn"))
        #expect(c.stdout.contains("\u{FFFD}rlopwn"))
    }

    /// Every other output that carries text from files (issue 19, item 11): CSV and JSON from
    /// `analyze`, `inspect` of a dictionary whose cfg.json holds the payloads, `cache info` and the
    /// "opening" line of a cache whose file name holds them (and a newline), a CSV export of concepts.
    @Test func machineReadableOutputsAndFileNamesStayInert() throws {
        let f = try Self.makeCache()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        func check(_ text: String, _ what: String) {
            let bytes = Array(text.utf8)
            assertClean(bytes, what)
            #expect(!bytes.contains(0x1B) && !bytes.contains(0x07) && !bytes.contains(0x7F), "\(what): raw ESC, BEL or DEL")
            #expect(
                !text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || Self.isBidi($0.value) },
                "\(what): raw C1 or bidi control")
        }
        for format in ["csv", "json"] {
            let a = try CLI.run(["analyze", f.cache, "--format", format])
            #expect(a.status == 0, "\(a.stderr)")
            check(a.stdout, "analyze --format \(format)")
        }
        // JSON keeps the text: the escapes read back as the payloads.
        let json = try CLI.run(["analyze", f.cache, "--format", "json"])
        let tokens =
            (((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["features"] as? [[String: Any]]) ?? [])
            .flatMap { ($0["top_tokens"] as? [String]) ?? [] }
        #expect(tokens.contains { Self.hostile.contains($0) }, "no payload read back from the JSON")
        // A dictionary whose metadata holds the payloads and a newline.
        let dict = f.dir + "/dict"
        try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/loaders/saelens_jumprelu", toPath: dict)
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dict + "/cfg.json"))) as! [String: Any]
        var meta = cfg["metadata"] as! [String: Any]
        meta["model_name"] = Self.hostile[0] + "\nsecond line" + Self.hostile[4]
        meta["hook_name"] = Self.hostile[8] + Self.hostile[2]
        cfg["metadata"] = meta
        try JSONSerialization.data(withJSONObject: cfg).write(to: URL(fileURLWithPath: dict + "/cfg.json"))
        for format in ["text", "json"] {
            let i = try CLI.run(["inspect", dict, "--format", format])
            #expect(i.status == 0, "\(i.stderr)")
            check(i.stdout, "inspect --format \(format)")
            if format == "text" { #expect(!i.stdout.contains("\nsecond line"), "a newline in the metadata split the line") }
        }
        // A cache whose name holds the payloads and a newline.
        let named = f.dir + "/" + Self.hostile[0] + "\n" + Self.hostile[8] + ".saexcache"
        try FileManager.default.copyItem(atPath: f.cache, toPath: named)
        let info = try CLI.run(["cache", "info", named])
        #expect(info.status == 0, "\(info.stderr)")
        check(info.stdout, "cache info")
        #expect(
            info.stdout.split(separator: "\n").first?.hasPrefix("cache:") == true && info.stdout.split(separator: "\n").count == 6 + 2,
            "\(info.stdout)")
        // The explorer's "opening" line, for a cache that then fails to open (a missing tensor).
        let damaged = f.dir + "/" + Self.hostile[2] + "\n.saexcache"
        try FileManager.default.copyItem(
            atPath: CLI.root + "/Tests/saexTests/Malformed/files/cache_missing_values.saexcache", toPath: damaged)
        let e = try CLI.run(
            ["-q", "-e", "-E", "never", "-c", "exec \"$SAEX\" explore \"$CACHE\"", "/dev/null"],
            env: ["SAEX": CLI.binary, "CACHE": damaged], timeout: 30, executable: "/usr/bin/script")
        #expect(e.stdout.contains("opening "), "\(e.stdout.prefix(300))")
        check(e.stdout, "explore's opening line")
        // Concepts in a CSV export.
        let store = try LabelStore(path: f.dir + "/l.labels")
        try store.setLabel(
            FeatureLabel(verdict: .interpretable, concept: Self.hostile.joined(separator: ","), notes: "a\nb"),
            for: FeatureKey(fingerprint: "fp", feature: 1))
        store.close()
        let csv = try CLI.run(["labels", "export", f.cache, "--labels", f.dir + "/l.labels", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        check(csv.stdout, "labels export --format csv")
        #expect(csv.stdout.split(separator: "\r\n").count == 2, "a field broke its line: \(csv.stdout)")
    }

    static func isBidi(_ v: UInt32) -> Bool {
        (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C
    }

    /// The explorer, in a tmux pane, under util-linux script, which records every byte saex writes.
    @Test func explorerWritesNoHostileBytes() throws {
        try #require(Tmux.available, "tmux is required (scripts/bootstrap.sh installs it)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux script is required")
        let f = try Self.makeCache()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let log = f.dir + "/typescript"
        let explore = "\(CLI.binary) explore \(f.cache) --labels \(f.dir)/l.labels --color none --dict jr --feature \(f.feature)"
        let t = Tmux()
        defer { t.kill() }
        t.start("script -q -e -f -E never -c '\(explore)' \(log)")
        let first = try #require(t.waitFor("saex"))
        if !first.contains("Top contexts") { t.keys("Enter") }
        let detail = try #require(t.waitFor("Top contexts"))
        // The visible placeholders: ␛ (ESC), U+FFFD (C1 and bidi controls).
        #expect(detail.contains("\u{241B}"), "no ␛ placeholder on screen")
        #expect(detail.contains("pwn"), "hostile tokens not on screen")
        t.keys("w")  // whole contexts
        try t.press("c", until: "COMPARE")
        t.keys("Escape")
        try t.press("q", until: "EXIT=0")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
        #expect(bytes.count > 1000, "the log holds \(bytes.count) bytes")
        assertClean(bytes, "explorer output")
        #expect(Self.contains(bytes, Array("\u{241B}".utf8)), "␛ placeholder never drawn")
        #expect(Self.contains(bytes, Array("\u{FFFD}".utf8)), "U+FFFD placeholder never drawn")
    }
}
