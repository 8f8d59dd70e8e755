/// Adam (Kingma & Ba) with optional decoupled weight decay (AdamW), as PyTorch's `torch.optim.Adam`
/// / `AdamW` compute it, for a flat parameter vector.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled weight decay (AdamW): parameters shrink by lr·decay each step.
    public var weightDecay: Float
    public private(set) var step = 0
    private var m: [Float] = []
    private var v: [Float] = []

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    /// One descent step on `parameters` given the gradient of the loss (to minimize).
    public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == gradient.count, "\(parameters.count) parameters, \(gradient.count) gradient values")
        if m.isEmpty { m = [Float](repeating: 0, count: parameters.count); v = m }
        step += 1
        let c1 = 1 - Float(Double(beta1).power(step)), c2 = 1 - Float(Double(beta2).power(step))
        for i in parameters.indices {
            if weightDecay != 0 { parameters[i] -= learningRate * weightDecay * parameters[i] }
            m[i] = beta1 * m[i] + (1 - beta1) * gradient[i]
            v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i]
            let mHat = m[i] / c1, vHat = v[i] / c2
            parameters[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
    }
}

/// Scales `x` back onto the L2 ball of `radius` when it lies outside (ROME and MEMIT clamp their
/// optimized vector this way after every step).
public func projectOntoBall(_ x: inout [Float], radius: Float) {
    let norm = x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    guard norm > Double(radius), norm > 0 else { return }
    let s = Float(Double(radius) / norm)
    for i in x.indices { x[i] *= s }
}

private extension Double {
    func power(_ n: Int) -> Double { var r = 1.0; for _ in 0..<n { r *= self }; return r }
}
