import CBLAS

/// Matrix products through OpenBLAS, with naive references beside them for tests.
///
/// Weights keep the GGUF/PyTorch `[out][in]` row order, so a linear layer is `Y = X · Wᵀ`.
public enum Matmul {
    /// `y[M, N] (+)= x[M, K] · w[N, K]ᵀ`. With `accumulate`, adds into `y` (beta = 1).
    /// `lda`/`ldy` allow strided row access (defaults: K and N).
    @inline(__always)
    public static func linear(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false, lda: Int? = nil, ldy: Int? = nil) {
        guard m > 0, n > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, w, Int32(k), x, 1, beta, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, x, Int32(lda ?? k), w, Int32(k), beta, y, Int32(ldy ?? n))
        }
    }

    /// `y[M, K] (+)= dy[M, N] · w[N, K]`: the input gradient of `linear`.
    public static func linearBackwardInput(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                           m: Int, n: Int, k: Int, accumulate: Bool = false) {
        guard m > 0, k > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(k), 1, w, Int32(k), dy, 1, beta, dx, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(n),
                        1, dy, Int32(n), w, Int32(k), beta, dx, Int32(k))
        }
    }

    /// `dw[N, K] (+)= dy[M, N]ᵀ · x[M, K]`: the weight gradient of `linear`.
    public static func linearBackwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                                            m: Int, n: Int, k: Int, accumulate: Bool = false) {
        guard n > 0, k > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m),
                    1, dy, Int32(n), x, Int32(k), beta, dw, Int32(k))
    }

    /// Naive `x · wᵀ` in double precision: the oracle for `linear`.
    public static func linearNaive(_ x: [Float], _ w: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(x[i * k + p]) * Double(w[j * k + p]) }
                y[i * n + j] = Float(s)
            }
        }
        return y
    }
}

/// Which OpenBLAS build and kernel this process uses.
public enum BLASInfo {
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
