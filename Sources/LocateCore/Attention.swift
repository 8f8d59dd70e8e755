import CBLAS
import Foundation

/// Causal grouped-query attention over a key/value cache.
///
/// Queries are new positions [p0, p0 + Tq); keys and values hold every position [0, p0 + Tq) in
/// a cache of capacity Tcap. Query head h reads key/value head h / (H / Hkv).
public struct AttentionShape: Sendable {
    public let batch: Int          // B
    public let queries: Int        // Tq
    public let firstPosition: Int  // p0
    public let capacity: Int       // Tcap (cache positions per row)
    public let heads: Int          // H
    public let kvHeads: Int        // Hkv
    public let headDim: Int        // Dh
    public var keys: Int { firstPosition + queries }   // Tk
    public var scale: Float { 1 / Float(headDim).squareRoot() }

    public init(batch: Int, queries: Int, firstPosition: Int, capacity: Int, heads: Int, kvHeads: Int, headDim: Int) {
        precondition(firstPosition + queries <= capacity, "positions \(firstPosition)+\(queries) exceed cache capacity \(capacity)")
        precondition(heads % kvHeads == 0, "\(heads) heads do not group over \(kvHeads) key/value heads")
        self.batch = batch; self.queries = queries; self.firstPosition = firstPosition; self.capacity = capacity
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
}

public enum Attention {
    /// scores [B, H, Tq, Tk] = q·kᵀ·scale with future keys set to -inf.
    /// q: [B, Tq, H, Dh]; k: [B, Tcap, Hkv, Dh].
    public static func scores(q: UnsafePointer<Float>, k: UnsafePointer<Float>, _ s: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let group = a.heads / a.kvHeads, tk = a.keys
        Parallel.shared(a.batch * a.heads, work: a.batch * a.heads * a.queries * tk * a.headDim) { pairs in
            for bh in pairs {
                let b = bh / a.heads, h = bh % a.heads
                let qp = q + (b * a.queries * a.heads + h) * a.headDim
                let kp = k + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                let sp = s + (b * a.heads + h) * a.queries * tk
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(a.queries), Int32(tk), Int32(a.headDim),
                            a.scale, qp, Int32(a.heads * a.headDim), kp, Int32(a.kvHeads * a.headDim), 0, sp, Int32(tk))
                for i in 0..<a.queries {
                    let visible = a.firstPosition + i + 1
                    for j in visible..<tk { sp[i * tk + j] = -Float.infinity }
                }
            }
        }
    }

    /// pattern = softmax(scores) in place over the visible keys of each query.
    public static func softmax(_ s: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let tk = a.keys
        let rows = a.batch * a.heads * a.queries
        Parallel.shared(rows, work: rows * tk * 8) { range in
            Softmax.inPlace(s + range.lowerBound * tk, rows: range.count, width: tk) { r in a.firstPosition + (range.lowerBound + r) % a.queries + 1 }
        }
    }

    /// z [B, Tq, H, Dh] = pattern · v; v: [B, Tcap, Hkv, Dh].
    public static func mix(pattern p: UnsafePointer<Float>, v: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let group = a.heads / a.kvHeads, tk = a.keys
        Parallel.shared(a.batch * a.heads, work: a.batch * a.heads * a.queries * tk * a.headDim) { pairs in
            for bh in pairs {
                let b = bh / a.heads, h = bh % a.heads
                let pp = p + (b * a.heads + h) * a.queries * tk
                let vp = v + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                let zp = z + (b * a.queries * a.heads + h) * a.headDim
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(a.queries), Int32(a.headDim), Int32(tk),
                            1, pp, Int32(tk), vp, Int32(a.kvHeads * a.headDim), 0, zp, Int32(a.heads * a.headDim))
            }
        }
    }

    /// Naive double-precision reference of the whole attention: returns z [B, Tq, H, Dh].
    public static func naive(q: [Float], k: [Float], v: [Float], shape a: AttentionShape) -> [Float] {
        let group = a.heads / a.kvHeads
        var z = [Float](repeating: 0, count: a.batch * a.queries * a.heads * a.headDim)
        for b in 0..<a.batch {
            for h in 0..<a.heads {
                let g = h / group
                for i in 0..<a.queries {
                    let visible = a.firstPosition + i + 1
                    var w = [Double](repeating: 0, count: visible)
                    for j in 0..<visible {
                        var s = 0.0
                        for d in 0..<a.headDim {
                            s += Double(q[((b * a.queries + i) * a.heads + h) * a.headDim + d])
                               * Double(k[((b * a.capacity + j) * a.kvHeads + g) * a.headDim + d])
                        }
                        w[j] = s * Double(a.scale)
                    }
                    let m = w.max()!
                    let e = w.map { Foundation.exp($0 - m) }
                    let total = e.reduce(0, +)
                    for d in 0..<a.headDim {
                        var acc = 0.0
                        for j in 0..<visible { acc += e[j] / total * Double(v[((b * a.capacity + j) * a.kvHeads + g) * a.headDim + d]) }
                        z[((b * a.queries + i) * a.heads + h) * a.headDim + d] = Float(acc)
                    }
                }
            }
        }
        return z
    }
}
