import LocateCore

/// The reverse of `ForwardPass`: from ∂J/∂logits down to the lowest block the gradients asked
/// for need, through `TransformerBlock.backward` with full-cache attention, transposing
/// interventions at each hook and collecting the gradients asked for. N = B·Tq rows.
struct BackwardPass {
    let model: Transformer
    let plan: ForwardPlan
    let tape: Tape
    let wantedWeights: Set<WeightRef>
    var sites: GradientSites
    let weights: WeightGradients

    init(model: Transformer, plan: ForwardPlan, options: RunOptions, tape: Tape, hooks: Set<HookPoint>, weights: Set<WeightRef>) {
        self.model = model; self.plan = plan; self.tape = tape; wantedWeights = weights
        sites = GradientSites(model: model, plan: plan, wanted: hooks, hooks: HookExecutor(options: options, sequenceLength: plan.length))
        self.weights = WeightGradients(weights, config: ModelConfigShape(model))
    }

    var gradients: ActivationCache { sites.gradients }

    func weightGradients() -> [WeightRef: Tensor] {
        let c = model.config
        var out: [WeightRef: Tensor] = [:]
        for (w, buffer) in weights.buffers {
            let shape: [Int]
            switch w {
            case .mlpOut: shape = [c.embeddingLength, c.feedForwardLength]
            case .mlpIn, .mlpGate: shape = [c.feedForwardLength, c.embeddingLength]
            case .attnQ: shape = [c.headCount * c.headDim, c.embeddingLength]
            case .attnK, .attnV: shape = [c.headCountKV * c.headDim, c.embeddingLength]
            case .attnO: shape = [c.embeddingLength, c.headCount * c.headDim]
            }
            out[w] = Tensor(shape: shape, data: buffer.array)
        }
        return out
    }

    mutating func execute(dLogits: Buffer, logitPositions: [Int]) throws(ModelError) {
        let c = model.config
        let (B, T, Tq, p0) = (plan.batch, plan.length, plan.queries, plan.startPosition)
        let N = B * Tq, D = c.embeddingLength, P = logitPositions.count
        let layout = RowLayout(model: model, sequences: B, firstPosition: p0, length: Tq)
        let dx = Buffer(N * D), dh = Buffer(N * D)
        let gradients = BlockGradientScratch(rows: N, config: ModelConfigShape(model))
        var attention = CacheAttention(model: model, batch: B, length: T, firstPosition: p0, state: nil, keepState: false)

        // Logits → final normalized rows → final norm input.
        try sites.visit(.logits, dLogits, positions: logitPositions)
        let dRows = Buffer(B * P * D)
        model.unembedBackward(dLogits.pointer, rows: B * P, into: dRows.pointer)
        for b in 0..<B { for (j, p) in logitPositions.enumerated() {
            Vector.add(dRows.pointer + (b * P + j) * D, into: dh.pointer + (b * Tq + p - p0) * D, count: D)
        } }
        try sites.visit(.finalNormalized, dh)
        model.finalNormalizeBackward(tape.finalInput!.pointer, stats: tape.finalStats!.pointer, dh: dh.pointer, rows: N, into: dx.pointer)

        for l in (lowestLayer..<model.layerCount).reversed() {
            try TransformerBlock(model: model, layer: l)
                .backward(dx, layout: layout, tape: tape.blocks[l - plan.startLayer]!, gradients: gradients, attention: &attention,
                          sites: &sites, weights: wantedWeights.isEmpty ? nil : weights)
        }
        if lowestLayer == 0 { try sites.visit(.embed, dx) }
    }

    /// The lowest layer the gradient must reach: nothing below the lowest requested hook or weight
    /// (or the resume layer) is walked.
    var lowestLayer: Int {
        BackwardPass.lowestLayer(hooks: sites.wanted, weights: wantedWeights, startLayer: plan.startLayer, layers: model.layerCount)
    }

    static func lowestLayer(hooks: Set<HookPoint>, weights: Set<WeightRef>, startLayer: Int, layers: Int) -> Int {
        let needed = hooks.map { hook -> Int in
            if let l = hook.layer { return l }
            return hook == .embed ? startLayer : layers
        } + weights.map(\.layer)
        return max(startLayer, needed.min() ?? layers)
    }
}
