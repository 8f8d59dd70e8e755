import LocateCore

/// Rows that enter a kept run at its last position, at a site of a block: each row replaces that
/// position's value there and runs through the rest of the model.
public struct EnteringRows: Sendable {
    /// Where the rows enter block `block`.
    public enum Site: Sendable, Equatable {
        /// The block's input (`blocks.{block}.hook_resid_pre`): values [R, D].
        case input
        /// The MLP's activation (`blocks.{block}.mlp.hook_post`): values [R, F]; the rest of the
        /// block (the output projection, the residual stream) as in the kept run.
        case mlpPost
        /// The MLP's gate pre-activation (`blocks.{block}.mlp.hook_pre`): values [R, F]; the up
        /// projection (`hook_pre_linear`) stays the kept run's.
        case mlpPre
    }
    /// The block entered (`layerCount` with `.input`: straight to the final norm).
    public var block: Int
    public var site: Site
    /// [R, D] at the input, [R, F] at an MLP site.
    public var values: [Float]

    public init(block: Int, site: Site = .input, values: [Float]) { self.block = block; self.site = site; self.values = values }

    /// The hook the rows replace.
    public var hook: HookPoint {
        switch site {
        case .input: .residPre(block)
        case .mlpPost: .mlpPost(block)
        case .mlpPre: .mlpPre(block)
        }
    }
}

/// What is differentiated at the output of each entering row: its score of one token.
public enum RowObjective: Sendable, Equatable {
    case probability(token: Int)
    case logProbability(token: Int)

    var token: Int {
        switch self { case .probability(let t), .logProbability(let t): t }
    }
}

/// Per entry: the objective of each row and its gradient with respect to the entry's residuals.
public struct EnteringRowsGradients: Sendable {
    /// Per entry, [R]: the objective of each row.
    public let values: [[Float]]
    /// Per entry, [R, W]: ∂objective_r/∂(entered values_r), W the width of the entry's site.
    public let gradients: [[Float]]
}

extension Transformer {
    /// Forward and backward passes of rows that differ from a kept run only at its last position
    /// q = T−1, entering at different blocks: a staircase. Every row attends to the kept run's
    /// keys and values at positions < q (unchanged, since nothing earlier depends on position q)
    /// and its own at q.
    ///
    /// Entries run together: at block j every row that entered at or below j is in one matrix
    /// product per weight, so many small resumed runs become a few large products. The result
    /// equals `gradient(…, at: [.residPost(block − 1)], options: resume at (block, q))` for each
    /// entry on its own.
    ///
    /// Legend: R rows of one entry, N rows active at a block, D width, V vocabulary.
    public func enteringRowsGradients(kept state: RunState, entries: [EnteringRows],
                                      objective: RowObjective) throws(ModelError) -> EnteringRowsGradients {
        let L = layerCount, D = config.embeddingLength, F = config.feedForwardLength
        guard state.batch == 1 else { throw .keptRunRows(state.batch) }
        guard state.keys.count == L, state.residual.count == L + 1 else { throw .keptStateMissing }
        guard objective.token >= 0, objective.token < config.vocabSize else { throw .tokenOutOfRange(id: objective.token, vocabulary: config.vocabSize) }
        for e in entries {
            let lastBlock = e.site == .input ? L : L - 1
            guard e.block >= 0, e.block <= lastBlock else { throw .layerOutOfRange(hook: e.hook.description, layer: e.block, layers: lastBlock + 1) }
            let width = e.site == .input ? D : F
            guard e.values.count % width == 0, !e.values.isEmpty else {
                throw .interventionShape(hook: e.hook.description, expected: "[rows, \(width)]", got: [e.values.count])
            }
        }
        // Rows entering at an MLP site finish their block here and enter the next one's input.
        let tails = try entries.map { e throws(ModelError) in e.site == .input ? nil : try mlpTail(kept: state, entry: e) }
        let inputs = entries.indices.map { i in tails[i].map { EnteringRows(block: entries[i].block + 1, values: $0.output) } ?? entries[i] }
        let atInputs = try inputGradients(kept: state, entries: inputs, objective: objective)
        return EnteringRowsGradients(values: atInputs.values, gradients: entries.indices.map { i in
            tails[i].map { mlpTailBackward($0, entry: entries[i], dOutput: atInputs.gradients[i]) } ?? atInputs.gradients[i]
        })
    }

    /// The staircase of `enteringRowsGradients` for rows that all enter at a block's input.
    private func inputGradients(kept state: RunState, entries: [EnteringRows], objective: RowObjective) throws(ModelError) -> EnteringRowsGradients {
        let L = layerCount, D = config.embeddingLength
        // Rows in order of entry block: the rows active at block j are a prefix.
        let order = entries.indices.sorted { entries[$0].block < entries[$1].block }
        var offsets = [Int](repeating: 0, count: entries.count)   // first row of each entry
        var total = 0
        for i in order { offsets[i] = total; total += entries[i].values.count / D }
        guard total > 0 else { return EnteringRowsGradients(values: [], gradients: []) }
        let x = Buffer(total * D)                                   // [Rtot, D]
        for i in order { entries[i].values.withPointer { (x.pointer + offsets[i] * D).update(from: $0, count: entries[i].values.count) } }
        func active(at block: Int) -> Int {                         // rows that entered at or below `block`
            order.reduce(0) { $0 + (entries[$1].block <= block ? entries[$1].values.count / D : 0) }
        }
        let q = state.positions - 1
        let first = entries.map(\.block).min() ?? L
        let scratch = BlockScratch(rows: total, config: ModelConfigShape(self))
        var attention = LastQueryAttention(model: self, kept: state, position: q)
        var sites = NoSites()
        var tapes: [Int: BlockTape] = [:]
        for j in first..<L {
            let n = active(at: j)
            let tape = BlockTape(keepsWeightInputs: false)
            tapes[j] = tape
            _ = try TransformerBlock(model: self, layer: j)
                .forward(x, layout: RowLayout(model: self, sequences: n, firstPosition: q, length: 1), scratch: scratch,
                         attention: &attention, sites: &sites, tape: tape)
        }

        // Final norm, logits, the objective and its gradient at the output, in blocks of rows.
        let finalStats = Buffer(total), h = scratch.h
        finalNormalize(x.pointer, rows: total, into: h.pointer, stats: finalStats.pointer)
        let dh = Buffer(total * D)
        var values = [Float](repeating: 0, count: total)
        let probability: Bool = { if case .probability = objective { return true } else { return false } }()
        forEachLogitsBlock(h.pointer, rows: total, block: 128) { logits, first, m in
            let rowValues = ObjectiveRows.gradientInPlace(logits, rows: m, width: config.vocabSize, target: objective.token, probability: probability)
            for r in 0..<m { values[first + r] = rowValues[r] }
            unembedBackward(logits, rows: m, into: dh.pointer + first * D)
        }
        let dx = Buffer(total * D)
        finalNormalizeBackward(x.pointer, stats: finalStats.pointer, dh: dh.pointer, rows: total, into: dx.pointer)
        let gradients = BlockGradientScratch(rows: total, config: ModelConfigShape(self))
        for j in stride(from: L - 1, through: first, by: -1) {
            let n = active(at: j)
            try TransformerBlock(model: self, layer: j)
                .backward(dx, layout: RowLayout(model: self, sequences: n, firstPosition: q, length: 1), tape: tapes.removeValue(forKey: j)!,
                          gradients: gradients, attention: &attention, sites: &sites, weights: nil)
        }

        return EnteringRowsGradients(
            values: entries.indices.map { i in Array(values[offsets[i]..<(offsets[i] + entries[i].values.count / D)]) },
            gradients: entries.indices.map { i in Array(UnsafeBufferPointer(start: dx.pointer + offsets[i] * D, count: entries[i].values.count)) })
    }
}

/// What the rows entering at an MLP site of block l need of the kept run there, and their
/// block outputs.
struct MLPTail {
    let up: [Float]          // [F]     the kept run's up projection at q
    let output: [Float]      // [R, D]  mid + W_out · post, per row
}

extension Transformer {
    /// Runs the kept run's last position through block l up to its MLP (for mid and the up
    /// projection), then the entering rows through the rest of the block.
    func mlpTail(kept state: RunState, entry e: EnteringRows) throws(ModelError) -> MLPTail {
        let D = config.embeddingLength, F = config.feedForwardLength, q = state.positions - 1, R = e.values.count / F
        let block = TransformerBlock(model: self, layer: e.block)
        // the kept row at q through block l, stopped after the up projection: x = mid, up in scratch
        let x = Buffer(copying: Array(state.residual[e.block][(q * D)..<((q + 1) * D)]))
        let one = BlockScratch(rows: 1, config: ModelConfigShape(self))
        var attention = LastQueryAttention(model: self, kept: state, position: q)
        var stop = StopSites(site: .mlpPreLinear)
        _ = try block.forward(x, layout: RowLayout(model: self, sequences: 1, firstPosition: q, length: 1), scratch: one,
                              attention: &attention, sites: &stop, tape: nil)
        let up = one.up.array
        let rows = BlockScratch(rows: R, config: ModelConfigShape(self))
        e.values.withPointer { v in
            switch e.site {
            case .mlpPost: rows.post.pointer.update(from: v, count: R * F)
            case .mlpPre:
                for r in 0..<R { (rows.up.pointer + r * F).update(from: one.up.pointer, count: F) }
                architecture.activate(gate: v, up: rows.up.pointer, rows.post.pointer, count: R * F)
            case .input: break
            }
        }
        let output = Buffer(R * D)
        for r in 0..<R { (output.pointer + r * D).update(from: x.pointer, count: D) }
        block.mlpOutput(rows.post, rows: R, into: rows.out)
        Vector.add(rows.out.pointer, into: output.pointer, count: R * D)
        return MLPTail(up: up, output: output.array)
    }

    /// ∂J/∂(entered values) from ∂J/∂(block output) [R, D] of rows that entered at an MLP site.
    func mlpTailBackward(_ tail: MLPTail, entry e: EnteringRows, dOutput: [Float]) -> [Float] {
        let F = config.feedForwardLength, R = e.values.count / F
        let block = TransformerBlock(model: self, layer: e.block)
        let dPost = Buffer(R * F)
        dOutput.withPointer { block.mlpOutputBackward($0, rows: R, into: dPost) }
        guard e.site == .mlpPre else { return dPost.array }
        let up = Buffer(R * F), dGate = Buffer(R * F), dUp = Buffer(R * F)
        tail.up.withPointer { u in for r in 0..<R { (up.pointer + r * F).update(from: u, count: F) } }
        e.values.withPointer { architecture.activateBackward(gate: $0, up: up.pointer, dPost: dPost.pointer, dGate: dGate.pointer, dUp: dUp.pointer, count: R * F) }
        return dGate.array
    }
}

/// Sites that stop the forward pass right after one site of every block.
struct StopSites: BlockSites {
    let site: HookPoint.Site
    @inline(__always) func isActive(_ site: HookPoint.Site, layer: Int) -> Bool { site == self.site }
    mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool { true }
}
