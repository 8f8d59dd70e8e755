import Foundation
import LocateCore

/// The gradient of an objective with respect to activations and weights.
public struct GradientResult: Sendable {
    /// The objective's value.
    public let value: Float
    /// The forward run (logits at the objective's positions; recordings asked for in the options).
    public let run: RunResult
    /// ∂J/∂(activation after the hook's interventions), shaped like a recording: [B, Tq, …].
    public let activations: ActivationCache
    /// ∂J/∂W in the weight's stored [out][in] order.
    public let weights: [WeightRef: Tensor]

    /// The gradient at a hook summed over batch rows and the given absolute positions: the
    /// gradient with respect to a vector added at those positions (shape: the trailing axes).
    public func addedVectorGradient(at hook: HookPoint, positions: [Int]) -> [Float]? {
        guard let entry = activations.entry(hook) else { return nil }
        let t = entry.tensor
        let rows = t.shape[0], p = entry.positions.count
        let width = t.count / max(1, rows * p)
        var out = [Float](repeating: 0, count: width)
        for b in 0..<rows {
            for pos in positions {
                guard let pi = entry.positions.firstIndex(of: pos) else { return nil }
                let base = (b * p + pi) * width
                for u in 0..<width { out[u] += t.data[base + u] }
            }
        }
        return out
    }
}

extension Transformer {
    /// Differentiates `objective` with respect to the activations at `hooks` and the `weights`,
    /// under the interventions of `options` (gradients at a hook are taken with respect to the
    /// value after its interventions, the value later layers see).
    ///
    /// With `options.resume`, only layers ≥ the resume layer and positions ≥ the resume position
    /// are computed forward and backward; the gradient at computed activations is exact, since
    /// nothing earlier depends on them. Weight gradients need every position (no resume position).
    public func gradient(tokens: [[Int]], objective: Objective, at hooks: [HookPoint], weights: [WeightRef] = [],
                         options: RunOptions = RunOptions()) throws(ModelError) -> GradientResult {
        guard !objective.terms.isEmpty else { throw .emptyObjective }
        var forwardOptions = options
        forwardOptions.logits = .at(objective.positions)
        forwardOptions.stopAfter = nil
        let plan = try ForwardPlan(model: self, tokens: tokens, options: forwardOptions)
        for hook in hooks {
            if let l = hook.layer, l >= layerCount { throw .layerOutOfRange(hook: hook.description, layer: l, layers: layerCount) }
            if let l = hook.layer, l < plan.startLayer { throw .invalidResume("\(hook) lies below the resume layer \(plan.startLayer)") }
        }
        for w in weights {
            guard w.layer < layerCount else { throw .layerOutOfRange(hook: w.description, layer: w.layer, layers: layerCount) }
            guard w.layer >= plan.startLayer, plan.startPosition == 0 else {
                throw .invalidResume("the gradient of \(w) needs every position and layer \(w.layer) computed; resume at position 0 and a layer ≤ \(w.layer)")
            }
        }
        for term in objective.terms {
            guard term.term.row >= 0, term.term.row < plan.batch else {
                throw .rowOutOfRange(hook: "objective", row: term.term.row, rows: plan.batch)
            }
            switch term.term {
            case .logProb(_, _, let token), .probability(_, _, let token):
                guard token >= 0, token < config.vocabSize else { throw .tokenOutOfRange(id: token, vocabulary: config.vocabSize) }
            case .kl: break
            }
            if case .kl(_, _, let ref) = term.term, ref.count != config.vocabSize {
                throw .klReferenceWidth(count: ref.count, vocabulary: config.vocabSize)
            }
        }
        var pass = ForwardPass(model: self, plan: plan, options: forwardOptions)
        pass.tape = Tape(keepsWeightInputs: !weights.isEmpty)
        pass.tapeFromLayer = BackwardPass.lowestLayer(hooks: Set(hooks), weights: Set(weights), startLayer: plan.startLayer, layers: layerCount)
        let run = try pass.execute()
        guard let logits = run.logits else { throw .emptyObjective }

        // J and ∂J/∂logits [B, P, V]
        let V = config.vocabSize, P = run.logitPositions.count
        let dLogits = Buffer(plan.batch * P * V)
        var value: Double = 0
        let termGradient = Buffer(V)
        for (weight, term) in objective.terms {
            let pi = run.logitPositions.firstIndex(of: term.position)!
            let offset = (term.row * P + pi) * V
            let termValue: Float = logits.data.withUnsafeBufferPointer { l in
                let row = l.baseAddress! + offset
                switch term {
                case .logProb(_, _, let token):
                    return LogSoftmax.logProbabilityGradient(logits: row, target: token, dLogits: termGradient.pointer, count: V)
                case .probability(_, _, let token):
                    return LogSoftmax.probabilityGradient(logits: row, target: token, dLogits: termGradient.pointer, count: V)
                case .kl(_, _, let reference):
                    return reference.withPointer { LogSoftmax.klDivergenceGradient(logits: row, referenceLogProbs: $0, dLogits: termGradient.pointer, count: V) }
                }
            }
            value += Double(weight) * Double(termValue)
            let g = dLogits.pointer + offset
            for i in 0..<V { g[i] += weight * termGradient.pointer[i] }
        }
        var backward = BackwardPass(model: self, plan: plan, options: forwardOptions, tape: pass.tape!, hooks: Set(hooks), weights: Set(weights))
        try backward.execute(dLogits: dLogits, logitPositions: run.logitPositions)
        return GradientResult(value: Float(value), run: run, activations: backward.gradients, weights: backward.weightGradients())
    }
}
