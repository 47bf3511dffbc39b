import CBLAS

/// The few BLAS calls saex makes, with row-major conventions spelled out. All matrix products in
/// saex go through OpenBLAS; nothing here is hand-written arithmetic.
enum BLAS {
    /// C[m x n] = alpha * A[m x k] * op(B) + beta * C, all row-major. `bTransposed`: B is stored [n x k].
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] = beta == 0 ? 0 : c[r * ldc + j] * beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, bTransposed ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m x n] = A[m x k] * B[n x k]^T, row-major (A^T-free product of two row-stacked matrices).
    static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, bTransposed: true, c: c, ldc: n)
    }

    static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(n), x, 1, y, 1)
    }

    static func norm(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        cblas_snrm2(Int32(n), x, 1)
    }

    /// Sets the number of threads OpenBLAS uses.
    static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(n))
    }
}
