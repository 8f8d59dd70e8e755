/// RMSNorm as in llama: `y = x / sqrt(mean(x²) + eps) · g`, computed in float32 like PyTorch.
public enum RMSNorm {
    /// x, y: [N, D]; weight: [D]; inverse RMS per row goes to `invRMS` [N] when given (for backward).
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                               _ y: UnsafeMutablePointer<Float>, rows n: Int, width d: Int,
                               invRMS: UnsafeMutablePointer<Float>? = nil) {
        for r in 0..<n {
            let xr = x + r * d, yr = y + r * d
            let ss = Vector.sumOfSquares(xr, count: d)
            let inv = 1 / (ss / Float(d) + eps).squareRoot()
            invRMS?[r] = inv
            Vector.scaleMultiply(xr, by: inv, weight, into: yr, count: d)
        }
    }

    /// Gradient of `forward` with respect to x: dx [N, D] (+)= ∂L/∂x given dy [N, D].
    /// Weight gradient goes to `dWeight` [D] when given (accumulated).
    public static func backward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, invRMS: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows n: Int, width d: Int,
                                accumulate: Bool, dWeight: UnsafeMutablePointer<Float>? = nil) {
        for r in 0..<n {
            let xr = x + r * d, dyr = dy + r * d, dxr = dx + r * d
            let inv = invRMS[r]
            // y_i = g_i x_i inv; dx_j = inv (g_j dy_j) - inv³ x_j / D · Σ_i g_i dy_i x_i
            var dot: Float = 0
            for i in 0..<d { dot += weight[i] * dyr[i] * xr[i] }
            let c = inv * inv * inv * dot / Float(d)
            for i in 0..<d {
                let v = inv * weight[i] * dyr[i] - c * xr[i]
                dxr[i] = accumulate ? dxr[i] + v : v
            }
            if let dWeight {
                for i in 0..<d { dWeight[i] += dyr[i] * xr[i] * inv }
            }
        }
    }

    /// Naive double-precision reference.
    public static func forwardNaive(_ x: [Float], weight: [Float], eps: Float, rows n: Int, width d: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n * d)
        for r in 0..<n {
            var ss = 0.0
            for i in 0..<d { ss += Double(x[r * d + i]) * Double(x[r * d + i]) }
            let inv = 1 / (ss / Double(d) + Double(eps)).squareRoot()
            for i in 0..<d { y[r * d + i] = Float(Double(x[r * d + i]) * inv * Double(weight[i])) }
        }
        return y
    }
}
