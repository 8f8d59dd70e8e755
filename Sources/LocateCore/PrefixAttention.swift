import CBLAS
import Foundation

/// Attention of one new query position per row over a key/value prefix that every row shares
/// (a clean run's cache) plus the row's own key and value at the query position.
///
/// This is the shape of every computation that changes only a prompt's last position (integrated
/// gradients, restorations at the last token): R rows × one position. Legend: R rows, P shared
/// prefix positions, H query heads, Hkv key/value heads, Dh head width; query head h reads
/// key/value head h / (H / Hkv).
public struct PrefixAttentionShape: Sendable {
    public let rows: Int      // R
    public let prefix: Int    // P
    public let heads: Int     // H
    public let kvHeads: Int   // Hkv
    public let headDim: Int   // Dh
    public var keys: Int { prefix + 1 }
    public var scale: Float { 1 / Float(headDim).squareRoot() }

    public init(rows: Int, prefix: Int, heads: Int, kvHeads: Int, headDim: Int) {
        precondition(heads % kvHeads == 0, "\(heads) heads do not group over \(kvHeads) key/value heads")
        self.rows = rows; self.prefix = prefix; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
}

public enum PrefixAttention {
    /// q [R, H, Dh]; prefixK, prefixV [P, Hkv, Dh]; ownK, ownV [R, Hkv, Dh].
    /// Writes pattern [R, H, P+1] (softmax weights, the own key last) and z [R, H, Dh].
    public static func forward(q: UnsafePointer<Float>, prefixK: UnsafePointer<Float>, prefixV: UnsafePointer<Float>,
                               ownK: UnsafePointer<Float>, ownV: UnsafePointer<Float>,
                               pattern: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>, shape a: PrefixAttentionShape) {
        let (R, P, H, Hkv, Dh) = (a.rows, a.prefix, a.heads, a.kvHeads, a.headDim)
        let group = H / Hkv, Tk = P + 1, scale = a.scale
        let qStride = H * Dh, kvStride = Hkv * Dh
        for h in 0..<H {
            let g = h / group
            if P > 0 {
                // pattern[:, h, 0..<P] = scale · Q_h · K_prefixᵀ
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(R), Int32(P), Int32(Dh),
                            scale, q + h * Dh, Int32(qStride), prefixK + g * Dh, Int32(kvStride),
                            0, pattern + h * Tk, Int32(H * Tk))
            }
            for r in 0..<R {
                let s = pattern + (r * H + h) * Tk
                s[P] = scale * Vector.dot(q + r * qStride + h * Dh, ownK + r * kvStride + g * Dh, count: Dh)
                var m = -Float.infinity
                for j in 0..<Tk { m = max(m, s[j]) }
                var sum: Float = 0
                for j in 0..<Tk { let e = Foundation.exp(s[j] - m); s[j] = e; sum += e }
                let inv = 1 / sum
                for j in 0..<Tk { s[j] *= inv }
            }
            // z[:, h] = pattern[:, h, 0..<P] · V_prefix + p_own · v_own
            if P > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(R), Int32(Dh), Int32(P),
                            1, pattern + h * Tk, Int32(H * Tk), prefixV + g * Dh, Int32(kvStride),
                            0, z + h * Dh, Int32(qStride))
            }
            for r in 0..<R {
                let zr = z + r * qStride + h * Dh, v = ownV + r * kvStride + g * Dh
                let p = pattern[(r * H + h) * Tk + P]
                for d in 0..<Dh { zr[d] = (P > 0 ? zr[d] : 0) + p * v[d] }
            }
        }
    }

    /// Gradients of `forward` given dz [R, H, Dh]: dq [R, H, Dh] and, for the rows' own key and
    /// value, dOwnK and dOwnV [R, Hkv, Dh] (overwritten). The shared prefix is a constant.
    /// `work` holds R·H·(P+1) floats.
    public static func backward(q: UnsafePointer<Float>, prefixK: UnsafePointer<Float>, prefixV: UnsafePointer<Float>,
                                ownK: UnsafePointer<Float>, ownV: UnsafePointer<Float>, pattern: UnsafePointer<Float>,
                                dz: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                                dOwnK: UnsafeMutablePointer<Float>, dOwnV: UnsafeMutablePointer<Float>,
                                work: UnsafeMutablePointer<Float>, shape a: PrefixAttentionShape) {
        let (R, P, H, Hkv, Dh) = (a.rows, a.prefix, a.heads, a.kvHeads, a.headDim)
        let group = H / Hkv, Tk = P + 1, scale = a.scale
        let qStride = H * Dh, kvStride = Hkv * Dh
        dOwnK.update(repeating: 0, count: R * kvStride)
        dOwnV.update(repeating: 0, count: R * kvStride)
        for h in 0..<H {
            let g = h / group
            // dP[:, h, 0..<P] = dZ_h · V_prefixᵀ; the own key's entry by a dot product
            if P > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(R), Int32(P), Int32(Dh),
                            1, dz + h * Dh, Int32(qStride), prefixV + g * Dh, Int32(kvStride),
                            0, work + h * Tk, Int32(H * Tk))
            }
            for r in 0..<R {
                let dzr = dz + r * qStride + h * Dh
                let p = pattern + (r * H + h) * Tk, ds = work + (r * H + h) * Tk
                ds[P] = Vector.dot(dzr, ownV + r * kvStride + g * Dh, count: Dh)
                var dot: Float = 0
                for j in 0..<Tk { dot += p[j] * ds[j] }
                for j in 0..<Tk { ds[j] = p[j] * (ds[j] - dot) * scale }
                // own value and key
                let dv = dOwnV + r * kvStride + g * Dh, dk = dOwnK + r * kvStride + g * Dh
                let qr = q + r * qStride + h * Dh, kOwn = ownK + r * kvStride + g * Dh
                let pOwn = p[P], dsOwn = ds[P]
                let dqr = dq + r * qStride + h * Dh
                for d in 0..<Dh {
                    dv[d] += pOwn * dzr[d]
                    dk[d] += dsOwn * qr[d]
                    dqr[d] = dsOwn * kOwn[d]
                }
            }
            // dq[:, h] += dS[:, h, 0..<P] · K_prefix
            if P > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(R), Int32(Dh), Int32(P),
                            1, work + h * Tk, Int32(H * Tk), prefixK + g * Dh, Int32(kvStride),
                            1, dq + h * Dh, Int32(qStride))
            }
        }
    }

    /// Double-precision reference of `forward`: z [R, H, Dh].
    public static func forwardNaive(q: [Float], prefixK: [Float], prefixV: [Float], ownK: [Float], ownV: [Float],
                                    shape a: PrefixAttentionShape) -> [Float] {
        let (R, P, H, Hkv, Dh) = (a.rows, a.prefix, a.heads, a.kvHeads, a.headDim)
        let group = H / Hkv
        var z = [Float](repeating: 0, count: R * H * Dh)
        for r in 0..<R { for h in 0..<H {
            let g = h / group
            func key(_ j: Int) -> (Int, [Float]) {
                j < P ? (j * Hkv * Dh + g * Dh, prefixK) : (r * Hkv * Dh + g * Dh, ownK)
            }
            var s = [Double](repeating: 0, count: P + 1)
            for j in 0...P {
                let (o, k) = key(j)
                var dot = 0.0
                for d in 0..<Dh { dot += Double(q[(r * H + h) * Dh + d]) * Double(k[o + d]) }
                s[j] = dot / Double(Dh).squareRoot()
            }
            let m = s.max()!
            let e = s.map { Foundation.exp($0 - m) }
            let sum = e.reduce(0, +)
            for d in 0..<Dh {
                var acc = 0.0
                for j in 0...P {
                    let v = j < P ? Double(prefixV[j * Hkv * Dh + g * Dh + d]) : Double(ownV[r * Hkv * Dh + g * Dh + d])
                    acc += e[j] / sum * v
                }
                z[(r * H + h) * Dh + d] = Float(acc)
            }
        } }
        return z
    }
}
