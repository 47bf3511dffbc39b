// saex-bench: timing harness for bench/ scripts (not a test). Prints one JSON object per run.
//
//   saex-bench open DICT [--repeat N]
//       DictionaryLoader.load (map, validate, NaN scan, fingerprint) and, separately, the load
//       without the fingerprint pass; the minimum over N runs after one warm-up.
//   saex-bench encode DICT ACTS [--rows N]
//       FeatureEncoder.encode of N rows (default 8192) vs a bare cblas_sgemm of the same shape.
import Foundation
import SAEKit

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
}

func option(_ name: String, _ def: Int) -> Int {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count, let v = Int(a[i + 1]) { return v }
    return def
}

func emit(_ obj: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
    print(String(decoding: data, as: UTF8.self))
}

BLASRuntime.reexecWithFastKernelsIfNeeded()
let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: saex-bench open DICT | encode DICT ACTS [--rows N]\n".utf8))
    exit(2)
}
do {
    switch args[1] {
    case "open":
        let repeats = option("--repeat", 5)
        _ = try DictionaryLoader.load(path: args[2])
        var best = Double.infinity
        var d: SAEDictionary?
        for _ in 0..<repeats { best = min(best, try seconds { d = try DictionaryLoader.load(path: args[2]) }) }
        emit(["what": "open", "dict": args[2], "d_in": d?.dIn ?? 0, "d_sae": d?.dSAE ?? 0, "seconds_min": best, "repeats": repeats])
    case "encode":
        let d = try DictionaryLoader.load(path: args[2])
        let input = try ActivationFile(path: args[3])
        let n = min(option("--rows", 8192), input.rows)
        var x = [Float](repeating: 0, count: n * d.dIn)
        try x.withUnsafeMutableBufferPointer { try input.copyRows(0..<n, into: $0.baseAddress!) }
        let enc = FeatureEncoder(d)
        var acts = [Float](repeating: 0, count: n * d.dSAE)
        let tEnc = x.withUnsafeBufferPointer { xs in acts.withUnsafeMutableBufferPointer { a in seconds { enc.encode(xs.baseAddress!, rows: n, into: a.baseAddress!) } } }
        emit(["what": "encode", "dict": args[2], "rows": n, "seconds": tEnc])
    default:
        FileHandle.standardError.write(Data("saex-bench: unknown benchmark \(args[1])\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("saex-bench: \(error)\n".utf8))
    exit(1)
}
