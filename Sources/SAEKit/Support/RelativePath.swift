import Foundation

/// Paths stored inside files saex writes are relative to that file's folder, so a folder holding a
/// cache and its dictionaries can be moved or shared as a whole.
enum RelativePath {
    /// An absolute, standardised version of `path` (relative to the working directory).
    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    /// `target` written relative to the folder that holds `file`.
    static func of(_ target: String, fromFolderOf file: String) -> String {
        let from = URL(fileURLWithPath: absolute(file)).deletingLastPathComponent().standardizedFileURL.pathComponents
        let to = URL(fileURLWithPath: absolute(target)).standardizedFileURL.pathComponents
        var common = 0
        while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        let rest = Array(to[common...])
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
