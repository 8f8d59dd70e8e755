import Foundation
import LocateCore
import LocateFormats

/// Rows that enter a clean run's residual stream at its last position, after a block.
public struct LastPositionEntry: Sendable {
    /// The rows are the output of this block (`blocks.{layer}.hook_resid_post`); −1 for the embeddings.
    public var layer: Int
    /// [R, D]
    public var residuals: [Float]
    public init(layer: Int, residuals: [Float]) { self.layer = layer; self.residuals = residuals }
}

/// Per entry: the objective of each row and its gradient with respect to the entry's residuals.
public struct LastPositionGradients: Sendable {
    /// Per entry, [R]: p(target) (or log p) of each row.
    public let values: [[Float]]
    /// Per entry, [R, D]: ∂value_r/∂residual_r.
    public let gradients: [[Float]]
}

extension Transformer {
    /// Forward and backward passes of rows that differ from a clean run only at its last
    /// position q = T−1, entering after different blocks: a "staircase" batch. Every row attends to
    /// the clean run's keys and values at positions < q (unchanged, since nothing earlier depends
    /// on position q) and its own at q.
    ///
    /// Entries are run together: at block j every row that entered below j is computed in one
    /// matrix product per weight, so many small resumed runs become a few large products. The
    /// result equals `gradient(…, at: [.residPost(layer)], options: resume at (layer+1, q))` for
    /// each entry on its own.
    ///
    /// Legend: R rows of one entry, N rows active at a block, D width, F MLP width, V vocabulary.
    public func lastPositionGradients(state: RunState, entries: [LastPositionEntry], target: Int,
                                      logProbability: Bool = false) throws(ModelError) -> LastPositionGradients {
        let c = config, L = layerCount, D = c.embeddingLength
        guard state.batch == 1 else { throw .invalidArgument("the clean run must have one row (it has \(state.batch))") }
        guard target >= 0, target < c.vocabSize else { throw .tokenOutOfRange(id: target, vocabulary: c.vocabSize) }
        for e in entries {
            guard e.layer >= -1, e.layer < L else { throw .layerOutOfRange(hook: "resid_post", layer: e.layer, layers: L) }
            guard e.residuals.count % D == 0, !e.residuals.isEmpty else {
                throw .interventionShape(hook: "blocks.\(e.layer).hook_resid_post", expected: "[rows, \(D)]", got: [e.residuals.count])
            }
        }
        // Rows in order of entry layer: the rows active at block j are a prefix.
        let order = entries.indices.sorted { entries[$0].layer < entries[$1].layer }
        var offsets = [Int](repeating: 0, count: entries.count)   // first row of each entry
        var total = 0
        for i in order { offsets[i] = total; total += entries[i].residuals.count / D }
        guard total > 0 else { return LastPositionGradients(values: [], gradients: []) }
        let x = Buffer(total * D)                                   // [Rtot, D]
        for i in order { entries[i].residuals.withPointer { (x.pointer + offsets[i] * D).update(from: $0, count: entries[i].residuals.count) } }
        func active(below block: Int) -> Int {                      // rows that entered below `block`
            var n = 0
            for i in order where entries[i].layer < block { n += entries[i].residuals.count / D }
            return n
        }
        let first = (entries.map(\.layer).min() ?? L - 1) + 1
        var pass = LastPositionPass(model: self, state: state, rows: total)
        for j in first..<L { pass.forward(block: j, x: x, rows: active(below: j)) }

        // logits, objective and its gradient at the output, in chunks of rows so the [rows, V]
        // logits stay a reused working set instead of one Rtot × V block
        let V = c.vocabSize, chunk = min(total, 128)
        let finalTape = pass.finalForward(x: x)
        let logits = Buffer(chunk * V)
        let dh = Buffer(total * D)
        var values = [Float](repeating: 0, count: total)
        for first in stride(from: 0, to: total, by: chunk) {
            let m = min(chunk, total - first)
            weights.output.withPointer { Matmul.linear(finalTape.normalized.pointer + first * D, $0, logits.pointer, m: m, n: V, k: D) }
            let rowValues = ObjectiveRows.gradientInPlace(logits.pointer, rows: m, width: V, target: target, probability: !logProbability)
            for r in 0..<m { values[first + r] = rowValues[r] }
            weights.output.withPointer { Matmul.linearBackwardInput(logits.pointer, $0, dh.pointer + first * D, m: m, n: V, k: D) }
        }
        let dx = Buffer(total * D)
        pass.finalBackward(tape: finalTape, x: x, dNormalized: dh, dx: dx)
        for j in stride(from: L - 1, through: first, by: -1) { pass.backward(block: j, dx: dx, rows: active(below: j)) }

        return LastPositionGradients(
            values: entries.indices.map { i in Array(values[offsets[i]..<(offsets[i] + entries[i].residuals.count / D)]) },
            gradients: entries.indices.map { i in Array(UnsafeBufferPointer(start: dx.pointer + offsets[i] * D, count: entries[i].residuals.count)) })
    }
}

/// The layer loop of `lastPositionGradients`: one position per row, a shared clean prefix.
struct LastPositionPass {
    let model: Transformer
    let state: RunState
    let q: Int                      // the position computed
    let shapeRows: Int              // Rtot
    let cos: [Float], sin: [Float]
    var tapes: [Int: BlockTape] = [:]

    /// What block j's backward needs, for its N active rows (no weight gradients are taken, so
    /// the normalized inputs and z are not kept).
    final class BlockTape {
        let input: Buffer, invRMS1: Buffer
        let query: Buffer, ownK: Buffer, ownV: Buffer, pattern: Buffer
        let mid: Buffer, invRMS2: Buffer, gate: Buffer, up: Buffer
        init(rows n: Int, c: ModelConfig, keys: Int) {
            let D = c.embeddingLength, F = c.feedForwardLength, HD = c.headCount * c.headDim, KV = c.headCountKV * c.headDim
            input = Buffer(n * D); invRMS1 = Buffer(n)
            query = Buffer(n * HD); ownK = Buffer(n * KV); ownV = Buffer(n * KV)
            pattern = Buffer(n * c.headCount * keys)
            mid = Buffer(n * D); invRMS2 = Buffer(n); gate = Buffer(n * F); up = Buffer(n * F)
        }
    }

    /// Working buffers sized for every row, reused by each block forward and backward.
    final class Scratch {
        let h: Buffer, z: Buffer, post: Buffer                       // forward
        let dPost: Buffer, dGate: Buffer, dUp: Buffer, dh: Buffer      // backward
        let dz: Buffer, dq: Buffer, dk: Buffer, dv: Buffer, work: Buffer
        init(rows n: Int, c: ModelConfig, keys: Int) {
            let D = c.embeddingLength, F = c.feedForwardLength, HD = c.headCount * c.headDim, KV = c.headCountKV * c.headDim
            h = Buffer(n * D); z = Buffer(n * HD); post = Buffer(n * F)
            dPost = Buffer(n * F); dGate = Buffer(n * F); dUp = Buffer(n * F); dh = Buffer(n * D)
            dz = Buffer(n * HD); dq = Buffer(n * HD); dk = Buffer(n * KV); dv = Buffer(n * KV); work = Buffer(n * c.headCount * keys)
        }
    }
    let scratch: Scratch

    struct FinalTape { let invRMS: Buffer; let normalized: Buffer }

    init(model: Transformer, state: RunState, rows: Int) {
        self.model = model; self.state = state; self.shapeRows = rows
        q = state.positions - 1
        (cos, sin) = model.rope.tables(start: q, count: 1)
        scratch = Scratch(rows: rows, c: model.config, keys: q + 1)
    }

    private var attentionShape: (Int) -> PrefixAttentionShape {
        let c = model.config, q = q
        return { n in PrefixAttentionShape(rows: n, prefix: q, heads: c.headCount, kvHeads: c.headCountKV, headDim: c.headDim) }
    }

    /// Block j on the first `n` rows of x [Rtot, D], in place.
    mutating func forward(block j: Int, x: Buffer, rows n: Int) {
        guard n > 0 else { return }
        let c = model.config, w = model.weights.layers[j]
        let D = c.embeddingLength, F = c.feedForwardLength, H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim
        let t = BlockTape(rows: n, c: c, keys: q + 1)
        tapes[j] = t
        t.input.pointer.update(from: x.pointer, count: n * D)
        let h = scratch.h, z = scratch.z, post = scratch.post
        w.attnNorm.withPointer { RMSNorm.forward(x.pointer, weight: $0, eps: c.rmsNormEpsilon, h.pointer, rows: n, width: D, invRMS: t.invRMS1.pointer) }
        w.q.withPointer { Matmul.linear(h.pointer, $0, t.query.pointer, m: n, n: H * Dh, k: D) }
        w.k.withPointer { Matmul.linear(h.pointer, $0, t.ownK.pointer, m: n, n: Hkv * Dh, k: D) }
        w.v.withPointer { Matmul.linear(h.pointer, $0, t.ownV.pointer, m: n, n: Hkv * Dh, k: D) }
        model.rope.apply(t.query.pointer, batch: n, positions: 1, heads: H, cos: cos, sin: sin)
        model.rope.apply(t.ownK.pointer, batch: n, positions: 1, heads: Hkv, cos: cos, sin: sin)
        state.keys[j].withPointer { k in state.values[j].withPointer { v in
            PrefixAttention.forward(q: t.query.pointer, prefixK: k, prefixV: v, ownK: t.ownK.pointer, ownV: t.ownV.pointer,
                                    pattern: t.pattern.pointer, z: z.pointer, shape: attentionShape(n))
        } }
        w.o.withPointer { Matmul.linear(z.pointer, $0, x.pointer, m: n, n: D, k: H * Dh, accumulate: true) }
        t.mid.pointer.update(from: x.pointer, count: n * D)
        w.ffnNorm.withPointer { RMSNorm.forward(x.pointer, weight: $0, eps: c.rmsNormEpsilon, h.pointer, rows: n, width: D, invRMS: t.invRMS2.pointer) }
        w.gate.withPointer { Matmul.linear(h.pointer, $0, t.gate.pointer, m: n, n: F, k: D) }
        w.up.withPointer { Matmul.linear(h.pointer, $0, t.up.pointer, m: n, n: F, k: D) }
        SwiGLU.forward(gate: t.gate.pointer, up: t.up.pointer, post.pointer, count: n * F)
        w.down.withPointer { Matmul.linear(post.pointer, $0, x.pointer, m: n, n: D, k: F, accumulate: true) }
    }

    func finalForward(x: Buffer) -> FinalTape {
        let c = model.config, D = c.embeddingLength
        let tape = FinalTape(invRMS: Buffer(shapeRows), normalized: Buffer(shapeRows * D))
        model.weights.finalNorm.withPointer {
            RMSNorm.forward(x.pointer, weight: $0, eps: c.rmsNormEpsilon, tape.normalized.pointer, rows: shapeRows, width: D, invRMS: tape.invRMS.pointer)
        }
        return tape
    }

    func finalBackward(tape: FinalTape, x: Buffer, dNormalized: Buffer, dx: Buffer) {
        let D = model.config.embeddingLength
        model.weights.finalNorm.withPointer {
            RMSNorm.backward(x.pointer, weight: $0, invRMS: tape.invRMS.pointer, dy: dNormalized.pointer, dx: dx.pointer,
                             rows: shapeRows, width: D, accumulate: false)
        }
    }

    /// Block j's backward on the first `n` rows of dx [Rtot, D] (∂J/∂output in, ∂J/∂input out).
    mutating func backward(block j: Int, dx: Buffer, rows n: Int) {
        guard n > 0, let t = tapes.removeValue(forKey: j) else { return }
        let c = model.config, w = model.weights.layers[j]
        let D = c.embeddingLength, F = c.feedForwardLength, H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim
        // MLP: x_out = mid + down(swiglu(gate(h2), up(h2))), h2 = norm(mid)
        let dPost = scratch.dPost, dGate = scratch.dGate, dUp = scratch.dUp, dh = scratch.dh
        w.down.withPointer { Matmul.linearBackwardInput(dx.pointer, $0, dPost.pointer, m: n, n: D, k: F) }
        SwiGLU.backward(gate: t.gate.pointer, up: t.up.pointer, dPost: dPost.pointer, dGate: dGate.pointer, dUp: dUp.pointer, count: n * F)
        w.gate.withPointer { Matmul.linearBackwardInput(dGate.pointer, $0, dh.pointer, m: n, n: F, k: D) }
        w.up.withPointer { Matmul.linearBackwardInput(dUp.pointer, $0, dh.pointer, m: n, n: F, k: D, accumulate: true) }
        w.ffnNorm.withPointer {
            RMSNorm.backward(t.mid.pointer, weight: $0, invRMS: t.invRMS2.pointer, dy: dh.pointer, dx: dx.pointer, rows: n, width: D, accumulate: true)
        }
        // attention: mid = input + o(attend(rope(q(h1)), rope(k(h1)), v(h1))), h1 = norm(input)
        let dz = scratch.dz, dq = scratch.dq, dk = scratch.dk, dv = scratch.dv, work = scratch.work
        w.o.withPointer { Matmul.linearBackwardInput(dx.pointer, $0, dz.pointer, m: n, n: D, k: H * Dh) }
        state.keys[j].withPointer { k in state.values[j].withPointer { v in
            PrefixAttention.backward(q: t.query.pointer, prefixK: k, prefixV: v, ownK: t.ownK.pointer, ownV: t.ownV.pointer,
                                     pattern: t.pattern.pointer, dz: dz.pointer, dq: dq.pointer, dOwnK: dk.pointer, dOwnV: dv.pointer,
                                     work: work.pointer, shape: attentionShape(n))
        } }
        model.rope.apply(dq.pointer, batch: n, positions: 1, heads: H, cos: cos, sin: sin, inverse: true)
        model.rope.apply(dk.pointer, batch: n, positions: 1, heads: Hkv, cos: cos, sin: sin, inverse: true)
        w.q.withPointer { Matmul.linearBackwardInput(dq.pointer, $0, dh.pointer, m: n, n: H * Dh, k: D) }
        w.k.withPointer { Matmul.linearBackwardInput(dk.pointer, $0, dh.pointer, m: n, n: Hkv * Dh, k: D, accumulate: true) }
        w.v.withPointer { Matmul.linearBackwardInput(dv.pointer, $0, dh.pointer, m: n, n: Hkv * Dh, k: D, accumulate: true) }
        w.attnNorm.withPointer {
            RMSNorm.backward(t.input.pointer, weight: $0, invRMS: t.invRMS1.pointer, dy: dh.pointer, dx: dx.pointer, rows: n, width: D, accumulate: true)
        }
    }
}
