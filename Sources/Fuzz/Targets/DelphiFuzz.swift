import Foundation
import SAEKit

/// Target `delphi` of `saex-fuzz`: a delphi latent cache, opened through
/// `ImportDetector.open` as `saex explore` opens it (token ids shown as `t<id>`).
///
/// Input layout: byte 0 chooses the layout, the rest is split at `\0PART\0` into up to two split
/// files written into `latents/layers.0/` on /dev/shm:
/// - bits 0-1: the split names: 0 `0_3`, `4_7`; 1 `1_9223372036854775807` (Int.max), `0_0`; 2 `0_7`, `4_9` (overlapping);
///   3 `5_2`, `10_12` (start after end, then a gap);
/// - bits 2-3: open 0 the hookpoint folder, 1 the first split file, 2 the `latents/` folder,
///   3 the hookpoint folder with a second, empty hookpoint folder next to it (opened as `latents/`).
enum DelphiFuzz {
    static let folder = ScratchFolder("delphi")
    static let names = [["0_3", "4_7"], ["1_9223372036854775807", "0_0"], ["0_7", "4_9"], ["5_2", "10_12"]]

    static func check(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let mode = bytes.first else { return "empty input" }
        let parts = Fuzz.split(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), maxParts: 2)
        let f = folder
        f.clear()
        mkdir(f.file("latents"), 0o755)
        mkdir(f.file("latents/layers.0"), 0o755)
        let splitNames = names[Int(mode & 3)]
        for (i, p) in parts.enumerated() { f.write("latents/layers.0/\(splitNames[i]).safetensors", p) }
        let path: String
        switch (mode >> 2) & 3 {
        case 0: path = f.file("latents/layers.0")
        case 1: path = f.file("latents/layers.0/\(splitNames[0]).safetensors")
        case 2: path = f.file("latents")
        default:
            mkdir(f.file("latents/layers.1"), 0o755)
            path = f.file("latents")
        }
        return Fuzz.checkImport(path, folder: f, tokenText: { "t\($0)" })
    }
}
