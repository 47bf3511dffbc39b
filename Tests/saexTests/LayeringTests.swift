import Foundation
import Testing

/// The package's shape, checked on the source files: dependencies run one way (saex -> ExplorerUI
/// -> SAEKit), only the terminal backend talks to ncurses, the CLI's text commands do not link
/// the UI, and SAEKit's folders depend on each other without a cycle.
@Suite struct LayeringTests {
    /// Every .swift file under `folder` (relative to the repository root), with its text.
    static func sources(_ folder: String) throws -> [(path: String, text: String)] {
        let base = CLI.root + "/" + folder
        let paths = try #require(FileManager.default.subpathsOfDirectory(atPath: base) as [String]?)
        return try paths.filter { $0.hasSuffix(".swift") }.sorted().map {
            ("\(folder)/\($0)", try String(contentsOfFile: base + "/" + $0, encoding: .utf8))
        }
    }

    static func imports(_ text: String, _ module: String) -> Bool {
        text.split(separator: "\n").contains { line in
            let words = line.split(separator: " ")
            return words.contains("import") && words.last.map(String.init) == module
                && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//")
        }
    }

    @Test func onlyTheTerminalBackendImportsNcurses() throws {
        let all = try Self.sources("Sources") + Self.sources("Tests")
        let offenders = all.filter { Self.imports($0.text, "CNcursesw") && !$0.path.hasPrefix("Sources/ExplorerUI/Terminal/") }.map(\.path)
        #expect(offenders.isEmpty, "import CNcursesw outside ExplorerUI/Terminal: \(offenders)")
        #expect(
            try Self.sources("Sources/ExplorerUI/Terminal").contains { Self.imports($0.text, "CNcursesw") },
            "the check found no backend at all")
    }

    @Test func saeKitImportsNoUserInterface() throws {
        let offenders = try Self.sources("Sources/SAEKit").filter {
            Self.imports($0.text, "ExplorerUI") || Self.imports($0.text, "ArgumentParser")
        }
        #expect(offenders.isEmpty, "SAEKit imports a layer above it: \(offenders.map(\.path))")
    }

    /// The explorer and the blind screen are the only commands that need the UI library.
    @Test func textCommandsDoNotImportTheExplorer() throws {
        let ui: Set = ["Sources/saex/Explore.swift", "Sources/saex/Label.swift"]
        let offenders = try Self.sources("Sources/saex").filter { Self.imports($0.text, "ExplorerUI") && !ui.contains($0.path) }.map(\.path)
        #expect(offenders.isEmpty, "a text command imports ExplorerUI: \(offenders)")
    }

    /// SAEKit's folders, as a graph of "a file in folder A names a type declared in folder B",
    /// has no cycle (Support <- Safetensors <- NumPy <- Dictionary/Inputs <- Encoding, Features <-
    /// Analysis <- Table <- Browse, Labels <- Cache, Import).
    @Test func saeKitFoldersFormNoCycle() throws {
        let files = try Self.sources("Sources/SAEKit")
        func folder(_ path: String) -> String { String(path.split(separator: "/")[2]) }
        let declaration = try NSRegularExpression(
            pattern: #"^(?:public |final |private |fileprivate |internal |@\w+ )*(?:struct|enum|class|protocol|typealias|actor)\s+(\w+)"#,
            options: [.anchorsMatchLines])
        var owner: [String: String] = [:]
        for f in files {
            let range = NSRange(f.text.startIndex..., in: f.text)
            for m in declaration.matches(in: f.text, range: range) {
                if let r = Range(m.range(at: 1), in: f.text) { owner[String(f.text[r])] = owner[String(f.text[r])] ?? folder(f.path) }
            }
        }
        var edges: [String: Set<String>] = [:]
        let word = try NSRegularExpression(pattern: #"\b[A-Z]\w+\b"#)
        for f in files {
            let code = f.text.split(separator: "\n").map { $0.components(separatedBy: "//").first ?? "" }.joined(separator: "\n")
            let range = NSRange(code.startIndex..., in: code)
            for m in word.matches(in: code, range: range) {
                guard let r = Range(m.range, in: code), let o = owner[String(code[r])], o != folder(f.path) else { continue }
                edges[folder(f.path), default: []].insert(o)
            }
        }
        #expect(edges.count >= 8, "the scan found too few folders: \(edges.keys.sorted())")
        // Depth-first search for a back edge.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var cycle: [String]?
        func visit(_ n: String, _ path: [String]) {
            guard cycle == nil else { return }
            state[n] = 1
            for m in (edges[n] ?? []).sorted() {
                if state[m] == 1 { cycle = path + [n, m]; return }
                if state[m] == nil { visit(m, path + [n]) }
            }
            state[n] = 2
        }
        for n in edges.keys.sorted() where state[n] == nil { visit(n, []) }
        #expect(cycle == nil, "SAEKit folder cycle: \(cycle?.joined(separator: " -> ") ?? "")")
    }
}
