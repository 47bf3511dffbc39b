import Foundation
import Testing

/// Runs the built `saex` binary (built by `swift build` before `swift test`; scripts/test.sh does both).
enum CLI {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("saex").path
        for candidate in [beside, root + "/.build/debug/saex"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return beside
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs saex (or `executable`, e.g. a wrapper that runs saex) with `args` in the repository root,
    /// stdin closed, with a timeout.
    static func run(_ args: [String], env: [String: String] = [:], timeout: TimeInterval = 60, executable: String? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw NSError(
                domain: "saexTests", code: 1,
                userInfo: [
                    NSLocalizedDescriptionKey:
                        "saex binary not found at \(binary): run `swift build --product saex` first (scripts/test.sh does)"
                ])
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let tmp = NSTemporaryDirectory() + "saex-run-" + UUID().uuidString
        writeFile(tmp + ".out", nil)
        writeFile(tmp + ".err", nil)
        defer { try? FileManager.default.removeItem(atPath: tmp + ".out"); try? FileManager.default.removeItem(atPath: tmp + ".err") }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".err"))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        try out.close()
        try err.close()
        let outData = (try? Data(contentsOf: URL(fileURLWithPath: tmp + ".out"))) ?? Data()
        let errData = (try? Data(contentsOf: URL(fileURLWithPath: tmp + ".err"))) ?? Data()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs saex with `args` and checks that it exits with `status` and that the first line of its
    /// stderr is `firstLine`; returns the run for further checks.
    @discardableResult
    static func expectError(
        _ args: [String], status: Int32, firstLine: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let r = try run(args)
        #expect(r.status == status, sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").first.map(String.init) == firstLine, sourceLocation: sourceLocation)
        return r
    }
}

/// Writes a test input; a failure here is the machine's, not the code under test's, so it stops the run.
func writeFile(_ path: String, _ contents: Data?) {
    guard FileManager.default.createFile(atPath: path, contents: contents) else { preconditionFailure("test setup: cannot write \(path)") }
}
