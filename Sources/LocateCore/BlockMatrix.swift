import CKernels

/// A weight matrix `W[N, K]` kept as GGUF blocks (Q4_1 or Q8_0), row after row, and multiplied
/// without expanding it to float32 first: a short prompt or a generated token then reads 4.5 or
/// 8.5 bits per weight instead of 32. The expanded weights are bit-identical to the dequantizer's.
///
/// The bytes belong to `owner` (a memory-mapped model file), which the matrix keeps alive.
public struct BlockMatrix: @unchecked Sendable {
    public enum Format: Sendable {
        case q4_1, q8_0
        /// Bytes per block of 32 weights.
        public var blockBytes: Int { self == .q4_1 ? 20 : 34 }
        var c: locate_block_format { self == .q4_1 ? LOCATE_BLOCK_Q4_1 : LOCATE_BLOCK_Q8_0 }
    }

    public let format: Format
    public let rows: Int      // N
    public let columns: Int   // K, a multiple of 32
    public let blocks: UnsafeRawPointer
    let owner: AnyObject

    /// `blocks` must hold `rows · columns / 32` blocks and stay valid while `owner` lives.
    public init?(format: Format, rows: Int, columns: Int, blocks: UnsafeRawPointer, owner: AnyObject) {
        guard rows > 0, columns > 0, columns % 32 == 0 else { return nil }
        self.format = format; self.rows = rows; self.columns = columns; self.blocks = blocks; self.owner = owner
    }

    /// Bytes in one row of `W`.
    public var rowBytes: Int { columns / 32 * format.blockBytes }
}

extension Matmul {
    /// `y[M, N] (+)= x[M, K] · Wᵀ` with `W` kept as blocks, shared out over the calling thread's
    /// ``Compute/current`` threads by blocks of output columns. Each `y[i][j]` is summed in one
    /// fixed order (see `block_linear.h`), so a row's result does not depend on `m`, on the other
    /// rows or on the thread count.
    public static func linear(_ x: UnsafePointer<Float>, _ w: BlockMatrix, _ y: UnsafeMutablePointer<Float>,
                              m: Int, accumulate: Bool = false, lda: Int? = nil, ldy: Int? = nil, portable: Bool = false) {
        guard m > 0 else { return }
        let ldx = lda ?? w.columns, ldy = ldy ?? w.rows
        let format = w.format.c, blocks = w.blocks, k = w.columns
        withExtendedLifetime(w.owner) {
            Parallel.shared(w.rows, work: m * w.rows * k, alignment: 8) { c in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: Int(LOCATE_BLOCK_PANEL) * k) { panel in
                    locate_block_linear(format, x, ldx, blocks, y, ldy, m, c.lowerBound, c.upperBound, k,
                                        accumulate ? 1 : 0, portable ? 1 : 0, panel.baseAddress!)
                }
            }
        }
    }

    /// `y[M, N] = x[M, K] · Wᵀ` from `blocks` when given and `m` is below ``blockProductRows``,
    /// else from the float32 copy `dense` [N, K] (the two hold the same weights).
    @inline(__always)
    public static func linear(_ x: UnsafePointer<Float>, dense: [Float], blocks: BlockMatrix?, _ y: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int) {
        if let blocks, m < blockProductRows {
            linear(x, blocks, y, m: m)
        } else {
            dense.withPointer { linear(x, $0, y, m: m, n: n, k: k) }
        }
    }

    /// Rows from which OpenBLAS on the float32 copy is faster than reading blocks: with many
    /// rows the product is bound by arithmetic, not by the bytes of the weights (measured with
    /// `locate bench forward`: 88 rows are faster from blocks, 128 equal, 352 slower).
    public static let blockProductRows = 128

    /// Whether block products take the AVX2 path on this CPU.
    public static var blockProductsVectorized: Bool { locate_block_linear_vectorized() != 0 }
}
