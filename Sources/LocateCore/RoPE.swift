import Foundation

/// Rotary position embeddings.
///
/// Two pairings exist: `.adjacent` rotates (x[2i], x[2i+1]) (llama weights as stored in GGUF,
/// whose Q/K rows the converter permuted), `.halves` rotates (x[i], x[i + Dh/2]) (NeoX style,
/// Hugging Face's `rotate_half`). The angle of pair i at position p is p · base^(-2i/Dh),
/// computed in float32 as PyTorch does.
public struct RoPE: Sendable {
    public enum Pairing: String, Sendable, Codable { case adjacent, halves }
    public let headDim: Int
    public let base: Float
    public let pairing: Pairing
    let inverseFrequencies: [Float]   // [Dh/2]

    public init(headDim: Int, base: Float, pairing: Pairing) {
        self.headDim = headDim; self.base = base; self.pairing = pairing
        inverseFrequencies = (0..<headDim / 2).map { i in 1 / Foundation.pow(base, Float(2 * i) / Float(headDim)) }
    }

    /// cos and sin tables for positions [start, start + count): [count, Dh/2] each.
    public func tables(start: Int, count: Int) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var c = [Float](repeating: 0, count: count * half), s = c
        for t in 0..<count {
            for i in 0..<half {
                let angle = Float(start + t) * inverseFrequencies[i]
                c[t * half + i] = Foundation.cos(angle)
                s[t * half + i] = Foundation.sin(angle)
            }
        }
        return (c, s)
    }

    /// Rotates x: [B, Tq, heads, Dh] in place; row t uses table row t.
    /// `inverse` applies the transpose rotation (the backward pass of a rotation).
    public func apply(_ x: UnsafeMutablePointer<Float>, batch: Int, positions tq: Int, heads: Int,
                      cos: [Float], sin: [Float], inverse: Bool = false) {
        let half = headDim / 2
        let sign: Float = inverse ? -1 : 1
        for b in 0..<batch {
            for t in 0..<tq {
                let ct = t * half
                for h in 0..<heads {
                    let v = x + ((b * tq + t) * heads + h) * headDim
                    for i in 0..<half {
                        let (j0, j1) = pairing == .adjacent ? (2 * i, 2 * i + 1) : (i, i + half)
                        let c = cos[ct + i], s = sign * sin[ct + i]
                        let a = v[j0], bb = v[j1]
                        v[j0] = a * c - bb * s
                        v[j1] = a * s + bb * c
                    }
                }
            }
        }
    }
}
