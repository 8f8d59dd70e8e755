import Foundation
import LocateCore

// Finite differences and double-precision forwards: the oracles of KernelGradientTests.
//
// Legend: N rows, M = N, K input width, D width, F MLP width, V vocabulary, B batch, Tq new
// positions, Tk visible keys, Tcap cache capacity, H heads, Hkv key/value heads, Dh head width.

/// Central finite differences of a scalar function of doubles.
enum FiniteDifference {
    /// ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h for every i.
    static func gradient(at x: [Double], step h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
        var probe = x
        var g = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            probe[i] = x[i] + h
            let plus = f(probe)
            probe[i] = x[i] - h
            let minus = f(probe)
            probe[i] = x[i]
            g[i] = (plus - minus) / (2 * h)
        }
        return g
    }

    /// max |actual − expected| / max |expected| (the absolute error when expected is all zero).
    static func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
        precondition(actual.count == expected.count, "\(actual.count) vs \(expected.count) values")
        var err = 0.0, scale = 0.0
        for i in actual.indices {
            err = max(err, abs(Double(actual[i]) - expected[i]))
            scale = max(scale, abs(expected[i]))
        }
        return scale > 0 ? err / scale : err
    }

    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        relativeError(actual, expected.map(Double.init))
    }
}

/// Seeded random test data.
struct SeededData {
    let source: RandomSource
    init(seed: UInt64) { source = RandomSource(seed: seed) }

    func floats(_ count: Int, std: Double = 1, mean: Double = 0) -> [Float] {
        (0..<count).map { _ in Float(mean + source.gaussian(std: std)) }
    }

    func int(below n: Int) -> Int { min(n - 1, Int(source.uniform() * Double(n))) }
}

func innerProduct(_ a: [Double], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var s = 0.0
    for i in a.indices { s += a[i] * Double(b[i]) }
    return s
}

extension Array where Element == Float {
    var asDoubles: [Double] { map(Double.init) }
}

/// Plain double-precision forwards written from the formulas, independent of the kernels.
enum DoubleForward {
    /// y [M, N] = x [M, K] · w [N, K]ᵀ.
    static func linear(_ x: [Double], _ w: [Double], m: Int, n: Int, k: Int) -> [Double] {
        var y = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += x[i * k + p] * w[j * k + p] }
            y[i * n + j] = s
        } }
        return y
    }

    /// y [N, D] = x / sqrt(mean(x²) + eps) · g.
    static func rmsNorm(_ x: [Double], _ g: [Double], eps: Double, rows n: Int, width d: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * d)
        for r in 0..<n {
            var ss = 0.0
            for i in 0..<d { ss += x[r * d + i] * x[r * d + i] }
            let inv = 1 / (ss / Double(d) + eps).squareRoot()
            for i in 0..<d { y[r * d + i] = x[r * d + i] * inv * g[i] }
        }
        return y
    }

    /// post = silu(gate) · up, elementwise.
    static func swiGLU(gate: [Double], up: [Double]) -> [Double] {
        gate.indices.map { gate[$0] / (1 + Foundation.exp(-gate[$0])) * up[$0] }
    }

    /// Rotates x [B, Tq, heads, Dh] with tables cos, sin [Tq, Dh/2].
    static func rope(_ x: [Double], cos: [Double], sin: [Double], pairing: RoPE.Pairing,
                     batch: Int, positions tq: Int, heads: Int, headDim dh: Int) -> [Double] {
        var y = x
        let half = dh / 2
        for b in 0..<batch { for t in 0..<tq { for h in 0..<heads {
            let base = ((b * tq + t) * heads + h) * dh
            for i in 0..<half {
                let (j0, j1) = pairing == .adjacent ? (2 * i, 2 * i + 1) : (i, i + half)
                let c = cos[t * half + i], s = sin[t * half + i]
                y[base + j0] = x[base + j0] * c - x[base + j1] * s
                y[base + j1] = x[base + j0] * s + x[base + j1] * c
            }
        } } }
        return y
    }

    /// cos, sin [Tq, Dh/2] of angle pos · base^(−2i/Dh), in double.
    static func ropeTables(start: Int, count: Int, headDim dh: Int, base: Double) -> (cos: [Double], sin: [Double]) {
        var c: [Double] = [], s: [Double] = []
        for t in 0..<count { for i in 0..<dh / 2 {
            let angle = Double(start + t) * Foundation.pow(base, -Double(2 * i) / Double(dh))
            c.append(Foundation.cos(angle)); s.append(Foundation.sin(angle))
        } }
        return (c, s)
    }

    /// Softmax over the first `visible` entries of a row; the rest are 0.
    static func softmax(_ row: [Double], visible: Int) -> [Double] {
        let m = row[0..<visible].max()!
        var e = row.indices.map { $0 < visible ? Foundation.exp(row[$0] - m) : 0 }
        let total = e.reduce(0, +)
        for j in 0..<visible { e[j] /= total }
        return e
    }

    /// The masked softmax of attention: scores, pattern [B, H, Tq, Tk].
    static func attentionSoftmax(_ scores: [Double], shape a: AttentionShape) -> [Double] {
        let tk = a.keys
        var out: [Double] = []
        for r in 0..<(a.batch * a.heads * a.queries) {
            out += softmax(Array(scores[r * tk ..< (r + 1) * tk]), visible: a.firstPosition + r % a.queries + 1)
        }
        return out
    }

    /// z [B, Tq, H, Dh] of causal GQA attention; q [B, Tq, H, Dh], k, v [B, Tcap, Hkv, Dh].
    static func attention(q: [Double], k: [Double], v: [Double], shape a: AttentionShape) -> [Double] {
        let dh = a.headDim, group = a.heads / a.kvHeads
        var z = [Double](repeating: 0, count: a.batch * a.queries * a.heads * dh)
        for b in 0..<a.batch { for h in 0..<a.heads { for i in 0..<a.queries {
            let qb = ((b * a.queries + i) * a.heads + h) * dh
            let visible = a.firstPosition + i + 1
            var s = [Double](repeating: 0, count: visible)
            for j in 0..<visible {
                let kb = ((b * a.capacity + j) * a.kvHeads + h / group) * dh
                for d in 0..<dh { s[j] += q[qb + d] * k[kb + d] }
                s[j] /= Double(dh).squareRoot()
            }
            let p = softmax(s, visible: visible)
            for j in 0..<visible {
                let vb = ((b * a.capacity + j) * a.kvHeads + h / group) * dh
                for d in 0..<dh { z[qb + d] += p[j] * v[vb + d] }
            }
        } } }
        return z
    }

    /// log-softmax of each row of [N, V].
    static func logSoftmax(_ z: [Double], rows n: Int, width v: Int) -> [Double] {
        var out: [Double] = []
        for r in 0..<n {
            let row = Array(z[r * v ..< (r + 1) * v])
            let m = row.max()!
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            out += row.map { $0 - lse }
        }
        return out
    }

    /// Rows `tokens[n]` of w [V, D].
    static func embedding(_ w: [Double], tokens: [Int], width d: Int) -> [Double] {
        tokens.flatMap { t in w[t * d ..< (t + 1) * d] }
    }
}
