import CBLAS

/// The few BLAS calls saex makes, with row-major conventions spelled out. All matrix products in
/// saex go through OpenBLAS; nothing here is hand-written arithmetic.
enum BLAS {
    /// BLAS may take another path for very few rows (a vector product, a small-matrix kernel) and
    /// round differently. Products whose rows must not depend on where a block ends (cache batches,
    /// --shard parts, logit blocks) get at least this many rows, zeros past the real ones.
    static let stableRows = 16

    /// C[m x n] = alpha * A[m x k] * op(B) + beta * C, all row-major. `bTransposed`: B is stored [n x k].
    static func gemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] = beta == 0 ? 0 : c[r * ldc + j] * beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, bTransposed ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m x n] = A[m x k] * B[n x k]^T, row-major (A^T-free product of two row-stacked matrices).
    static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, bTransposed: true, c: c, ldc: n)
    }

    /// C[m x n] = A[m x k] * B[k x n] in double precision, all row-major and contiguous.
    static func dgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        dgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
    }

    /// The same with leading dimensions (row strides) of each matrix.
    static func dgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(n), x, 1, y, 1)
    }

    static func norm(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        cblas_snrm2(Int32(n), x, 1)
    }

}

/// Which OpenBLAS kernels run, and the fix for a CPU the library does not recognise.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose ("Haswell", "SkylakeX", "Prescott", ...).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The OpenBLAS core type to force, or nil when its own choice is fine.
    ///
    /// Debian's OpenBLAS 0.3.21 falls back to its generic SSE3 "Prescott" kernels on CPUs newer
    /// than it knows, which makes sgemm about ten times slower than it should be (measured in
    /// docs/PERFORMANCE.md). saex then names the newest kernel family the CPU can run:
    /// "SkylakeX" (AVX-512) when it has AVX-512 F, CD, BW, DQ and VL (the subsets of Skylake-SP,
    /// the oldest CPU those kernels target), else "Haswell" (AVX2) when it has AVX2 and FMA.
    /// On this project's AVX-512 machine the SkylakeX sgemm ran the encoder's shape 1.7x faster
    /// than Haswell's (docs/PERFORMANCE.md), and it is what numpy's own OpenBLAS picks there.
    /// Linux lists the avx512 flags only when the kernel saves the AVX-512 register state, so a
    /// flag present means the instructions are usable.
    /// The choice is made when the library loads, so the caller must set OPENBLAS_CORETYPE and
    /// re-execute; an OPENBLAS_CORETYPE the user set is always respected.
    public static func recommendedCoreType(
        environment: [String: String], cpuFlags: Set<String>,
        currentCore: String = coreName
    ) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, currentCore == "Prescott" else { return nil }
        if skylakeXFlags.isSubset(of: cpuFlags) { return "SkylakeX" }
        return cpuFlags.contains("avx2") && cpuFlags.contains("fma") ? "Haswell" : nil
    }

    /// The AVX-512 subsets of Skylake-SP, the oldest CPU OpenBLAS's SkylakeX kernels target.
    static let skylakeXFlags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// The OPENBLAS_CORETYPE an executable should re-execute itself with, first thing in main,
    /// or nil: the user chose, the library's choice is fine, or this process is the re-execution
    /// (SAEX_BLAS_REEXEC is set). The exec itself belongs to the executable.
    public static func coreTypeToReexecWith(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["SAEX_BLAS_REEXEC"] == nil else { return nil }
        return recommendedCoreType(environment: environment, cpuFlags: cpuFlags())
    }

    /// The environment an executable should re-execute itself with, first thing in main (empty:
    /// no re-execution): OPENBLAS_CORETYPE as `coreTypeToReexecWith` says, and OPENBLAS_NUM_THREADS
    /// sized to the memory limit (`ResourceCheck.blasThreads`) when there is one and the user set
    /// no thread count. OpenBLAS reads both when it loads, so only a new process can change them.
    public static func reexecEnvironment(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        memoryLimit: Int? = ResourceCheck.memoryLimit()?.bytes,
        cpus: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [String: String] {
        guard environment["SAEX_BLAS_REEXEC"] == nil else { return [:] }
        var out: [String: String] = [:]
        if let core = coreTypeToReexecWith(environment: environment) { out["OPENBLAS_CORETYPE"] = core }
        let userChose = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].contains { environment[$0] != nil }
        if !userChose, let threads = ResourceCheck.blasThreads(limit: memoryLimit, cpus: cpus), threads < cpus {
            out["OPENBLAS_NUM_THREADS"] = String(threads)
        }
        return out
    }

    nonisolated(unsafe) static var warmedUp = false

    /// Runs one 512 x 512 x 512 sgemm so OpenBLAS takes its work buffers now, while address space
    /// is plentiful. OpenBLAS 0.3.21 keeps them in its pool for later calls; a buffer it first needs
    /// once the address space is used up is retried forever (`blas_memory_alloc` spins), so taking
    /// them at start turns a hang under `ulimit -v` into at worst a failed allocation of saex's own.
    /// Throws, instead of hanging, when the address-space limit leaves no room for the buffer.
    public static func warmUp() throws {
        if let limit = ResourceCheck.addressSpaceLimit(), let size = ResourceCheck.procValue("/proc/self/status", "VmSize"),
            limit - size < ResourceCheck.blasBufferBytes + (16 << 20)
        {
            throw SAEKitError(
                .ioFailure, path: nil,
                reason: "ulimit -v leaves \(ResourceCheck.format(max(0, limit - size))) of address space, "
                    + "and OpenBLAS needs \(ResourceCheck.format(ResourceCheck.blasBufferBytes)) for its work buffer",
                remedy: "raise the limit (ulimit -v, or the job's memory) by a few hundred MB")
        }
        warmedUp = true
        let n = 512
        let a = [Float](repeating: 1, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { p in
            c.withUnsafeMutableBufferPointer { q in
                BLAS.gemm(
                    m: n, n: n, k: n, a: p.baseAddress!, lda: n, b: p.baseAddress!, ldb: n, bTransposed: false, c: q.baseAddress!, ldc: n)
            }
        }
    }

    /// CPU feature flags from /proc/cpuinfo (empty where it does not exist).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}

import Foundation
