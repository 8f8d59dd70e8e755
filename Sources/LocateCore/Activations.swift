import Foundation

/// The SiLU-gated MLP nonlinearity of llama: `post = silu(gate) · up`, silu(x) = x·σ(x).
public enum SwiGLU {
    /// gate, up, post: [N·F] (flat, same layout).
    public static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                               _ post: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let g = gate[i]
            post[i] = g / (1 + FastExp.exp(-g)) * up[i]
        }
    }

    /// Gradients of `forward`: dGate = dPost · up · silu'(gate), dUp = dPost · silu(gate).
    public static func backward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dPost: UnsafePointer<Float>,
                                dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let g = gate[i]
            let s = 1 / (1 + FastExp.exp(-g))
            let silu = g * s
            dUp[i] = dPost[i] * silu
            dGate[i] = dPost[i] * up[i] * (s + silu * (1 - s))
        }
    }

    public static func silu(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }
}

/// Row-wise softmax and log-softmax over the last axis.
public enum Softmax {
    /// In place over `rows` rows of `width`; only the first `valid(row)` entries take part, the
    /// rest become 0 (a causal mask without materialized -inf).
    public static func inPlace(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: (Int) -> Int = { _ in Int.max }) {
        for r in 0..<rows {
            let row = x + r * width
            let n = min(width, valid(r))
            var m = -Float.infinity
            for i in 0..<n { m = max(m, row[i]) }
            var s: Float = 0
            for i in 0..<n { let e = Foundation.exp(row[i] - m); row[i] = e; s += e }
            let inv = 1 / s
            for i in 0..<n { row[i] *= inv }
            for i in n..<width { row[i] = 0 }
        }
    }

    /// log Σ exp(x) of one row (the log-softmax normalizer): the maximum, then Σ exp(x − max) with
    /// `FastExp` (float lanes per block of 4096, blocks in double). `logSumExpNaive` is the reference.
    public static func logSumExp(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        let m = FastExp.maximum(x, count: n)
        return m + Float(Foundation.log(FastExp.sumExpShifted(x, shift: m, count: n)))
    }

    /// Double-precision reference of `logSumExp`.
    public static func logSumExpNaive(_ x: [Float]) -> Double {
        let m = Double(x.max() ?? -.infinity)
        return m + Foundation.log(x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
    }
}
