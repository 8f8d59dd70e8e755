import LocateCore

/// The reverse of `ForwardPass`: walks the layers from the logits down to the resume layer,
/// carrying ∂J/∂(residual stream), transposing interventions at each hook and collecting the
/// gradients asked for. N = B·Tq rows of computed positions.
struct BackwardPass {
    let model: Transformer
    let plan: ForwardPlan
    let tape: Tape
    let wanted: Set<HookPoint>
    let wantedWeights: Set<WeightRef>
    let hooks: HookExecutor
    var gradients = ActivationCache()
    var weightBuffers: [WeightRef: Buffer] = [:]

    let dx: Buffer      // [N, D]  ∂J/∂(residual stream)
    let dOut: Buffer    // [N, D]  ∂J/∂(attention or MLP output)
    let dh: Buffer      // [N, D]  ∂J/∂(normalized input)
    let dPost: Buffer   // [N, F]
    let dGate: Buffer   // [N, F]
    let dUp: Buffer     // [N, F]
    let dz: Buffer      // [N, H·Dh]
    let dq: Buffer      // [N, H·Dh]
    let dkAll: Buffer   // [B, T, Hkv·Dh]
    let dvAll: Buffer   // [B, T, Hkv·Dh]
    let dkNew: Buffer   // [N, Hkv·Dh]
    let dvNew: Buffer   // [N, Hkv·Dh]
    let dScores: Buffer // [B, H, Tq, T]

    init(model: Transformer, plan: ForwardPlan, options: RunOptions, tape: Tape, hooks: Set<HookPoint>, weights: Set<WeightRef>) {
        self.model = model; self.plan = plan; self.tape = tape; wanted = hooks; wantedWeights = weights
        self.hooks = HookExecutor(options: options, sequenceLength: plan.length)
        let c = model.config
        let n = plan.batch * plan.queries, kv = c.headCountKV * c.headDim, qw = c.headCount * c.headDim
        dx = Buffer(n * c.embeddingLength); dOut = Buffer(n * c.embeddingLength); dh = Buffer(n * c.embeddingLength)
        dPost = Buffer(n * c.feedForwardLength); dGate = Buffer(n * c.feedForwardLength); dUp = Buffer(n * c.feedForwardLength)
        dz = Buffer(n * qw); dq = Buffer(n * qw)
        dkAll = Buffer(plan.batch * plan.length * kv); dvAll = Buffer(plan.batch * plan.length * kv)
        dkNew = Buffer(n * kv); dvNew = Buffer(n * kv)
        dScores = Buffer(plan.batch * c.headCount * plan.queries * plan.length)
        for w in weights {
            let count: Int
            switch w {
            case .mlpOut, .mlpIn, .mlpGate: count = c.embeddingLength * c.feedForwardLength
            case .attnQ, .attnO: count = c.embeddingLength * qw
            case .attnK, .attnV: count = c.embeddingLength * kv
            }
            weightBuffers[w] = Buffer(count)
        }
    }

    func weightGradients() -> [WeightRef: Tensor] {
        let c = model.config
        var out: [WeightRef: Tensor] = [:]
        for (w, buffer) in weightBuffers {
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

    /// At a hook, going backward: record ∂J/∂(value after interventions) if asked, then carry it
    /// through the interventions.
    private mutating func visit(_ hook: HookPoint, _ buffer: Buffer, positions: [Int]? = nil) throws(ModelError) {
        let record = wanted.contains(hook)
        guard record || hooks.hasInterventions(at: hook) else { return }
        let view = SiteView.make(model: model, plan: plan, pointer: buffer.pointer, site: hook.site, positions: positions)
        if record { gradients.set(hook, view.snapshot(), positions: view.positions) }
        try hooks.transposeInterventions(at: hook, view)
    }

    private func weightGradient(_ ref: WeightRef, dy: Buffer, x: [Float], m: Int, n: Int, k: Int) {
        guard let buffer = weightBuffers[ref] else { return }
        x.withPointer { Matmul.linearBackwardWeight(dy.pointer, $0, buffer.pointer, m: m, n: n, k: k, accumulate: true) }
    }

    mutating func execute(dLogits: Buffer, logitPositions: [Int]) throws(ModelError) {
        let c = model.config
        let (B, T, Tq, p0) = (plan.batch, plan.length, plan.queries, plan.startPosition)
        let N = B * Tq, D = c.embeddingLength, F = c.feedForwardLength, V = c.vocabSize
        let H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim, kvWidth = Hkv * Dh, qWidth = H * Dh
        let P = logitPositions.count
        let attention = AttentionShape(batch: B, queries: Tq, firstPosition: p0, capacity: T, heads: H, kvHeads: Hkv, headDim: Dh)
        let (cos, sin) = model.rope.tables(start: p0, count: Tq)

        // Logits → final normalized rows.
        try visit(.logits, dLogits, positions: logitPositions)
        let dRows = Buffer(B * P * D)
        model.weights.output.withPointer { Matmul.linearBackwardInput(dLogits.pointer, $0, dRows.pointer, m: B * P, n: V, k: D) }
        dh.pointer.update(repeating: 0, count: N * D)
        for b in 0..<B { for (j, p) in logitPositions.enumerated() {
            Vector.add(dRows.pointer + (b * P + j) * D, into: dh.pointer + (b * Tq + p - p0) * D, count: D)
        } }
        try visit(.finalNormalized, dh)
        tape.finalInput.withPointer { x in tape.invRMSFinal.withPointer { inv in model.weights.finalNorm.withPointer { g in
            RMSNorm.backward(x, weight: g, invRMS: inv, dy: dh.pointer, dx: dx.pointer, rows: N, width: D, accumulate: false)
        } } }

        for l in (lowestLayer..<model.layerCount).reversed() {
            let t = tape.layers[l - plan.startLayer]
            let w = model.weights.layers[l]
            try visit(.residPost(l), dx)

            // MLP: x_post = x_mid + W_out · (silu(W_gate h2) · W_in h2), h2 = norm2(x_mid)
            dOut.pointer.update(from: dx.pointer, count: N * D)
            try visit(.mlpOut(l), dOut)
            w.down.withPointer { Matmul.linearBackwardInput(dOut.pointer, $0, dPost.pointer, m: N, n: D, k: F) }
            weightGradient(.mlpOut(l), dy: dOut, x: t.post, m: N, n: D, k: F)
            try visit(.mlpPost(l), dPost)
            t.gate.withPointer { g in t.up.withPointer { u in
                SwiGLU.backward(gate: g, up: u, dPost: dPost.pointer, dGate: dGate.pointer, dUp: dUp.pointer, count: N * F)
            } }
            try visit(.mlpPreLinear(l), dUp)
            try visit(.mlpPre(l), dGate)
            w.gate.withPointer { Matmul.linearBackwardInput(dGate.pointer, $0, dh.pointer, m: N, n: F, k: D) }
            w.up.withPointer { Matmul.linearBackwardInput(dUp.pointer, $0, dh.pointer, m: N, n: F, k: D, accumulate: true) }
            weightGradient(.mlpGate(l), dy: dGate, x: t.h2, m: N, n: F, k: D)
            weightGradient(.mlpIn(l), dy: dUp, x: t.h2, m: N, n: F, k: D)
            try visit(.ln2Normalized(l), dh)
            t.residMid.withPointer { x in t.invRMS2.withPointer { inv in w.ffnNorm.withPointer { g in
                RMSNorm.backward(x, weight: g, invRMS: inv, dy: dh.pointer, dx: dx.pointer, rows: N, width: D, accumulate: true)
            } } }
            try visit(.residMid(l), dx)

            // Attention: x_mid = x_pre + W_O · attn(rope(W_Q h1), rope(W_K h1), W_V h1), h1 = norm1(x_pre)
            dOut.pointer.update(from: dx.pointer, count: N * D)
            try visit(.attnOut(l), dOut)
            w.o.withPointer { Matmul.linearBackwardInput(dOut.pointer, $0, dz.pointer, m: N, n: D, k: qWidth) }
            weightGradient(.attnO(l), dy: dOut, x: t.z, m: N, n: D, k: qWidth)
            try visit(.attnZ(l), dz)
            dkAll.pointer.update(repeating: 0, count: dkAll.count)
            dvAll.pointer.update(repeating: 0, count: dvAll.count)
            t.pattern.withPointer { pattern in t.vAll.withPointer { v in
                Attention.mixBackward(pattern: pattern, v: v, dz: dz.pointer, dPattern: dScores.pointer, dv: dvAll.pointer, shape: attention)
            } }
            try visit(.attnPattern(l), dScores)
            t.pattern.withPointer { Attention.softmaxBackward(pattern: $0, dPattern: dScores.pointer, dScores: dScores.pointer, shape: attention) }
            try visit(.attnScores(l), dScores)
            t.q.withPointer { q in t.kAll.withPointer { k in
                Attention.scoresBackward(q: q, k: k, dScores: dScores.pointer, dq: dq.pointer, dk: dkAll.pointer, shape: attention)
            } }
            for b in 0..<B {   // keys and values of computed positions; earlier ones belong to the cached run
                dkNew.pointer.advanced(by: b * Tq * kvWidth).update(from: dkAll.pointer + (b * T + p0) * kvWidth, count: Tq * kvWidth)
                dvNew.pointer.advanced(by: b * Tq * kvWidth).update(from: dvAll.pointer + (b * T + p0) * kvWidth, count: Tq * kvWidth)
            }
            try visit(.attnV(l), dvNew)
            try visit(.attnK(l), dkNew)
            try visit(.attnQ(l), dq)
            model.rope.apply(dq.pointer, batch: B, positions: Tq, heads: H, cos: cos, sin: sin, inverse: true)
            model.rope.apply(dkNew.pointer, batch: B, positions: Tq, heads: Hkv, cos: cos, sin: sin, inverse: true)
            w.q.withPointer { Matmul.linearBackwardInput(dq.pointer, $0, dh.pointer, m: N, n: qWidth, k: D) }
            w.k.withPointer { Matmul.linearBackwardInput(dkNew.pointer, $0, dh.pointer, m: N, n: kvWidth, k: D, accumulate: true) }
            w.v.withPointer { Matmul.linearBackwardInput(dvNew.pointer, $0, dh.pointer, m: N, n: kvWidth, k: D, accumulate: true) }
            weightGradient(.attnQ(l), dy: dq, x: t.h1, m: N, n: qWidth, k: D)
            weightGradient(.attnK(l), dy: dkNew, x: t.h1, m: N, n: kvWidth, k: D)
            weightGradient(.attnV(l), dy: dvNew, x: t.h1, m: N, n: kvWidth, k: D)
            try visit(.ln1Normalized(l), dh)
            t.residPre.withPointer { x in t.invRMS1.withPointer { inv in w.attnNorm.withPointer { g in
                RMSNorm.backward(x, weight: g, invRMS: inv, dy: dh.pointer, dx: dx.pointer, rows: N, width: D, accumulate: true)
            } } }
            try visit(.residPre(l), dx)
        }
        if lowestLayer == 0 { try visit(.embed, dx) }
    }

    /// The lowest layer the gradient must reach: nothing below the lowest requested hook or weight
    /// (or the resume layer) is walked.
    var lowestLayer: Int {
        BackwardPass.lowestLayer(hooks: wanted, weights: wantedWeights, startLayer: plan.startLayer, layers: model.layerCount)
    }

    static func lowestLayer(hooks: Set<HookPoint>, weights: Set<WeightRef>, startLayer: Int, layers: Int) -> Int {
        let needed = hooks.map { hook -> Int in
            if let l = hook.layer { return l }
            return hook == .embed ? startLayer : layers
        } + weights.map(\.layer)
        return max(startLayer, needed.min() ?? layers)
    }
}
