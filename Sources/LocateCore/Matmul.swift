import CBLAS
import Foundation

/// Matrix products through OpenBLAS, with naive references beside them for tests.
///
/// Weights keep the GGUF/PyTorch `[out][in]` row order, so a linear layer is `Y = X · Wᵀ`.
public enum Matmul {
    /// `y[M, N] (+)= x[M, K] · w[N, K]ᵀ`. With `accumulate`, adds into `y` (beta = 1).
    /// `lda`/`ldy` allow strided row access (defaults: K and N). Large products are shared out
    /// over the calling thread's ``Compute/current`` threads, by blocks of rows or of output
    /// columns.
    @inline(__always)
    public static func linear(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false, lda: Int? = nil, ldy: Int? = nil) {
        guard m > 0, n > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        let ldx = lda ?? k, ldy = ldy ?? n
        if m >= rowSharing {
            shared(columns: m, work: m * n * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r.count), Int32(n), Int32(k),
                            1, x + r.lowerBound * ldx, Int32(ldx), w, Int32(k), beta, y + r.lowerBound * ldy, Int32(ldy))
            }
            return
        }
        shared(columns: n, work: m * n * k) { c in
            if m == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(c.count), Int32(k), 1, w + c.lowerBound * k, Int32(k), x, 1, beta,
                            y + c.lowerBound, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(c.count), Int32(k),
                            1, x, Int32(ldx), w + c.lowerBound * k, Int32(k), beta, y + c.lowerBound, Int32(ldy))
            }
        }
    }

    /// `y[M, K] (+)= dy[M, N] · w[N, K]`: the input gradient of `linear`.
    public static func linearBackwardInput(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                           m: Int, n: Int, k: Int, accumulate: Bool = false) {
        guard m > 0, k > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if m >= rowSharing {
            shared(columns: m, work: m * n * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r.count), Int32(k), Int32(n),
                            1, dy + r.lowerBound * n, Int32(n), w, Int32(k), beta, dx + r.lowerBound * k, Int32(k))
            }
            return
        }
        shared(columns: k, work: m * n * k) { c in
            if m == 1 {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(c.count), 1, w + c.lowerBound, Int32(k), dy, 1, beta,
                            dx + c.lowerBound, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(c.count), Int32(n),
                            1, dy, Int32(n), w + c.lowerBound, Int32(k), beta, dx + c.lowerBound, Int32(k))
            }
        }
    }

    /// `dw[N, K] (+)= dy[M, N]ᵀ · x[M, K]`: the weight gradient of `linear`.
    public static func linearBackwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                                            m: Int, n: Int, k: Int, accumulate: Bool = false) {
        guard n > 0, k > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        shared(columns: n, work: m * n * k) { r in
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(r.count), Int32(k), Int32(m),
                        1, dy + r.lowerBound, Int32(n), x, Int32(k), beta, dw + r.lowerBound * k, Int32(k))
        }
    }

    /// Rows from which a product is shared out by blocks of rows (each thread packs the whole
    /// weight, a small cost against its rows' work) rather than by blocks of output columns
    /// (each thread packs every row).
    static let rowSharing = 64

    /// Calls `body` on disjoint ranges of `columns` (multiples of 16 but the last), one per
    /// thread of the calling thread's setting; on one range for small products.
    @inline(__always)
    static func shared(columns: Int, work: Int, _ body: (Range<Int>) -> Void) {
        _ = singleThreadedBLAS
        Parallel.shared(columns, work: work, alignment: 16, body)
    }

    /// OpenBLAS's own threads are off for the whole process, set once before the first product:
    /// the library shares products out itself, so concurrent computations never oversubscribe
    /// the cores or change a setting another computation sees.
    static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

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
    /// OpenBLAS's own thread count (1 once the first product ran: see ``Matmul``).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
