/// Shape of attention over segments that resume a kept run.
///
/// Each of B rows computes Tq new positions p0 ..< p0+Tq. Its keys and values at positions < p0
/// are the kept run's (row b reads kept row b mod Bk); at positions ≥ p0 they are its own.
public struct SegmentShape: Sendable {
    public let batch: Int          // B
    public let queries: Int        // Tq
    public let firstPosition: Int  // p0
    public let keptBatch: Int      // Bk
    public let keptLength: Int     // Tk: positions per kept row (≥ p0)
    public let heads: Int          // H
    public let kvHeads: Int        // Hkv
    public let headDim: Int        // Dh
    public var scale: Float { 1 / Float(headDim).squareRoot() }

    public init(batch: Int, queries: Int, firstPosition: Int, keptBatch: Int, keptLength: Int, heads: Int, kvHeads: Int, headDim: Int) {
        precondition(firstPosition <= keptLength && keptBatch > 0 && heads % kvHeads == 0)
        self.batch = batch; self.queries = queries; self.firstPosition = firstPosition
        self.keptBatch = keptBatch; self.keptLength = keptLength
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
}

/// Causal attention of resumed segments, reading the kept prefix in place (no copy into a full
/// key/value cache) and computing the few keys of each query directly. For the short prompts of
/// causal tracing (a dozen keys, Dh = 64) this beats a small matrix product per (row, head).
///
/// Shapes: q, z [B, Tq, H, Dh]; newK, newV [B, Tq, Hkv, Dh]; keptK, keptV [Bk, Tk, Hkv, Dh].
public enum SegmentAttention {
    public static func forward(q: UnsafePointer<Float>, newK: UnsafePointer<Float>, newV: UnsafePointer<Float>,
                               keptK: UnsafePointer<Float>, keptV: UnsafePointer<Float>,
                               _ z: UnsafeMutablePointer<Float>, shape a: SegmentShape) {
        let (H, Hkv, Dh, Tq, p0) = (a.heads, a.kvHeads, a.headDim, a.queries, a.firstPosition)
        let group = H / Hkv, kv = Hkv * Dh, scale = a.scale
        withUnsafeTemporaryAllocation(of: Float.self, capacity: p0 + Tq) { weights in
            let w = weights.baseAddress!
            for b in 0..<a.batch {
                let keptRow = (b % a.keptBatch) * a.keptLength * kv
                for i in 0..<Tq {
                    let keys = p0 + i + 1
                    for h in 0..<H {
                        let qp = q + ((b * Tq + i) * H + h) * Dh
                        let head = (h / group) * Dh
                        // key j: kept for j < p0, own (row b, query j − p0) otherwise
                        @inline(__always) func key(_ j: Int) -> UnsafePointer<Float> {
                            j < p0 ? keptK + keptRow + j * kv + head : newK + (b * Tq + j - p0) * kv + head
                        }
                        @inline(__always) func value(_ j: Int) -> UnsafePointer<Float> {
                            j < p0 ? keptV + keptRow + j * kv + head : newV + (b * Tq + j - p0) * kv + head
                        }
                        var largest = -Float.infinity
                        for j in 0..<keys {
                            w[j] = Vector.dot(qp, key(j), count: Dh) * scale
                            largest = max(largest, w[j])
                        }
                        var total: Float = 0
                        for j in 0..<keys { w[j] = FastExp.exp(w[j] - largest); total += w[j] }
                        let inverse = 1 / total
                        let zp = z + ((b * Tq + i) * H + h) * Dh
                        zp.update(repeating: 0, count: Dh)
                        for j in 0..<keys { Vector.addScaled(value(j), by: w[j] * inverse, into: zp, count: Dh) }
                    }
                }
            }
        }
    }

    /// Reference: the full keys and values of every row assembled, then ``Attention/naive``
    /// (double precision). Returns z [B, Tq, H, Dh].
    public static func naive(q: [Float], newK: [Float], newV: [Float], keptK: [Float], keptV: [Float], shape a: SegmentShape) -> [Float] {
        let kv = a.kvHeads * a.headDim, T = a.firstPosition + a.queries
        var k = [Float](repeating: 0, count: a.batch * T * kv), v = k
        for b in 0..<a.batch {
            for j in 0..<T {
                for e in 0..<kv {
                    let kept = ((b % a.keptBatch) * a.keptLength + j) * kv + e
                    let own = (b * a.queries + j - a.firstPosition) * kv + e
                    k[(b * T + j) * kv + e] = j < a.firstPosition ? keptK[kept] : newK[own]
                    v[(b * T + j) * kv + e] = j < a.firstPosition ? keptV[kept] : newV[own]
                }
            }
        }
        let full = AttentionShape(batch: a.batch, queries: a.queries, firstPosition: a.firstPosition, capacity: T,
                                  heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim)
        return Attention.naive(q: q, k: k, v: v, shape: full)
    }
}
