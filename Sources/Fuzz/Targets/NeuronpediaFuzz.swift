import Foundation
import SAEKit

/// Target `neuronpedia` of `saex-fuzz`: Neuronpedia feature JSON and the bulk export
/// (.jsonl / .jsonl.gz), opened through `ImportDetector.open` as `saex explore` opens them.
///
/// Input layout: byte 0 chooses the layout, the rest is split at `\0PART\0` into up to three files
/// written into a folder on /dev/shm:
/// - bits 0-1 = 0: one feature file `7.json` (opened as the file);
///   1: a folder of feature files `7.json`, `8.json` (opened as the folder);
///   2: an export source folder `features/`, `activations/`, `explanations/` `batch-0.jsonl` (opened
///   as the folder); 3: the same, opened as the file `activations/batch-0.jsonl`;
/// - bit 2: export batches are named `.jsonl.gz` (the bytes are taken as they are: gzip data).
enum NeuronpediaFuzz {
    static let folder = ScratchFolder("neuronpedia")

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let mode = bytes.first else { return "empty input" }
        let parts = Fuzz.split(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), maxParts: 3)
        let f = folder
        f.clear()
        let path: String
        switch mode & 3 {
        case 0:
            f.write("7.json", parts[0])
            path = f.file("7.json")
        case 1:
            for (i, p) in parts.prefix(2).enumerated() { f.write("\(7 + i).json", p) }
            path = f.path
        default:
            let ext = mode & 4 != 0 ? "jsonl.gz" : "jsonl"
            for (i, role) in ["features", "activations", "explanations"].enumerated() where i < parts.count {
                mkdir(f.file(role), 0o755)
                f.write("\(role)/batch-0.\(ext)", parts[i])
            }
            path = mode & 3 == 2 ? f.path : f.file("activations/batch-0.\(ext)")
        }
        return Fuzz.checkImport(path, folder: f)
    }
}
