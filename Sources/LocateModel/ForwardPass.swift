import LocateCore

/// One execution of the layer loop: buffers sized once from (B, Tq, T), hooks visited at every
/// site, keys/values and residuals kept when asked.
struct ForwardPass {
    let model: Transformer
    let plan: ForwardPlan
    let options: RunOptions
    var hooks: HookExecutor

    // Shapes: N = B·Tq rows of new positions.
    let x: Buffer          // [N, D]    residual stream
    let h: Buffer          // [N, D]    normalized input of attention / MLP
    let q: Buffer          // [N, H·Dh]
    let kNew: Buffer       // [N, Hkv·Dh]
    let vNew: Buffer       // [N, Hkv·Dh]
    let kAll: Buffer       // [B, T, Hkv, Dh]  keys of every position
    let vAll: Buffer       // [B, T, Hkv, Dh]
    let scores: Buffer     // [B, H, Tq, T]
    let z: Buffer          // [N, H·Dh]
    let out: Buffer        // [N, D]    attention or MLP output
    let gate: Buffer       // [N, F]
    let up: Buffer         // [N, F]
    let post: Buffer       // [N, F]

    /// Set when gradients will be taken: the forward keeps what each operation consumed.
    var tape: Tape? = nil
    /// Layers below this keep no tape (the backward pass will not reach them).
    var tapeFromLayer = 0
    let invRMS: Buffer     // [N]

    var keptKeys: [[Float]] = []
    var keptValues: [[Float]] = []
    var keptResidual: [[Float]] = []

    init(model: Transformer, plan: ForwardPlan, options: RunOptions) {
        self.model = model; self.plan = plan; self.options = options
        hooks = HookExecutor(options: options, sequenceLength: plan.length)
        let c = model.config
        let n = plan.batch * plan.queries
        let kv = c.headCountKV * c.headDim
        x = Buffer(n * c.embeddingLength); h = Buffer(n * c.embeddingLength)
        q = Buffer(n * c.headCount * c.headDim); z = Buffer(n * c.headCount * c.headDim)
        kNew = Buffer(n * kv); vNew = Buffer(n * kv)
        kAll = Buffer(plan.batch * plan.length * kv); vAll = Buffer(plan.batch * plan.length * kv)
        scores = Buffer(plan.batch * c.headCount * plan.queries * plan.length)
        out = Buffer(n * c.embeddingLength)
        gate = Buffer(n * c.feedForwardLength); up = Buffer(n * c.feedForwardLength); post = Buffer(n * c.feedForwardLength)
        invRMS = Buffer(n)
    }

    private func view(_ buffer: Buffer, _ site: HookPoint.Site, positions: [Int]? = nil) -> SiteView {
        SiteView.make(model: model, plan: plan, pointer: buffer.pointer, site: site, positions: positions)
    }

    /// Visits a hook; returns true when the run should stop after it.
    private mutating func visit(_ hook: HookPoint, _ buffer: Buffer, positions: [Int]? = nil) throws(ModelError) -> Bool {
        if hooks.isActive(hook) { try hooks.visit(hook, view(buffer, hook.site, positions: positions)) }
        return options.stopAfter == hook
    }

    mutating func execute() throws(ModelError) -> RunResult {
        let c = model.config
        let (B, T, Tq, p0) = (plan.batch, plan.length, plan.queries, plan.startPosition)
        let N = B * Tq, D = c.embeddingLength, F = c.feedForwardLength
        let H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim
        let kvWidth = Hkv * Dh
        let attention = AttentionShape(batch: B, queries: Tq, firstPosition: p0, capacity: T, heads: H, kvHeads: Hkv, headDim: Dh)
        let (cos, sin) = model.rope.tables(start: p0, count: Tq)
        let keep = options.keepState
        var stopped = false

        if plan.startLayer == 0 {
            // Embeddings of the computed positions. When resuming, a position the kept run covers
            // with the same token reuses that run's embedding output (its own interventions at
            // hook_embed included), as higher layers reuse its residual stream; new positions
            // (generation) are embedded from their tokens.
            let state = plan.state
            model.weights.embedding.withPointer { e in
                for b in 0..<B { for i in 0..<Tq {
                    let p = p0 + i, token = plan.tokens[b][p]
                    let destination = x.pointer + (b * Tq + i) * D
                    if let state, p < state.positions, state.tokens[b % state.batch][p] == token {
                        state.residual[0].withPointer { destination.update(from: $0 + ((b % state.batch) * state.positions + p) * D, count: D) }
                    } else {
                        destination.update(from: e + token * D, count: D)
                    }
                } }
            }
            stopped = try visit(.embed, x)
        } else {
            copyPositions(from: plan.state!.residual[plan.startLayer], sourceBatch: plan.state!.batch, sourceLength: plan.state!.positions,
                          into: x.pointer, length: Tq, range: p0..<T, at: 0, width: D)
            // The resumed run's input is the previous block's output: its hook runs first.
            stopped = try visit(.residPost(plan.startLayer - 1), x)
        }
        if keep {
            for l in 0..<plan.startLayer {
                keptResidual.append(expand(plan.state!.residual[l], width: D))
                keptKeys.append(expand(plan.state!.keys[l], width: kvWidth))
                keptValues.append(expand(plan.state!.values[l], width: kvWidth))
            }
        }

        layers: for l in plan.startLayer..<model.layerCount where !stopped {
            let w = model.weights.layers[l]
            let layerTape = tape.map { _ in LayerTape() }
            if let layerTape { tape!.layers.append(layerTape) }
            let record = l >= tapeFromLayer ? layerTape : nil
            if keep { keptResidual.append(merged(plan.state?.residual[l], x, width: D)) }
            if try visit(.residPre(l), x) { stopped = true; break layers }
            record?.residPre = x.array

            w.attnNorm.withPointer { g in RMSNorm.forward(x.pointer, weight: g, eps: c.rmsNormEpsilon, h.pointer, rows: N, width: D, invRMS: invRMS.pointer) }
            record?.invRMS1 = invRMS.array
            if try visit(.ln1Normalized(l), h) { stopped = true; break layers }
            record?.h1 = h.array
            w.q.withPointer { Matmul.linear(h.pointer, $0, q.pointer, m: N, n: H * Dh, k: D) }
            w.k.withPointer { Matmul.linear(h.pointer, $0, kNew.pointer, m: N, n: kvWidth, k: D) }
            w.v.withPointer { Matmul.linear(h.pointer, $0, vNew.pointer, m: N, n: kvWidth, k: D) }
            model.rope.apply(q.pointer, batch: B, positions: Tq, heads: H, cos: cos, sin: sin)
            model.rope.apply(kNew.pointer, batch: B, positions: Tq, heads: Hkv, cos: cos, sin: sin)
            if try visit(.attnQ(l), q) { stopped = true; break layers }
            if try visit(.attnK(l), kNew) { stopped = true; break layers }
            if try visit(.attnV(l), vNew) { stopped = true; break layers }

            if let state = plan.state, p0 > 0 {
                copyPositions(from: state.keys[l], sourceBatch: state.batch, sourceLength: state.positions, into: kAll.pointer, length: T, range: 0..<p0, at: 0, width: kvWidth)
                copyPositions(from: state.values[l], sourceBatch: state.batch, sourceLength: state.positions, into: vAll.pointer, length: T, range: 0..<p0, at: 0, width: kvWidth)
            }
            for b in 0..<B {
                (kAll.pointer + (b * T + p0) * kvWidth).update(from: kNew.pointer + b * Tq * kvWidth, count: Tq * kvWidth)
                (vAll.pointer + (b * T + p0) * kvWidth).update(from: vNew.pointer + b * Tq * kvWidth, count: Tq * kvWidth)
            }
            if keep { keptKeys.append(kAll.array); keptValues.append(vAll.array) }
            if let record { record.q = q.array; record.kAll = kAll.array; record.vAll = vAll.array }

            Attention.scores(q: q.pointer, k: kAll.pointer, scores.pointer, shape: attention)
            if try visit(.attnScores(l), scores) { stopped = true; break layers }
            Attention.softmax(scores.pointer, shape: attention)
            if try visit(.attnPattern(l), scores) { stopped = true; break layers }
            record?.pattern = scores.array
            Attention.mix(pattern: scores.pointer, v: vAll.pointer, z.pointer, shape: attention)
            if try visit(.attnZ(l), z) { stopped = true; break layers }
            record?.z = z.array
            w.o.withPointer { Matmul.linear(z.pointer, $0, out.pointer, m: N, n: D, k: H * Dh) }
            if try visit(.attnOut(l), out) { stopped = true; break layers }
            Vector.add(out.pointer, into: x.pointer, count: N * D)
            if try visit(.residMid(l), x) { stopped = true; break layers }
            record?.residMid = x.array

            w.ffnNorm.withPointer { g in RMSNorm.forward(x.pointer, weight: g, eps: c.rmsNormEpsilon, h.pointer, rows: N, width: D, invRMS: invRMS.pointer) }
            record?.invRMS2 = invRMS.array
            if try visit(.ln2Normalized(l), h) { stopped = true; break layers }
            record?.h2 = h.array
            w.gate.withPointer { Matmul.linear(h.pointer, $0, gate.pointer, m: N, n: F, k: D) }
            if try visit(.mlpPre(l), gate) { stopped = true; break layers }
            w.up.withPointer { Matmul.linear(h.pointer, $0, up.pointer, m: N, n: F, k: D) }
            if try visit(.mlpPreLinear(l), up) { stopped = true; break layers }
            if let record { record.gate = gate.array; record.up = up.array }
            SwiGLU.forward(gate: gate.pointer, up: up.pointer, post.pointer, count: N * F)
            if try visit(.mlpPost(l), post) { stopped = true; break layers }
            record?.post = post.array
            w.down.withPointer { Matmul.linear(post.pointer, $0, out.pointer, m: N, n: D, k: F) }
            if try visit(.mlpOut(l), out) { stopped = true; break layers }
            Vector.add(out.pointer, into: x.pointer, count: N * D)
            if try visit(.residPost(l), x) { stopped = true; break layers }
        }

        var logits: Tensor? = nil
        var logitPositions: [Int] = []
        if !stopped {
            if keep { keptResidual.append(merged(plan.state?.residual[model.layerCount], x, width: D)) }
            tape?.finalInput = x.array
            model.weights.finalNorm.withPointer { g in RMSNorm.forward(x.pointer, weight: g, eps: c.rmsNormEpsilon, h.pointer, rows: N, width: D, invRMS: invRMS.pointer) }
            tape?.invRMSFinal = invRMS.array
            if try visit(.finalNormalized, h) { stopped = true }
            tape?.finalNormalized = h.array
            if !stopped {
                logitPositions = try resolveLogitPositions()
                if !logitPositions.isEmpty {
                    let P = logitPositions.count, V = c.vocabSize
                    let rows = Buffer(B * P * D)
                    for b in 0..<B { for (j, p) in logitPositions.enumerated() {
                        (rows.pointer + (b * P + j) * D).update(from: h.pointer + (b * Tq + p - p0) * D, count: D)
                    } }
                    let values = Buffer(B * P * V)
                    model.weights.output.withPointer { Matmul.linear(rows.pointer, $0, values.pointer, m: B * P, n: V, k: D) }
                    _ = try visit(.logits, values, positions: logitPositions)
                    logits = Tensor(shape: [B, P, V], data: values.array)
                }
            }
        }
        let state = keep && keptKeys.count == model.layerCount && keptResidual.count == model.layerCount + 1
            ? RunState(tokens: plan.tokens, keys: keptKeys, values: keptValues, residual: keptResidual) : nil
        return RunResult(tokens: plan.tokens, logits: logits, logitPositions: logitPositions, cache: hooks.cache, state: state)
    }

    private func resolveLogitPositions() throws(ModelError) -> [Int] {
        switch options.logits {
        case .none: return []
        case .last: return [plan.length - 1]
        case .all: return plan.positions
        case .at(let ps):
            for p in ps where p < plan.startPosition || p >= plan.length {
                throw .positionOutOfRange(hook: "logits", position: p, positions: plan.length)
            }
            return ps
        }
    }

    /// Copies positions `range` of every row from a [Bs, Ts, W] array into a [B, length, W]
    /// buffer starting at position row `at`; row b reads source row b mod Bs.
    private func copyPositions(from source: [Float], sourceBatch: Int, sourceLength: Int, into destination: UnsafeMutablePointer<Float>,
                               length: Int, range: Range<Int>, at start: Int, width: Int) {
        source.withPointer { s in
            for b in 0..<plan.batch {
                let sb = b % sourceBatch
                (destination + (b * length + start) * width).update(from: s + (sb * sourceLength + range.lowerBound) * width, count: range.count * width)
            }
        }
    }

    /// A state array [Bs, T, W] tiled to the run's batch (row b is cached row b mod Bs).
    private func expand(_ source: [Float], width: Int) -> [Float] {
        let sourceBatch = plan.state!.batch
        if sourceBatch == plan.batch { return source }
        return Array((0..<plan.batch / sourceBatch).map { _ in source }.joined())
    }

    /// [B, T, W]: positions before p0 from the cached run, the rest from the current buffer.
    private func merged(_ prefix: [Float]?, _ current: Buffer, width: Int) -> [Float] {
        let (B, T, Tq, p0) = (plan.batch, plan.length, plan.queries, plan.startPosition)
        let out = Buffer(B * T * width)
        if let prefix, p0 > 0 {
            copyPositions(from: prefix, sourceBatch: plan.state!.batch, sourceLength: plan.state!.positions, into: out.pointer, length: T, range: 0..<p0, at: 0, width: width)
        }
        for b in 0..<B {
            (out.pointer + (b * T + p0) * width).update(from: current.pointer + b * Tq * width, count: Tq * width)
        }
        return out.array
    }
}
