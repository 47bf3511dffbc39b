import Foundation
import SAEKit
import Testing

/// The CLI against hostile and unlucky users (issue 19): outputs that are devices, FIFOs, symlinks,
/// inputs or standard output; failed writes to stdout and stderr; memory and file-size limits;
/// huge shapes; interrupted writes; inputs changed while read; dashed paths; bad label exports.
/// Device nodes are `mknod` copies in a scratch folder, never the real /dev.
@Suite(.serialized)
struct HostileCommandTests {
    /// A scratch folder, removed by `cleanup()`.
    struct Scratch {
        let path = NSTemporaryDirectory() + "saex-hostile-" + UUID().uuidString
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        func file(_ name: String) -> String { path + "/" + name }
        func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    }

    static let demo = "fixtures/demo/demo.saexcache"
    static let standard = "fixtures/demo/standard"
    static let activations = "fixtures/demo/activations.safetensors"

    /// Runs a bash script in the repository root with $SAEX set to the binary.
    static func bash(_ script: String, env: [String: String] = [:], timeout: TimeInterval = 120) throws -> CLI.Result {
        var e = env
        e["SAEX"] = CLI.binary
        return try CLI.run(["-c", script], env: e, timeout: timeout, executable: "/bin/bash")
    }

    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    /// An open blind session of two items per dictionary in CACHE.blind (two made-up dictionaries).
    static func smallBlindSession(beside cache: String) throws -> BlindSession {
        try FileManager.default.createDirectory(atPath: cache + ".blind", withIntermediateDirectories: true)
        return try BlindSession.create(
            directory: cache + ".blind",
            dictionaries: [
                BlindDictionary(name: "a", fingerprint: "fa", featureCount: 10, density: [Double](repeating: 0.1, count: 10)),
                BlindDictionary(name: "b", fingerprint: "fb", featureCount: 10, density: [Double](repeating: 0.1, count: 10))
            ],
            perDictionary: 2, seed: 1)
    }

    /// A labels file for the demo cache with one label.
    static func labels(in s: Scratch) throws -> String {
        let path = s.file("demo.labels")
        let store = try LabelStore(path: path)
        try store.setLabel(
            FeatureLabel(verdict: .interpretable, concept: "start of text"), for: FeatureKey(fingerprint: "f5043f85b4e5684b", feature: 2))
        store.close()
        return path
    }

    /// One line on stderr, the given status, no crash text.
    func expectOneLine(_ r: CLI.Result, status: Int32, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(what): status \(r.status), stderr \(r.stderr.prefix(400))", sourceLocation: sourceLocation)
        let errLines = Self.lines(r.stderr).filter { $0.hasPrefix("saex:") }
        #expect(errLines.count == 1, "\(what): \(r.stderr.prefix(600))", sourceLocation: sourceLocation)
        #expect(
            !r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace") && !r.stderr.contains("Program crashed"),
            "\(what): \(r.stderr.prefix(600))", sourceLocation: sourceLocation)
    }

    // MARK: Item 1

    @Test func outputsGoIntoDevicesFIFOsSymlinksAndStandardOutput() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let labels = try Self.labels(in: s)
        let null = s.file("null")
        try #require(try Self.bash("mknod '\(null)' c 1 3").status == 0, "mknod needs root")
        let export = ["labels", "export", Self.demo, "--labels", labels]
        // A character device: written into, not replaced by a file.
        let a = try CLI.run(export + ["-o", null])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(Self.mode(null) == S_IFCHR, "the device node was replaced")
        // -, /dev/stdout: the export on standard output.
        for name in ["-", "/dev/stdout"] {
            let r = try CLI.run(export + ["-o", name])
            #expect(r.status == 0 && r.stdout.contains("\"start of text\""), "\(name): \(r.stdout.prefix(200)) \(r.stderr)")
            #expect(r.stderr.contains("to standard output"))
        }
        // A symlink: its target is written, the link stays, and the message says so.
        let link = s.file("link.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.json")
        let l = try CLI.run(export + ["-o", link])
        #expect(l.status == 0 && Self.mode(link) == S_IFLNK)
        #expect(l.stderr.contains("\(s.file("real.json")) (through the symlink \(link))"), "\(l.stderr)")
        #expect(try String(contentsOfFile: s.file("real.json"), encoding: .utf8).contains("start of text"))
        // encode into a FIFO and into standard output: valid safetensors at the other end.
        let fifo = s.file("acts.fifo")
        try #require(mkfifo(fifo, 0o644) == 0)
        let f = try Self.bash(
            "cat '\(fifo)' > '\(s.file("from-fifo"))' & \"$SAEX\" encode \(Self.standard) \(Self.activations) -o '\(fifo)'; wait")
        #expect(f.status == 0, "\(f.stderr)")
        #expect(Self.mode(fifo) == S_IFIFO)
        #expect(try SafetensorsFile(path: s.file("from-fifo")).require("feature_acts").shape == [8192, 2048])
        let o = try Self.bash("\"$SAEX\" encode \(Self.standard) \(Self.activations) -o - > '\(s.file("from-stdout"))'")
        #expect(o.status == 0, "\(o.stderr)")
        #expect(try SafetensorsFile(path: s.file("from-stdout")).require("feature_acts").shape == [8192, 2048])
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path).filter { $0.contains(".tmp-") }.isEmpty)
        // A cache is read back: a device is refused for it, in one line.
        let c = try CLI.run(["cache", "merge", Self.demo, "-o", null])
        expectOneLine(c, status: 2, "cache merge -o device")
        #expect(c.stderr.contains("is a device or FIFO, not a file; a cache is read back"))
    }

    // MARK: Item 3

    @Test func anOutputThatIsAnInputIsRefusedAndTheInputKept() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let c = try Self.bash(
            "cp -r \(Self.standard) '\(s.file("dict"))' && cp \(Self.activations) fixtures/demo/tokenizer.json '\(s.path)'")
        try #require(c.status == 0)
        let weights = s.file("dict/sae_weights.safetensors"), acts = s.file("activations.safetensors"), vocab = s.file("tokenizer.json")
        let before = try [weights, acts, vocab].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let build = ["cache", "build", "--dict", "s=" + s.file("dict"), "--activations", acts, "--vocab", vocab]
        for (args, victim) in [
            (["encode", s.file("dict"), acts, "-o", acts], acts), (build + ["-o", weights], weights), (build + ["-o", vocab], vocab)
        ] {
            let r = try CLI.run(args)
            expectOneLine(r, status: 2, args.joined(separator: " "))
            #expect(r.stderr.contains(": is the input \(victim)"), "\(r.stderr)")
        }
        #expect(try [weights, acts, vocab].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
    }

    // MARK: Item 8

    @Test func failedWritesToStandardOutputEndInOneLine() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let labels = try Self.labels(in: s)
        let export = s.file("export.json")
        try #require(try CLI.run(["labels", "export", Self.demo, "--labels", labels, "-o", export]).status == 0)
        let cache = s.file("demo.saexcache")
        try FileManager.default.copyItem(atPath: Self.demo, toPath: cache)
        let session = try Self.smallBlindSession(beside: cache)
        session.close()
        let commands = [
            "inspect \(Self.standard)", "inspect \(Self.standard) --format json", "analyze \(Self.demo)",
            "analyze \(Self.demo) --format csv",
            "summary \(Self.demo)", "contexts \(Self.demo) --dict standard --feature 2",
            "contexts \(Self.demo) --dict standard --feature 2 --format json",
            "cache info \(Self.demo)", "labels export \(Self.demo) --labels \(labels)",
            "labels import \(Self.demo) \(export) --labels \(labels)",
            "blind report \(cache) --unblind"
        ]
        for c in commands {
            let r = try Self.bash("\"$SAEX\" \(c) > /dev/full")
            expectOneLine(r, status: 1, c + " > /dev/full")
            #expect(r.stderr.hasPrefix("saex: standard output: write failed (No space left on device)"), "\(c): \(r.stderr)")
        }
        // A pipe whose reader left, with SIGPIPE ignored: EPIPE, one line.
        let p = try Self.bash("trap '' PIPE; \"$SAEX\" analyze \(Self.demo) | head -c 10 > /dev/null; exit ${PIPESTATUS[0]}")
        expectOneLine(p, status: 1, "analyze into a closed pipe")
        // Progress that cannot be written is dropped; the build goes on.
        let b = try Self.bash(
            "\"$SAEX\" cache build --dict s=\(Self.standard) --activations \(Self.activations) "
                + "--vocab fixtures/demo/tokenizer.json -o '\(s.file("b.saexcache"))' 2>/dev/full")
        #expect(b.status == 0 && FileManager.default.fileExists(atPath: s.file("b.saexcache")))
        // A closed stdout is reopened on /dev/null: the summary does not land in the lock file.
        let i = try Self.bash("\"$SAEX\" labels import \(Self.demo) '\(export)' --labels '\(labels)' >&-")
        #expect(i.status == 0, "\(i.stderr)")
        #expect(try String(contentsOfFile: labels + ".lock", encoding: .utf8).allSatisfy { $0.isNumber || $0 == "\n" })
    }

    // MARK: Items 9, 10

    @Test(arguments: [250_000, 450_000, 700_000])
    func memoryLimitsNeverHang(kilobytes: Int) throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let commands = [
            "inspect \(Self.standard)",
            "encode \(Self.standard) \(Self.activations) -o '\(s.file("e.safetensors"))'",
            "cache build --dict s=\(Self.standard) --dict c=fixtures/demo/cosine_perfeature --activations \(Self.activations) "
                + "--vocab fixtures/demo/tokenizer.json -o '\(s.file("b.saexcache"))'"
        ]
        for c in commands {
            let r = try Self.bash("ulimit -v \(kilobytes); timeout 100 \"$SAEX\" \(c) > /dev/null")
            #expect(r.status != 124, "ulimit -v \(kilobytes): \(c) hung")
            if r.status != 0 {
                expectOneLine(r, status: 1, "ulimit -v \(kilobytes): \(c)")
                #expect(r.stderr.contains("ulimit -v"), "\(r.stderr)")
            }
        }
    }

    /// `ulimit -f`: SIGXFSZ is ignored, so the write fails with EFBIG and saex says so in one line.
    @Test func aFileSizeLimitEndsAWriteInOneLine() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let r = try Self.bash("ulimit -f 200; \"$SAEX\" encode \(Self.standard) \(Self.activations) -o '\(s.file("out.safetensors"))'")
        expectOneLine(r, status: 1, "encode under ulimit -f")
        #expect(r.stderr.contains("write failed (File too large); the file-size limit (ulimit -f) is too small for it"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path).isEmpty)
    }

    @Test func hugeShapesInAHeaderAreRefusedBeforeAnyWork() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        // A sparse file whose header claims 2^34 rows of 16 floats (1 TiB): a valid file to the parser.
        let rows = 1 << 34, dIn = 16
        let header = Data("{\"activations\":{\"dtype\":\"F32\",\"shape\":[\(rows),\(dIn)],\"data_offsets\":[0,\(rows * dIn * 4)]}}".utf8)
        var padded = header
        while (8 + padded.count) % 8 != 0 { padded.append(0x20) }
        var n = UInt64(padded.count).littleEndian
        var bytes = Data(bytes: &n, count: 8)
        bytes.append(padded)
        let big = s.file("big.safetensors")
        writeFile(big, bytes)
        try #require(truncate(big, off_t(8 + padded.count + rows * dIn * 4)) == 0, "sparse files are needed")
        let out = s.file("out.safetensors")
        let started = Date()
        let r = try CLI.run(["encode", "fixtures/loaders/saelens_jumprelu", big, "-o", out], timeout: 60)
        expectOneLine(r, status: 1, "encode of 2^34 rows")
        #expect(r.stderr.contains("encoding 17179869184 rows writes about 3.0 TiB, but its file system has"), "\(r.stderr)")
        #expect(r.stderr.hasSuffix("free; free space, write elsewhere, or give --force to try anyway\n"))
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    // MARK: Item 12

    @Test func mergingOnePartTwiceIsRefused() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let r = try CLI.run(["cache", "merge", Self.demo, Self.demo, "-o", s.file("m.saexcache")])
        expectOneLine(r, status: 2, "cache merge A A")
        #expect(r.stderr.contains("merging would count every context twice"))
    }

    // MARK: Item 13

    @Test func anInterruptedEncodeLeavesNoTemporaryFileAndStaleOnesAreSwept() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let out = s.file("out.safetensors")
        // Stop the encode as soon as its temporary file exists, then interrupt it.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["encode", Self.standard, Self.activations, "-o", out]
        p.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var temporary: String?
        let deadline = Date().addingTimeInterval(30)
        while temporary == nil, p.isRunning, Date() < deadline {
            temporary = try FileManager.default.contentsOfDirectory(atPath: s.path).first { $0.hasPrefix(".out.safetensors.tmp-") }
            if temporary == nil { usleep(500) }
        }
        kill(p.processIdentifier, SIGSTOP)
        try #require(temporary != nil, "the encode finished before its temporary file was seen")
        kill(p.processIdentifier, SIGINT)
        kill(p.processIdentifier, SIGCONT)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGINT)
        let left = try FileManager.default.contentsOfDirectory(atPath: s.path)
        #expect(left.isEmpty, "left: \(left)")
        // One left by a writer killed outright (SIGKILL) on this host goes at the next write.
        let stale = s.file(".out.safetensors.tmp-2147483646-1")  // a pid above pid_max: its writer is gone
        writeFile(stale, Data("stale".utf8))
        let r = try CLI.run(["encode", Self.standard, Self.activations, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path) == ["out.safetensors"])
    }

    // MARK: Item 6

    @Test func anActivationFileTruncatedDuringABuildEndsInOneLine() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let acts = s.file("acts.safetensors")
        try FileManager.default.copyItem(atPath: Self.activations, toPath: acts)
        let out = s.file("c.saexcache")
        let err = s.file("stderr")
        writeFile(err, nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = [
            "cache", "build", "--dict", "s=" + Self.standard, "--activations", acts, "--vocab", "fixtures/demo/tokenizer.json", "-o", out
        ]
        p.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try p.run()
        // Once the activations are mapped, stop the build, truncate them, and let it go on.
        let deadline = Date().addingTimeInterval(30)
        var mapped = false
        while !mapped, p.isRunning, Date() < deadline {
            mapped = ((try? String(contentsOfFile: "/proc/\(p.processIdentifier)/maps", encoding: .utf8)) ?? "").contains(acts)
            if !mapped { usleep(200) }
        }
        kill(p.processIdentifier, SIGSTOP)
        try #require(mapped, "the build never mapped the activations")
        #expect(truncate(acts, 4096) == 0)
        kill(p.processIdentifier, SIGCONT)
        p.waitUntilExit()
        let text = try String(contentsOfFile: err, encoding: .utf8)
        #expect(p.terminationReason == .exit && p.terminationStatus == 1, "\(p.terminationStatus): \(text)")
        #expect(
            text.contains("saex: \(acts): changed on disk while saex was reading it; run the command again once the file is complete"),
            "\(text)")
        #expect(!text.contains("Backtrace") && !text.contains("Fatal"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    // MARK: Item 16

    @Test func aPathBeginningWithADashIsAnErrorThatSuggestsDoubleDash() throws {
        let r = try CLI.run(["cache", "info", "-x.saexcache"])
        expectOneLine(r, status: 2, "cache info -x.saexcache")
        #expect(
            r.stderr
                == "saex: -x.saexcache: unknown option; a file whose name begins with '-' goes after '--' (saex cache info -- -x.saexcache) "
                + "or as ./-x.saexcache\n")
        #expect(r.stdout.isEmpty)
        let d = try CLI.run(["cache", "info", "--", "-x.saexcache"])
        #expect(d.status == 2 && d.stderr == "saex: -x.saexcache: no such file; check the path\n", "\(d.stderr)")
        let h = try CLI.run(["cache", "info", "-h"])
        #expect(h.status == 0 && h.stdout.contains("USAGE: saex cache info"))
    }

    // MARK: Item 17

    @Test func labelsPathsThatAreEmptyDevicesOrFIFOsAreRefusedAtOnce() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let zero = s.file("zero"), fifo = s.file("fifo")
        try #require(try Self.bash("mknod '\(zero)' c 1 5 && mkfifo '\(fifo)'").status == 0)
        let cwd = s.file("cwd")
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let export = try CLI.run(["labels", "export", Self.demo, "--labels", try Self.labels(in: s), "-o", s.file("e.json")])
        try #require(export.status == 0)
        for (labels, reason) in [
            ("", "labels file: is an empty path"), (zero, "\(zero): is not a regular file (character device)"),
            (fifo, "\(fifo): is not a regular file (FIFO)")
        ] {
            for args in [
                ["labels", "import", CLI.root + "/" + Self.demo, s.file("e.json"), "--labels", labels],
                ["labels", "export", CLI.root + "/" + Self.demo, "--labels", labels]
            ] {
                let r = try Self.bash("cd '\(cwd)' && timeout 20 \"$SAEX\" \(args.map { "'\($0)'" }.joined(separator: " "))")
                expectOneLine(r, status: 2, "\(args[0]) \(args[1]) --labels '\(labels)'")
                #expect(r.stderr.contains(reason), "\(r.stderr)")
            }
        }
        let o = try Self.bash("cd '\(cwd)' && \"$SAEX\" labels export '\(CLI.root)/\(Self.demo)' --labels '\(s.file("demo.labels"))' -o ''")
        expectOneLine(o, status: 2, "-o ''")
        #expect(o.stderr == "saex: -o: is an empty path; give a file name\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd).isEmpty, "left in the working folder")
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: s.path)) == [
                "zero", "fifo", "cwd", "demo.labels", "demo.labels.lock", "e.json"
            ])
    }

    @Test func theBlindReportRunsWhileTheSessionIsOpen() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let cache = s.file("demo.saexcache")
        try FileManager.default.copyItem(atPath: Self.demo, toPath: cache)
        let session = try Self.smallBlindSession(beside: cache)
        defer { session.close() }
        try session.record(BlindAnswer(id: session.order[0], rating: .yes))
        let r = try CLI.run(["blind", "report", cache, "--unblind", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"answered\""), "\(r.stdout.prefix(300))")
    }

    @Test func badLabelExportsSayWhatIsWrong() throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let labels = s.file("l.labels")
        let cases: [(String, String)] = [
            (
                String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                "is not valid JSON (nested too deeply: more than 512 arrays or objects inside each other)"
            ),
            (
                "{\"format\":\"saex-labels-export\",\"version\":1,\"labels\":[{\"feature\":NaN}]}",
                "is not valid JSON (it contains NaN or Infinity, which JSON does not allow)"
            ),
            (
                "{\"format\":\"saex-labels-export\",\"version\":1,\"exported\":\"2024-01-01T00:00:00Z\",\"dictionaries\":[],\"labels\":[{\"fingerprint\":\"f\","
                    + "\"feature\":1.5,\"created\":\"2024-01-01T00:00:00Z\",\"updated\":\"2024-01-01T00:00:00Z\"}]}",
                "labels.0.feature: is not a whole number (1.5)"
            )
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let file = s.file("e\(i).json")
            writeFile(file, Data(text.utf8))
            let r = try CLI.run(["labels", "import", Self.demo, file, "--labels", labels])
            expectOneLine(r, status: 2, "labels import case \(i)")
            #expect(r.stderr.contains("\(file): \(expected);"), "\(r.stderr)")
        }
    }
}
