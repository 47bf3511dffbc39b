import Foundation
import SAEKit

/// A fresh folder under the system temporary folder, named `prefix` and a UUID; `removeFolder`
/// deletes it.
func makeTemporaryFolder(_ prefix: String) throws -> String {
    let dir = NSTemporaryDirectory() + prefix + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Removes a folder and everything in it (best effort).
func removeFolder(_ dir: String) {
    try? FileManager.default.removeItem(atPath: dir)
}

/// Copies the demo cache and its analysis into `dir`; returns the copy's path.
func copyDemoCache(into dir: String) throws -> String {
    for name in ["demo.saexcache", "demo.saexcache.analysis"] {
        try FileManager.default.copyItem(atPath: CLI.root + "/fixtures/demo/" + name, toPath: dir + "/" + name)
    }
    return dir + "/demo.saexcache"
}

/// A copy of the demo cache (and its analysis) in a fresh temporary folder: the folder and the copy.
func demoCopy(_ prefix: String) throws -> (dir: String, cache: String) {
    let dir = try makeTemporaryFolder(prefix)
    return (dir, try copyDemoCache(into: dir))
}

/// A blind session in CACHE.blind over the cache's first two dictionaries.
func makeBlindSession(_ cache: String, perDictionary: Int, seed: UInt64, rater: String? = nil) throws -> BlindSession {
    let source = try CacheFeatureSource(path: cache)
    let offered = source.dictionaries.prefix(2).enumerated().map { d, info in
        BlindDictionary(
            name: info.name, fingerprint: info.fingerprint, featureCount: info.featureCount,
            density: Array(source.table(dict: d).density.buffer))
    }
    try FileManager.default.createDirectory(atPath: cache + ".blind", withIntermediateDirectories: true)
    return try BlindSession.create(
        directory: cache + ".blind", dictionaries: offered, perDictionary: perDictionary, seed: seed, rater: rater)
}

/// The demo cache, read where it is (fixtures/demo), with a labels file for it in a fresh
/// temporary folder that `remove()` deletes.
struct DemoWithLabels {
    let cache = CLI.root + "/fixtures/demo/demo.saexcache"
    let dir: String
    var labels: String { dir + "/demo.labels" }
    let source: CacheFeatureSource

    init(_ prefix: String) throws {
        dir = try makeTemporaryFolder(prefix)
        source = try CacheFeatureSource(path: cache)
    }

    func remove() { removeFolder(dir) }
}
