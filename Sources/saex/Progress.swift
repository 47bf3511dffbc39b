import Foundation
import SAEKit

/// Progress on stderr: a bar with rate and ETA when stderr is a terminal, one plain line per stage otherwise.
enum Progress {
    nonisolated(unsafe) private static var started: [String: Date] = [:]
    nonisolated(unsafe) private static var announced: Set<String> = []
    nonisolated(unsafe) private static var lastDraw = Date.distantPast
    nonisolated(unsafe) private static var barShown = false

    static func report(stage: String, done: Int, total: Int) {
        let now = Date()
        if started[stage] == nil { started[stage] = now }
        guard Console.stderrIsTTY else {
            if !announced.contains(stage) {
                announced.insert(stage)
                Console.error("\(stage): \(total) items")
            }
            return
        }
        guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started[stage] ?? now)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r%@ [%@] %d/%d  %.0f/s  ETA %.0fs ", stage, bar, done, total, rate, eta)
        StandardStreams.writeDiagnostic(Data(line.utf8))
        barShown = true
    }

    static func finish() {
        if barShown {
            StandardStreams.writeDiagnostic(Data("\n".utf8))
            barShown = false
        }
    }
}
