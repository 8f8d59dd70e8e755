import Foundation
import LocateFormats
import LocateModel

/// An independent llama forward in double precision, written from the formulas and sharing no
/// code with the engine: the oracle for the forward pass and, by finite differences, for
/// whole-model gradients.
///
/// Legend: T positions, D width, H heads, Hkv key/value heads, Dh head width, F MLP width,
/// V vocabulary. Per block, with rms(x) = x / sqrt(mean(x²) + eps):
///
///     h = rms(x)·g_attn;  q = h·W_qᵀ, k = h·W_kᵀ, v = h·W_vᵀ;  RoPE on q and k
///     z = softmax_causal(q·kᵀ/√Dh)·v   (query head h reads kv head h / (H / Hkv))
///     x += z·W_oᵀ
///     h = rms(x)·g_ffn;  x += (silu(h·W_gateᵀ) ⊙ h·W_upᵀ)·W_downᵀ
///     logits = (rms(x)·g_final)·W_Uᵀ,  W_U = W_E when tied
///
/// RoPE rotates adjacent pairs (x[2i], x[2i+1]) by the angle pos·base^(−2i/Dh), in double.
///
/// The weights are copied to double on construction and are mutable, so a finite-difference
/// check can perturb one of them by 1e-6 without float rounding.
struct NaiveLlama {
    struct Layer {
        var attnNorm: [Double]   // [D]
        var q: [Double]          // [H·Dh, D]
        var k: [Double]          // [Hkv·Dh, D]
        var v: [Double]          // [Hkv·Dh, D]
        var o: [Double]          // [D, H·Dh]
        var ffnNorm: [Double]    // [D]
        var gate: [Double]       // [F, D]
        var up: [Double]         // [F, D]
        var down: [Double]       // [D, F]
    }

    let config: ModelConfig
    var embedding: [Double]      // [V, D]  W_E
    var layers: [Layer]
    var finalNorm: [Double]      // [D]
    /// [V, D] W_U; unused when the config is tied (then W_E is the unembedding, so perturbing
    /// `embedding` moves both ends as in the real tied model).
    var output: [Double]

    /// Called at every hook site and position with that position's vector, which it may change
    /// in place: `(hook, position, values)`. Widths as in the hook table: D for residual-stream
    /// sites, H·Dh for q and z, Hkv·Dh for k and v, F for the MLP sites, V for logits, and H·T for
    /// attention scores and pattern at query position i (unit = head·T + key; future keys hold
    /// −inf in scores and 0 in the pattern; an edited pattern is mixed over all T keys, as the
    /// engine does).
    typealias Edit = (_ hook: HookPoint, _ position: Int, _ values: inout [Double]) -> Void

    init(weights w: ModelWeights, config: ModelConfig) {
        func d(_ a: [Float]) -> [Double] { a.map(Double.init) }
        self.config = config
        embedding = d(w.embedding)
        layers = w.layers.map { l in
            Layer(attnNorm: d(l.attnNorm), q: d(l.q), k: d(l.k), v: d(l.v), o: d(l.o),
                  ffnNorm: d(l.ffnNorm), gate: d(l.gate), up: d(l.up), down: d(l.down))
        }
        finalNorm = d(w.finalNorm)
        output = d(w.output)
    }

    init(_ model: Transformer) { self.init(weights: model.weights, config: model.config) }

    /// Logits [T, V] (flat) of one token row at every position.
    func logits(tokens: [Int], edit: Edit? = nil) -> [Double] {
        let c = config
        let (T, D, F, V) = (tokens.count, c.embeddingLength, c.feedForwardLength, c.vocabSize)
        let (H, Hkv, Dh) = (c.headCount, c.headCountKV, c.headDim)
        let eps = Double(c.rmsNormEpsilon)
        func visit(_ hook: HookPoint, _ rows: inout [[Double]]) {
            guard let edit else { return }
            for t in 0..<T { edit(hook, t, &rows[t]) }
        }

        var x = tokens.map { Array(embedding[$0 * D ..< ($0 + 1) * D]) }                  // [T][D]
        visit(.embed, &x)
        for (l, w) in layers.enumerated() {
            visit(.residPre(l), &x)
            var h = x.map { Self.rmsNorm($0, w.attnNorm, eps: eps) }                      // [T][D]
            visit(.ln1Normalized(l), &h)
            var q = h.map { Self.linear($0, w.q, out: H * Dh) }                            // [T][H·Dh]
            var k = h.map { Self.linear($0, w.k, out: Hkv * Dh) }                          // [T][Hkv·Dh]
            var v = h.map { Self.linear($0, w.v, out: Hkv * Dh) }                          // [T][Hkv·Dh]
            for t in 0..<T {
                q[t] = rope(q[t], position: t, heads: H)
                k[t] = rope(k[t], position: t, heads: Hkv)
            }
            visit(.attnQ(l), &q); visit(.attnK(l), &k); visit(.attnV(l), &v)

            var scores = (0..<T).map { i in                                                 // [T][H·T]
                (0..<H * T).map { u -> Double in
                    let (head, j) = (u / T, u % T)
                    guard j <= i else { return -.infinity }
                    var s = 0.0
                    for e in 0..<Dh { s += q[i][head * Dh + e] * k[j][head / (H / Hkv) * Dh + e] }
                    return s / Double(Dh).squareRoot()
                }
            }
            visit(.attnScores(l), &scores)
            var pattern = scores.enumerated().map { i, row in                                 // [T][H·T]
                (0..<H).flatMap { head in Self.softmax(Array(row[head * T ..< head * T + T]), visible: i + 1) }
            }
            visit(.attnPattern(l), &pattern)
            var z = (0..<T).map { i in                                                      // [T][H·Dh]
                (0..<H * Dh).map { u -> Double in
                    let (head, e) = (u / Dh, u % Dh)
                    var s = 0.0
                    for j in 0..<T where pattern[i][head * T + j] != 0 {
                        s += pattern[i][head * T + j] * v[j][head / (H / Hkv) * Dh + e]
                    }
                    return s
                }
            }
            visit(.attnZ(l), &z)
            var attnOut = z.map { Self.linear($0, w.o, out: D) }                            // [T][D]
            visit(.attnOut(l), &attnOut)
            for t in 0..<T { for i in 0..<D { x[t][i] += attnOut[t][i] } }
            visit(.residMid(l), &x)

            h = x.map { Self.rmsNorm($0, w.ffnNorm, eps: eps) }
            visit(.ln2Normalized(l), &h)
            var gate = h.map { Self.linear($0, w.gate, out: F) }                            // [T][F]
            visit(.mlpPre(l), &gate)
            var up = h.map { Self.linear($0, w.up, out: F) }                                // [T][F]
            visit(.mlpPreLinear(l), &up)
            var post = (0..<T).map { t in (0..<F).map { i in gate[t][i] / (1 + Foundation.exp(-gate[t][i])) * up[t][i] } }
            visit(.mlpPost(l), &post)
            var mlpOut = post.map { Self.linear($0, w.down, out: D) }                       // [T][D]
            visit(.mlpOut(l), &mlpOut)
            for t in 0..<T { for i in 0..<D { x[t][i] += mlpOut[t][i] } }
            visit(.residPost(l), &x)
        }
        var h = x.map { Self.rmsNorm($0, finalNorm, eps: eps) }
        visit(.finalNormalized, &h)
        let unembedding = c.tiedEmbeddings ? embedding : output
        var logits = h.map { Self.linear($0, unembedding, out: V) }                         // [T][V]
        visit(.logits, &logits)
        return Array(logits.joined())
    }

    /// Rotates adjacent pairs of each head of one position's vector [heads·Dh].
    private func rope(_ x: [Double], position: Int, heads: Int) -> [Double] {
        let dh = config.headDim, base = Double(config.ropeFreqBase)
        var y = x
        for head in 0..<heads {
            for i in 0..<dh / 2 {
                let angle = Double(position) * Foundation.pow(base, -Double(2 * i) / Double(dh))
                let (c, s) = (Foundation.cos(angle), Foundation.sin(angle))
                let (a, b) = (x[head * dh + 2 * i], x[head * dh + 2 * i + 1])
                y[head * dh + 2 * i] = a * c - b * s
                y[head * dh + 2 * i + 1] = a * s + b * c
            }
        }
        return y
    }

    /// y [out] = W [out, in] · x [in].
    static func linear(_ x: [Double], _ w: [Double], out n: Int) -> [Double] {
        let k = x.count
        precondition(w.count == n * k, "weight has \(w.count) values, [\(n), \(k)] expected")
        return (0..<n).map { j in
            var s = 0.0
            for p in 0..<k { s += w[j * k + p] * x[p] }
            return s
        }
    }

    static func rmsNorm(_ x: [Double], _ g: [Double], eps: Double) -> [Double] {
        let inv = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + eps).squareRoot()
        return x.indices.map { x[$0] * inv * g[$0] }
    }

    /// Softmax over the first `visible` entries; the rest are 0.
    static func softmax(_ row: [Double], visible: Int) -> [Double] {
        let m = row[0..<visible].max()!
        var e = row.indices.map { $0 < visible ? Foundation.exp(row[$0] - m) : 0 }
        let total = e[0..<visible].reduce(0, +)
        for j in 0..<visible { e[j] /= total }
        return e
    }
}
