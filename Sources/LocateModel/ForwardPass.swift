import LocateCore

/// A run with hooks: embeddings (or the resumed state), the blocks through `TransformerBlock`
/// with full-cache attention, the final norm and the logits asked for. Buffers are sized once
/// from (B, Tq, T); keys/values and residuals are kept when asked.
struct ForwardPass {
    let model: Transformer
    let plan: ForwardPlan
    let options: RunOptions
    var sites: HookSites

    /// Set when gradients will be taken: the forward keeps what each operation consumed.
    var tape: Tape? = nil
    /// Blocks below this keep no tape (the backward pass will not reach them).
    var tapeFromLayer = 0

    init(model: Transformer, plan: ForwardPlan, options: RunOptions) {
        self.model = model; self.plan = plan; self.options = options
        sites = HookSites(model: model, plan: plan, options: options)
    }

    mutating func execute() throws(ModelError) -> RunResult {
        let c = model.config, L = model.layerCount
        let (B, T, Tq, p0) = (plan.batch, plan.length, plan.queries, plan.startPosition)
        let N = B * Tq, D = c.embeddingLength
        let layout = RowLayout(model: model, sequences: B, firstPosition: p0, length: Tq)
        let x = Buffer(N * D)                           // [N, D] residual stream
        let scratch = BlockScratch(rows: N, config: ModelConfigShape(model))
        var attention = CacheAttention(model: model, batch: B, length: T, firstPosition: p0, state: plan.state, keepState: options.keepState)
        let keep = options.keepState
        var keptResidual: [[Float]] = []
        var stopped: Bool

        if plan.startLayer == 0 {
            embed(into: x)
            stopped = try sites.visit(.embed, x)
        } else {
            copyPositions(from: plan.state!.residual[plan.startLayer], sourceBatch: plan.state!.batch, sourceLength: plan.state!.positions,
                          into: x.pointer, length: Tq, range: p0..<T, at: 0, width: D)
            // The resumed run's input is the previous block's output: its hook runs first.
            stopped = try sites.visit(.residPost(plan.startLayer - 1), x)
        }
        if keep {
            for l in 0..<plan.startLayer {
                keptResidual.append(expand(plan.state!.residual[l]))
                attention.keptKeys.append(expand(plan.state!.keys[l]))
                attention.keptValues.append(expand(plan.state!.values[l]))
            }
        }

        for l in plan.startLayer..<L where !stopped {
            var blockTape: BlockTape? = nil
            if let tape {
                if l >= tapeFromLayer { blockTape = BlockTape(keepsWeightInputs: tape.keepsWeightInputs) }
                tape.blocks.append(blockTape)
            }
            if keep { keptResidual.append(merged(plan.state?.residual[l], x, width: D)) }
            stopped = try TransformerBlock(model: model, layer: l)
                .forward(x, layout: layout, scratch: scratch, attention: &attention, sites: &sites, tape: blockTape)
        }

        var logits: Tensor? = nil
        var logitPositions: [Int] = []
        if !stopped {
            if keep { keptResidual.append(merged(plan.state?.residual[L], x, width: D)) }
            tape?.finalInput = x.copy(count: N * D)
            let h = scratch.h
            model.finalNormalize(x.pointer, rows: N, into: h.pointer, stats: scratch.stats.pointer)
            tape?.finalStats = scratch.stats.copy(count: N)
            if try !sites.visit(.finalNormalized, h) {
                logitPositions = try resolveLogitPositions()
                if !logitPositions.isEmpty {
                    let P = logitPositions.count, V = c.vocabSize
                    let rows = Buffer(B * P * D)
                    for b in 0..<B { for (j, p) in logitPositions.enumerated() {
                        (rows.pointer + (b * P + j) * D).update(from: h.pointer + (b * Tq + p - p0) * D, count: D)
                    } }
                    let values = Buffer(B * P * V)
                    model.unembed(rows.pointer, rows: B * P, into: values.pointer)
                    _ = try sites.visit(.logits, values, positions: logitPositions)
                    logits = Tensor(shape: [B, P, V], data: values.array)
                }
            }
        }
        let complete = keep && attention.keptKeys.count == L && keptResidual.count == L + 1
        let state = complete ? RunState(tokens: plan.tokens, keys: attention.keptKeys, values: attention.keptValues, residual: keptResidual) : nil
        return RunResult(tokens: plan.tokens, logits: logits, logitPositions: logitPositions, cache: sites.hooks.cache, state: state)
    }

    /// Embeddings of the computed positions. When resuming, a position the kept run covers with
    /// the same token reuses that run's embedding output (its own interventions at hook_embed
    /// included), as higher layers reuse its residual stream; new positions (generation) are
    /// embedded from their tokens.
    private func embed(into x: Buffer) {
        let D = model.config.embeddingLength, Tq = plan.queries, p0 = plan.startPosition
        let state = plan.state
        model.weights.embedding.withPointer { e in
            for b in 0..<plan.batch { for i in 0..<Tq {
                let p = p0 + i, token = plan.tokens[b][p]
                let destination = x.pointer + (b * Tq + i) * D
                if let state, p < state.positions, state.tokens[b % state.batch][p] == token {
                    state.residual[0].withPointer { destination.update(from: $0 + ((b % state.batch) * state.positions + p) * D, count: D) }
                } else {
                    destination.update(from: e + token * D, count: D)
                }
            } }
        }
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
    private func expand(_ source: [Float]) -> [Float] {
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
