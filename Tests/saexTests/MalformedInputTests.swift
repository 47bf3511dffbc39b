import Foundation
import Testing

/// One case of Tests/saexTests/Malformed/cases.json: a malformed input, the command that reads it,
/// and the one-line message and exit status saex must give.
struct MalformedCase: Sendable, Decodable, CustomTestStringConvertible {
    struct RootExpectation: Sendable, Decodable {
        var status: Int32
        var stderr: String
    }

    var name: String
    var args: [String]
    var status: Int32
    var stderr: String
    var stderrIsPrefix: Bool?
    var usage: Bool?
    var terminal: Bool?
    var setup: String?
    var asRoot: RootExpectation?

    enum CodingKeys: String, CodingKey {
        case name, args, status, stderr, usage, terminal, setup
        case stderrIsPrefix = "stderr_is_prefix"
        case asRoot = "as_root"
    }

    var testDescription: String { name }

    static let folder = "Tests/saexTests/Malformed"

    /// Every case of the manifest; an unreadable manifest gives one failing case that says so.
    static let all: [MalformedCase] = {
        let path = CLI.root + "/" + folder + "/cases.json"
        struct Manifest: Decodable { var cases: [MalformedCase] }
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path))).cases
        } catch {
            return [MalformedCase(name: "manifest unreadable: \(error)", args: [], status: -1, stderr: "")]
        }
    }()
}

/// The malformed-input corpus: every case runs the built binary and must fail with its documented
/// one-line message and exit status; no crash, hang, stack trace or multi-line error.
struct MalformedInputTests {
    @Test func corpusIsLargeAndNamesAreUnique() {
        #expect(MalformedCase.all.count >= 40)
        #expect(Set(MalformedCase.all.map(\.name)).count == MalformedCase.all.count)
    }

    @Test(arguments: MalformedCase.all)
    func malformedInputFailsWithOneLine(_ c: MalformedCase) throws {
        let tmp = NSTemporaryDirectory() + "saex-malformed-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        func expand(_ s: String) -> String {
            s.replacingOccurrences(of: "{files}", with: MalformedCase.folder + "/files").replacingOccurrences(of: "{tmp}", with: tmp)
        }
        let args = c.args.map(expand)
        if c.setup == "unreadable-cfg" {
            // Cannot be committed (git keeps no mode 000), so it is made here.
            try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/loaders/saelens_jumprelu", toPath: tmp + "/unreadable")
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: tmp + "/unreadable/cfg.json")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tmp)
            if getuid() == 0, let root = c.asRoot {
                // Root ignores the file mode: the read succeeds and the dictionary loads.
                let r = try CLI.run(args)
                #expect(r.status == root.status, "\(c.name) as root: \(r.stderr)")
                #expect(r.stderr == root.stderr, "\(c.name) as root")
                // The refusal itself, checked as an unprivileged user when setpriv can drop to one.
                guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
                let u = try CLI.run(["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary] + args, executable: "/usr/bin/setpriv")
                check(c, status: u.status, output: u.stderr, expand: expand)
                return
            }
        }
        if c.terminal == true {
            // saex explore refuses to start without a terminal, so these run under util-linux script
            // (a pseudo-terminal; stdout and stderr arrive together, with CR LF line ends).
            let quoted = ([CLI.binary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let r = try CLI.run(
                ["-q", "-e", "-E", "never", "-c", quoted, "/dev/null"], env: ["TERM": "xterm"], timeout: 30, executable: "/usr/bin/script")
            var lines = r.stdout.replacingOccurrences(of: "\r", with: "").split(separator: "\n", omittingEmptySubsequences: true).map(
                String.init)
            // A cache prints "opening PATH..." before it is read; that progress line is not the error.
            if lines.first?.hasPrefix("opening ") == true { lines.removeFirst() }
            check(c, status: r.status, output: lines.joined(separator: "\n"), expand: expand)
            return
        }
        let r = try CLI.run(args, timeout: 30)
        check(c, status: r.status, output: r.stderr, expand: expand)
    }

    func check(_ c: MalformedCase, status: Int32, output: String, expand: (String) -> String) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let expected = expand(c.stderr)
        #expect(status == c.status, "\(c.name): exit \(status), stderr: \(output)")
        let first = lines.first ?? ""
        if c.stderrIsPrefix == true {
            #expect(first.hasPrefix(expected), "\(c.name): \(first)")
        } else {
            #expect(first == expected, "\(c.name)")
        }
        if c.usage == true {
            // ArgumentParser's usage block may follow the one-line error; nothing else may.
            for l in lines.dropFirst() {
                #expect(l.hasPrefix("Help:") || l.hasPrefix("Usage:") || l.hasPrefix("  "), "\(c.name): unexpected line \(l)")
            }
        } else {
            #expect(lines.count == 1, "\(c.name): not one line: \(output)")
        }
        #expect(!output.contains("Fatal error") && !output.contains("Stack dump") && !output.contains("Backtrace"), "\(c.name)")
        #expect(!first.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(c.name): control character in the message")
    }
}
