import ArgumentParser
import Foundation
import SAEKit

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode activations with a dictionary and write the feature activations.",
        discussion: """
            ACTIVATIONS is a .npy or .safetensors file of shape [n, d_in] or [n_seq, seq_len, d_in]. \
            OUT holds feature_acts F32 [n, d_sae]; when there are several tokens, its metadata holds the \
            reconstruction FVU (fraction of variance unexplained). Padding tokens (id -1 in a tokens \
            tensor) stay in OUT as zero rows and count in neither the FVU nor the mean L0.
            """)

    @Argument(help: "A dictionary folder or params.npz.") var dict: String
    @Argument(help: "Activations: .npy or .safetensors.") var activations: String
    @Option(name: .shortAndLong, help: "Output .safetensors file.") var output: String
    @Option(help: "Name of the activation tensor in a .safetensors input (default: activations).") var tensor: String?
    @Flag(help: "Start even when the estimated memory or output size exceeds what is free.") var force = false

    func run() throws {
        let target = try OutputTarget(output, inputs: [dict, activations])
        let d = try DictionaryLoader.load(path: dict)
        let input = try ActivationFile(path: activations, tensor: tensor)
        guard input.dIn == d.dIn else {
            throw SAEKitError(
                .badInput, path: activations, subject: "tensor \"\(input.activations.name)\"",
                reason: "has d_in = \(input.dIn) but the dictionary expects \(d.dIn)",
                remedy: "use activations from the hook the dictionary was trained on")
        }
        let need = BatchEncoding.estimate(dictionary: d, input: input)
        try ResourceCheck.require(memory: need.memory, disk: need.output, target: target, what: "encoding \(input.rows) rows", force: force)
        let result = try BatchEncoding.encodeToFile(dictionary: d, input: input, output: output) { done, total in
            Progress.report(stage: "encode", done: done, total: total)
        }
        Progress.finish()
        var line = "wrote \(target): feature_acts [\(input.rows), \(d.dSAE)]"
        if result.paddingRows > 0 { line += " (\(result.paddingRows) padding rows as zeros)" }
        if let fvu = result.fvu { line += String(format: ", FVU %.6f", fvu) }
        line += String(format: ", mean L0 %.2f", result.meanL0)
        line += "; OpenBLAS \(BLASRuntime.coreName) kernels"
        Console.error(TerminalText.escapedLine(line))
    }
}
