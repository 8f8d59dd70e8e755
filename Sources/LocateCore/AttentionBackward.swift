import CBLAS
import Foundation

// Reverse mode of the causal grouped-query attention of Attention.swift.
//
// Legend: B batch, Tq new positions p0..p0+Tq-1, Tk = p0 + Tq visible keys, Tcap cache capacity,
// H query heads, Hkv key/value heads, Dh head width; query head h reads kv head h / (H / Hkv).
//
// Forward, per (b, h):   S = scale·Q·Kᵀ (future keys -inf)   P = softmax(S)   Z = P·V
// Backward, per (b, h):  dP = dZ·Vᵀ          dV += Pᵀ·dZ
//                        dS = P ⊙ (dP − rowsum(dP ⊙ P))
//                        dQ = scale·dS·K     dK += scale·dSᵀ·Q
//
// dq is overwritten; dk and dv accumulate, because the H / Hkv query heads of a group share one
// key/value head and because cached positions < p0 receive gradient from the new queries.

extension Attention {
    /// Gradients of the whole attention (`scores` → `softmax` → `mix`) with respect to q, k and v.
    ///
    /// - Parameters:
    ///   - q: [B, Tq, H, Dh], after RoPE, as given to ``scores(q:k:_:shape:)``.
    ///   - k, v: [B, Tcap, Hkv, Dh], holding every position [0, Tk).
    ///   - pattern: [B, H, Tq, Tk], the softmax already computed by ``softmax(_:shape:)``.
    ///   - dz: [B, Tq, H, Dh], the gradient of the loss with respect to `z`.
    ///   - dq: [B, Tq, H, Dh], overwritten.
    ///   - dk, dv: [B, Tcap, Hkv, Dh], accumulated (rows ≥ Tk are left untouched).
    /// Provenance: the attention backward of llm.c's `attention_backward`, with GQA grouping and a cache prefix.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                pattern: UnsafePointer<Float>, dz: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                shape a: AttentionShape) {
        let count = a.batch * a.heads * a.queries * a.keys
        let dScores = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))   // [B, H, Tq, Tk]
        defer { dScores.deallocate() }
        mixBackward(pattern: pattern, v: v, dz: dz, dPattern: dScores, dv: dv, shape: a)
        softmaxBackward(pattern: pattern, dPattern: dScores, dScores: dScores, shape: a)
        scoresBackward(q: q, k: k, dScores: dScores, dq: dq, dk: dk, shape: a)
    }

    /// Backward of ``mix(pattern:v:_:shape:)``: dPattern [B, H, Tq, Tk] = dZ·Vᵀ (overwritten, also at
    /// future keys, whose pattern is 0), dv [B, Tcap, Hkv, Dh] += Pᵀ·dZ.
    ///
    /// - Parameters: pattern [B, H, Tq, Tk]; v [B, Tcap, Hkv, Dh]; dz [B, Tq, H, Dh].
    public static func mixBackward(pattern p: UnsafePointer<Float>, v: UnsafePointer<Float>, dz: UnsafePointer<Float>,
                                   dPattern: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let group = a.heads / a.kvHeads, tk = a.keys
        let zStride = Int32(a.heads * a.headDim), kvStride = Int32(a.kvHeads * a.headDim)
        guard a.queries > 0, tk > 0, a.headDim > 0 else { return }
        for b in 0..<a.batch {
            for h in 0..<a.heads {
                let pp = p + (b * a.heads + h) * a.queries * tk
                let dpp = dPattern + (b * a.heads + h) * a.queries * tk
                let vp = v + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                let dvp = dv + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                let dzp = dz + (b * a.queries * a.heads + h) * a.headDim
                // dP [Tq, Tk] = dZ [Tq, Dh] · V [Tk, Dh]ᵀ
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(a.queries), Int32(tk), Int32(a.headDim),
                            1, dzp, zStride, vp, kvStride, 0, dpp, Int32(tk))
                // dV [Tk, Dh] += P [Tq, Tk]ᵀ · dZ [Tq, Dh]
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(tk), Int32(a.headDim), Int32(a.queries),
                            1, pp, Int32(tk), dzp, zStride, 1, dvp, kvStride)
            }
        }
    }

    /// Backward of ``softmax(_:shape:)`` over the visible keys: dS = P ⊙ (dP − Σ_j dP_j P_j) per
    /// query row; future keys get 0. `dScores` may be the same buffer as `dPattern`.
    ///
    /// - Parameters: pattern, dPattern, dScores: [B, H, Tq, Tk].
    public static func softmaxBackward(pattern p: UnsafePointer<Float>, dPattern: UnsafePointer<Float>,
                                       dScores: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let tk = a.keys
        for r in 0..<(a.batch * a.heads * a.queries) {
            let visible = a.firstPosition + r % a.queries + 1
            let pr = p + r * tk, dpr = dPattern + r * tk, dsr = dScores + r * tk
            var dot: Float = 0
            for j in 0..<visible { dot += dpr[j] * pr[j] }
            for j in 0..<visible { dsr[j] = pr[j] * (dpr[j] - dot) }
            for j in visible..<tk { dsr[j] = 0 }
        }
    }

    /// Backward of ``scores(q:k:_:shape:)``: dq [B, Tq, H, Dh] = scale·dS·K (overwritten),
    /// dk [B, Tcap, Hkv, Dh] += scale·dSᵀ·Q. Entries of dS at future keys must be 0 (as
    /// ``softmaxBackward(pattern:dPattern:dScores:shape:)`` leaves them).
    ///
    /// - Parameters: q [B, Tq, H, Dh]; k [B, Tcap, Hkv, Dh]; dScores [B, H, Tq, Tk].
    public static func scoresBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, dScores: UnsafePointer<Float>,
                                      dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, shape a: AttentionShape) {
        let group = a.heads / a.kvHeads, tk = a.keys
        let qStride = Int32(a.heads * a.headDim), kvStride = Int32(a.kvHeads * a.headDim)
        guard a.queries > 0, a.headDim > 0 else { return }
        for b in 0..<a.batch {
            for h in 0..<a.heads {
                let dsp = dScores + (b * a.heads + h) * a.queries * tk
                let qp = q + (b * a.queries * a.heads + h) * a.headDim
                let dqp = dq + (b * a.queries * a.heads + h) * a.headDim
                let kp = k + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                let dkp = dk + (b * a.capacity * a.kvHeads + h / group) * a.headDim
                // dQ [Tq, Dh] = scale · dS [Tq, Tk] · K [Tk, Dh]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(a.queries), Int32(a.headDim), Int32(tk),
                            a.scale, dsp, Int32(tk), kp, kvStride, 0, dqp, qStride)
                // dK [Tk, Dh] += scale · dS [Tq, Tk]ᵀ · Q [Tq, Dh]
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(tk), Int32(a.headDim), Int32(a.queries),
                            a.scale, dsp, Int32(tk), qp, qStride, 1, dkp, kvStride)
            }
        }
    }

    /// Naive double-precision reference of ``backward(q:k:v:pattern:dz:dq:dk:dv:shape:)``: recomputes
    /// the pattern from q and k and returns fresh gradients (dk, dv are 0 at positions ≥ Tk).
    ///
    /// - Returns: dq [B, Tq, H, Dh], dk and dv [B, Tcap, Hkv, Dh].
    public static func backwardNaive(q: [Float], k: [Float], v: [Float], dz: [Float], shape a: AttentionShape)
        -> (dq: [Float], dk: [Float], dv: [Float]) {
        let group = a.heads / a.kvHeads, dh = a.headDim
        let qCount = a.batch * a.queries * a.heads * dh, kvCount = a.batch * a.capacity * a.kvHeads * dh
        precondition(q.count == qCount && dz.count == qCount, "q \(q.count), dz \(dz.count) values; shape [B, Tq, H, Dh] holds \(qCount)")
        precondition(k.count == kvCount && v.count == kvCount, "k \(k.count), v \(v.count) values; shape [B, Tcap, Hkv, Dh] holds \(kvCount)")
        var dq = [Double](repeating: 0, count: qCount)
        var dk = [Double](repeating: 0, count: kvCount), dv = dk
        let scale = 1 / Double(dh).squareRoot()
        func qi(_ b: Int, _ i: Int, _ h: Int) -> Int { ((b * a.queries + i) * a.heads + h) * dh }
        func ki(_ b: Int, _ j: Int, _ g: Int) -> Int { ((b * a.capacity + j) * a.kvHeads + g) * dh }
        for b in 0..<a.batch {
            for h in 0..<a.heads {
                let g = h / group
                for i in 0..<a.queries {
                    let visible = a.firstPosition + i + 1
                    var s = [Double](repeating: 0, count: visible)
                    for j in 0..<visible {
                        var acc = 0.0
                        for d in 0..<dh { acc += Double(q[qi(b, i, h) + d]) * Double(k[ki(b, j, g) + d]) }
                        s[j] = acc * scale
                    }
                    let m = s.max()!
                    let e = s.map { Foundation.exp($0 - m) }
                    let total = e.reduce(0, +)
                    let p = e.map { $0 / total }
                    var dp = [Double](repeating: 0, count: visible)
                    for j in 0..<visible {
                        var acc = 0.0
                        for d in 0..<dh {
                            let dzd = Double(dz[qi(b, i, h) + d])
                            acc += dzd * Double(v[ki(b, j, g) + d])
                            dv[ki(b, j, g) + d] += p[j] * dzd
                        }
                        dp[j] = acc
                    }
                    var dot = 0.0
                    for j in 0..<visible { dot += dp[j] * p[j] }
                    for j in 0..<visible {
                        let ds = p[j] * (dp[j] - dot) * scale
                        for d in 0..<dh {
                            dq[qi(b, i, h) + d] += ds * Double(k[ki(b, j, g) + d])
                            dk[ki(b, j, g) + d] += ds * Double(q[qi(b, i, h) + d])
                        }
                    }
                }
            }
        }
        return (dq.map(Float.init), dk.map(Float.init), dv.map(Float.init))
    }

    /// Naive double-precision reference of ``softmaxBackward(pattern:dPattern:dScores:shape:)``.
    /// - Returns: dScores [B, H, Tq, Tk].
    public static func softmaxBackwardNaive(pattern: [Float], dPattern: [Float], shape a: AttentionShape) -> [Float] {
        let tk = a.keys, rows = a.batch * a.heads * a.queries
        precondition(pattern.count == rows * tk && dPattern.count == rows * tk,
                     "pattern \(pattern.count), dPattern \(dPattern.count) values; [B, H, Tq, Tk] holds \(rows * tk)")
        var out = [Float](repeating: 0, count: rows * tk)
        for r in 0..<rows {
            let visible = a.firstPosition + r % a.queries + 1
            var dot = 0.0
            for j in 0..<visible { dot += Double(dPattern[r * tk + j]) * Double(pattern[r * tk + j]) }
            for j in 0..<visible {
                out[r * tk + j] = Float(Double(pattern[r * tk + j]) * (Double(dPattern[r * tk + j]) - dot))
            }
        }
        return out
    }
}
