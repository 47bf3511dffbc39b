import Foundation
import SAEKit

/// Target `saedashboard` of `saex-fuzz`: SAEDashboard's Neuronpedia batch JSON, opened
/// through `ImportDetector.open` as `saex explore` opens it.
///
/// Input layout: byte 0 bit 0 clear: the rest is one file `batch-0.json` (opened as the file); set:
/// the rest is split at `\0PART\0` into `batch-0.json` and `batch-1.json` (opened as their folder).
enum SAEDashboardFuzz {
    static let folder = ScratchFolder("saedashboard")

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let mode = bytes.first else { return "empty input" }
        let f = folder
        f.clear()
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let path: String
        if mode & 1 == 0 {
            f.write("batch-0.json", Data(body))
            path = f.file("batch-0.json")
        } else {
            for (i, p) in Fuzz.split(body, maxParts: 2).enumerated() { f.write("batch-\(i).json", p) }
            path = f.path
        }
        return Fuzz.checkImport(path, folder: f)
    }
}
