import Foundation
@testable import SAEKit

/// Paths inside the repository, found from this file's location.
enum Repo {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }
}

/// A fresh temporary folder, removed by the caller with `cleanup()`.
struct TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "saex-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = file(name)
        writeFile(p, Data(bytes))
        return p
    }

    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        writeFile(p, Data(text.utf8))
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    /// Runs `body` with a fresh folder and removes the folder afterwards.
    static func using<T>(_ body: (TempDir) throws -> T) rethrows -> T {
        let dir = TempDir()
        defer { dir.cleanup() }
        return try body(dir)
    }
}

/// Largest |a - b| / (1 + |b|) over two equal-length arrays.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var m: Float = 0
    for (x, y) in zip(a, b) {
        if x.isNaN != y.isNaN { return .infinity }
        m = max(m, abs(x - y) / (1 + abs(y)))
    }
    return m
}

/// Writes a test input; a failure here is the machine's, not the code under test's, so it stops the run.
func writeFile(_ path: String, _ contents: Data?) {
    guard FileManager.default.createFile(atPath: path, contents: contents) else { preconditionFailure("test setup: cannot write \(path)") }
}
