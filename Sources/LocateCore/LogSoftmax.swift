import Foundation

/// Row-wise log-softmax over the vocabulary and the logit gradients of the objectives built on it.
///
/// Legend: N rows (B·P positions), V logits per row. Forward: `ℓ_i = z_i − log Σ_j exp z_j`, with
/// the normalizer accumulated in double (``Softmax/logSumExp(_:count:)``).
///
/// Objective gradients with respect to the logits z of one row (p = softmax z, t the target):
///
/// | objective | value | ∂/∂z_j |
/// |---|---|---|
/// | log p(t) | ℓ_t | onehot_t − p_j |
/// | p(t) | p_t | p_t (onehot_t − p_j) |
/// | KL(p ‖ r) | Σ p_i (ℓ_i − log r_i) | p_j (ℓ_j − log r_j − KL) |
public enum LogSoftmax {
    /// logProbs [N, V] = logits − logsumexp(logits) per row. May run in place.
    public static func forward(_ logits: UnsafePointer<Float>, _ logProbs: UnsafeMutablePointer<Float>, rows n: Int, width v: Int) {
        for r in 0..<n {
            let lse = Softmax.logSumExp(logits + r * v, count: v)
            for i in 0..<v { logProbs[r * v + i] = logits[r * v + i] - lse }
        }
    }

    /// dLogits [N, V] (+)= dLogProbs − softmax · Σ dLogProbs per row, given the forward's logProbs [N, V].
    public static func backward(logProbs: UnsafePointer<Float>, dLogProbs: UnsafePointer<Float>, dLogits: UnsafeMutablePointer<Float>,
                                rows n: Int, width v: Int, accumulate: Bool = false) {
        for r in 0..<n {
            let lp = logProbs + r * v, dl = dLogProbs + r * v, dz = dLogits + r * v
            var total = 0.0
            for i in 0..<v { total += Double(dl[i]) }
            let sum = Float(total)
            for i in 0..<v {
                let g = dl[i] - Foundation.exp(lp[i]) * sum
                dz[i] = accumulate ? dz[i] + g : g
            }
        }
    }

    /// Gradient of log p(target) with respect to one row of logits [V]: dLogits = onehot − softmax (overwritten).
    /// - Returns: log p(target).
    @discardableResult
    public static func logProbabilityGradient(logits: UnsafePointer<Float>, target: Int, dLogits: UnsafeMutablePointer<Float>,
                                              count v: Int) -> Float {
        precondition((0..<v).contains(target), "target \(target) outside the \(v) logits")
        let lse = Softmax.logSumExp(logits, count: v)
        for i in 0..<v { dLogits[i] = -Foundation.exp(logits[i] - lse) }
        dLogits[target] += 1
        return logits[target] - lse
    }

    /// Gradient of p(target) with respect to one row of logits [V]: dLogits = p_t · (onehot − softmax) (overwritten).
    /// - Returns: p(target).
    @discardableResult
    public static func probabilityGradient(logits: UnsafePointer<Float>, target: Int, dLogits: UnsafeMutablePointer<Float>,
                                           count v: Int) -> Float {
        let logP = logProbabilityGradient(logits: logits, target: target, dLogits: dLogits, count: v)
        let p = Foundation.exp(logP)
        for i in 0..<v { dLogits[i] *= p }
        return p
    }

    /// Gradient of KL(p_cur ‖ p_ref) with respect to the current logits [V], given the reference
    /// log-probabilities [V]: dLogits_j = p_j (ℓ_j − log r_j − KL) (overwritten).
    /// - Returns: KL(p_cur ‖ p_ref) in nats.
    @discardableResult
    public static func klDivergenceGradient(logits: UnsafePointer<Float>, referenceLogProbs r: UnsafePointer<Float>,
                                            dLogits: UnsafeMutablePointer<Float>, count v: Int) -> Float {
        let lse = Softmax.logSumExp(logits, count: v)
        var kl = 0.0
        for i in 0..<v {
            let l = logits[i] - lse
            let p = Foundation.exp(l)
            let diff = l - r[i]
            dLogits[i] = p * diff
            kl += Double(p) * Double(diff)
        }
        let klf = Float(kl)
        for i in 0..<v { dLogits[i] -= Foundation.exp(logits[i] - lse) * klf }
        return klf
    }

    // MARK: - Naive double-precision references

    /// Naive reference of ``forward(_:_:rows:width:)``.
    public static func forwardNaive(_ logits: [Float], rows n: Int, width v: Int) -> [Float] {
        precondition(logits.count == n * v, "logits have \(logits.count) values, [N, V] = [\(n), \(v)] holds \(n * v)")
        var out = [Float](repeating: 0, count: n * v)
        for r in 0..<n {
            let row = (0..<v).map { Double(logits[r * v + $0]) }
            let lse = naiveLogSumExp(row)
            for i in 0..<v { out[r * v + i] = Float(row[i] - lse) }
        }
        return out
    }

    /// Naive reference of ``backward(logProbs:dLogProbs:dLogits:rows:width:accumulate:)``, from the logits.
    public static func backwardNaive(logits: [Float], dLogProbs: [Float], rows n: Int, width v: Int) -> [Float] {
        precondition(logits.count == n * v && dLogProbs.count == n * v,
                     "logits \(logits.count), dLogProbs \(dLogProbs.count) values; [N, V] = [\(n), \(v)] holds \(n * v)")
        var out = [Float](repeating: 0, count: n * v)
        for r in 0..<n {
            let p = naiveSoftmax((0..<v).map { Double(logits[r * v + $0]) })
            var total = 0.0
            for i in 0..<v { total += Double(dLogProbs[r * v + i]) }
            for i in 0..<v { out[r * v + i] = Float(Double(dLogProbs[r * v + i]) - p[i] * total) }
        }
        return out
    }

    /// Naive reference of ``logProbabilityGradient(logits:target:dLogits:count:)``.
    public static func logProbabilityGradientNaive(logits: [Float], target: Int) -> (value: Float, gradient: [Float]) {
        let z = logits.map(Double.init)
        let p = naiveSoftmax(z)
        let grad = p.indices.map { Float(($0 == target ? 1 : 0) - p[$0]) }
        return (Float(z[target] - naiveLogSumExp(z)), grad)
    }

    /// Naive reference of ``probabilityGradient(logits:target:dLogits:count:)``.
    public static func probabilityGradientNaive(logits: [Float], target: Int) -> (value: Float, gradient: [Float]) {
        let p = naiveSoftmax(logits.map(Double.init))
        let grad = p.indices.map { Float(p[target] * (($0 == target ? 1 : 0) - p[$0])) }
        return (Float(p[target]), grad)
    }

    /// Naive reference of ``klDivergenceGradient(logits:referenceLogProbs:dLogits:count:)``.
    public static func klDivergenceGradientNaive(logits: [Float], referenceLogProbs: [Float]) -> (value: Float, gradient: [Float]) {
        precondition(logits.count == referenceLogProbs.count, "\(logits.count) logits vs \(referenceLogProbs.count) reference log-probabilities")
        let z = logits.map(Double.init)
        let lse = naiveLogSumExp(z)
        let l = z.map { $0 - lse }
        var kl = 0.0
        for i in z.indices { kl += Foundation.exp(l[i]) * (l[i] - Double(referenceLogProbs[i])) }
        let grad = z.indices.map { Float(Foundation.exp(l[$0]) * (l[$0] - Double(referenceLogProbs[$0]) - kl)) }
        return (Float(kl), grad)
    }

    static func naiveLogSumExp(_ z: [Double]) -> Double {
        let m = z.max() ?? 0
        return m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) })
    }

    static func naiveSoftmax(_ z: [Double]) -> [Double] {
        let lse = naiveLogSumExp(z)
        return z.map { Foundation.exp($0 - lse) }
    }
}
