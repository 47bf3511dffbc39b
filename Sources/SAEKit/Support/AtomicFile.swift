#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Writes files so that readers see either the old or the new complete content, never a mix.
///
/// The bytes go to a temporary file in the same folder, are flushed with fsync, and the temporary
/// file is renamed over the target; then the folder is fsynced so the rename is durable. A live
/// memory map of the old file stays valid. (`OutputTarget` does the work; this is its form for
/// saex's own files.)
public enum AtomicFile {
    /// Writes `chunks` (in order) to `path` atomically and durably. `path` must be a regular file
    /// or not exist (a symlink, device or FIFO there is refused, never replaced); see
    /// `OutputTarget.internalFile`. `checkMappedInputs`: refuse when a mapped input changed on
    /// disk meanwhile (for content computed from inputs; off for journals of what the user typed).
    public static func write(path: String, chunks: [Data], checkMappedInputs: Bool = true) throws {
        var target = try OutputTarget.internalFile(path)
        target.checksMappedInputs = checkMappedInputs
        try target.write(chunks)
    }

    /// fsyncs a folder so that a rename inside it survives a crash.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
