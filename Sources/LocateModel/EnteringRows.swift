import LocateCore

/// Rows that enter a kept run's residual stream at its last position, at the input of a block:
/// each row replaces that position's state there and runs through the blocks above.
public struct EnteringRows: Sendable {
    /// The first block the rows run through (`layerCount`: straight to the final norm).
    public var block: Int
    /// [R, D]
    public var residuals: [Float]
    public init(block: Int, residuals: [Float]) { self.block = block; self.residuals = residuals }
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
    /// Per entry, [R, D]: ∂value_r/∂residual_r.
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
        let L = layerCount, D = config.embeddingLength
        guard state.batch == 1 else { throw .keptRunRows(state.batch) }
        guard state.keys.count == L, state.residual.count == L + 1 else { throw .keptStateMissing }
        guard objective.token >= 0, objective.token < config.vocabSize else { throw .tokenOutOfRange(id: objective.token, vocabulary: config.vocabSize) }
        for e in entries {
            guard e.block >= 0, e.block <= L else { throw .layerOutOfRange(hook: "entering rows (block)", layer: e.block, layers: L + 1) }
            guard e.residuals.count % D == 0, !e.residuals.isEmpty else {
                throw .interventionShape(hook: "blocks.\(e.block).hook_resid_pre", expected: "[rows, \(D)]", got: [e.residuals.count])
            }
        }
        // Rows in order of entry block: the rows active at block j are a prefix.
        let order = entries.indices.sorted { entries[$0].block < entries[$1].block }
        var offsets = [Int](repeating: 0, count: entries.count)   // first row of each entry
        var total = 0
        for i in order { offsets[i] = total; total += entries[i].residuals.count / D }
        guard total > 0 else { return EnteringRowsGradients(values: [], gradients: []) }
        let x = Buffer(total * D)                                   // [Rtot, D]
        for i in order { entries[i].residuals.withPointer { (x.pointer + offsets[i] * D).update(from: $0, count: entries[i].residuals.count) } }
        func active(at block: Int) -> Int {                         // rows that entered at or below `block`
            order.reduce(0) { $0 + (entries[$1].block <= block ? entries[$1].residuals.count / D : 0) }
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
            values: entries.indices.map { i in Array(values[offsets[i]..<(offsets[i] + entries[i].residuals.count / D)]) },
            gradients: entries.indices.map { i in Array(UnsafeBufferPointer(start: dx.pointer + offsets[i] * D, count: entries[i].residuals.count)) })
    }
}
