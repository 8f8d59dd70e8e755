import LocateCore

/// One transformer block over the rows of a layout: the only implementation of a block's
/// forward computation (its backward is in `TransformerBlock+Backward.swift`).
///
/// x_mid = x + W_O · attend(pos(W_Q h1), pos(W_K h1), W_V h1),  h1 = norm1(x)
/// x_out = x_mid + W_out · act(W_gate h2, W_in h2),             h2 = norm2(x_mid)
///
/// Sites are visited in the order of TransformerLens's hooks; the attention variant visits the
/// sites inside attention. N rows, D width, F MLP width, H heads, Hkv key/value heads, Dh head width.
struct TransformerBlock {
    let model: Transformer
    let layer: Int

    /// Runs the block on the first `layout.rows` rows of x [N, D], in place. Returns true when a
    /// site asked to stop (x then holds the state at that site).
    func forward<S: BlockSites, A: BlockAttention>(_ x: Buffer, layout: RowLayout, scratch s: BlockScratch, attention: inout A,
                                                   sites: inout S, tape: BlockTape?) throws(ModelError) -> Bool {
        let c = ModelConfigShape(model), arch = model.architecture, eps = model.config.rmsNormEpsilon
        let w = model.weights.layers[layer], l = layer
        let n = layout.rows, D = c.d, F = c.f
        let keep = tape?.keepsWeightInputs ?? false

        if try sites.at(.residPre, l, x) { return true }
        tape?.input = x.copy(count: n * D)
        w.attnNorm.withPointer { arch.normalize(x.pointer, weight: $0, eps: eps, s.h.pointer, rows: n, width: D, stats: s.stats.pointer) }
        tape?.stats1 = s.stats.copy(count: n)
        if try sites.at(.ln1Normalized, l, s.h) { return true }
        if keep { tape?.h1 = s.h.copy(count: n * D) }
        w.linear(.q, s.h.pointer, s.q.pointer, m: n, n: c.qWidth, k: D)
        w.linear(.k, s.h.pointer, s.k.pointer, m: n, n: c.kvWidth, k: D)
        w.linear(.v, s.h.pointer, s.v.pointer, m: n, n: c.kvWidth, k: D)
        applyPositions(s.q, s.k, layout: layout, inverse: false)
        if try attention.forward(layer: l, layout: layout, scratch: s, sites: &sites, tape: tape) { return true }
        if try sites.at(.attnZ, l, s.z) { return true }
        if keep { tape?.z = s.z.copy(count: n * c.qWidth) }
        w.linear(.o, s.z.pointer, s.out.pointer, m: n, n: D, k: c.qWidth)
        if try sites.at(.attnOut, l, s.out) { return true }
        Vector.add(s.out.pointer, into: x.pointer, count: n * D)
        if try sites.at(.residMid, l, x) { return true }
        tape?.mid = x.copy(count: n * D)

        w.ffnNorm.withPointer { arch.normalize(x.pointer, weight: $0, eps: eps, s.h.pointer, rows: n, width: D, stats: s.stats.pointer) }
        tape?.stats2 = s.stats.copy(count: n)
        if try sites.at(.ln2Normalized, l, s.h) { return true }
        if keep { tape?.h2 = s.h.copy(count: n * D) }
        w.linear(.gate, s.h.pointer, s.gate.pointer, m: n, n: F, k: D)
        if try sites.at(.mlpPre, l, s.gate) { return true }
        w.linear(.up, s.h.pointer, s.up.pointer, m: n, n: F, k: D)
        if try sites.at(.mlpPreLinear, l, s.up) { return true }
        if let tape { tape.gate = s.gate.copy(count: n * F); tape.up = s.up.copy(count: n * F) }
        arch.activate(gate: s.gate.pointer, up: s.up.pointer, s.post.pointer, count: n * F)
        if try sites.at(.mlpPost, l, s.post) { return true }
        if keep { tape?.post = s.post.copy(count: n * F) }
        mlpOutput(s.post, rows: n, into: s.out)
        if try sites.at(.mlpOut, l, s.out) { return true }
        Vector.add(s.out.pointer, into: x.pointer, count: n * D)
        return try sites.at(.residPost, l, x)
    }

    /// The MLP's output projection: out [n, D] = post [n, F] · W_outᵀ.
    func mlpOutput(_ post: Buffer, rows n: Int, into out: Buffer) {
        let c = ModelConfigShape(model)
        model.weights.layers[layer].linear(.down, post.pointer, out.pointer, m: n, n: c.d, k: c.f)
    }

    /// The transpose of `mlpOutput`: dPost [n, F] = dOut [n, D] · W_out.
    func mlpOutputBackward(_ dOut: UnsafePointer<Float>, rows n: Int, into dPost: Buffer) {
        let c = ModelConfigShape(model)
        model.weights.layers[layer].down.withPointer { Matmul.linearBackwardInput(dOut, $0, dPost.pointer, m: n, n: c.d, k: c.f) }
    }

    /// Rotary positions of queries [N, H·Dh] and keys [N, Hkv·Dh], per segment (`inverse`: the
    /// transpose rotation, for gradients).
    func applyPositions(_ q: Buffer, _ k: Buffer, layout: RowLayout, inverse: Bool) {
        let c = ModelConfigShape(model)
        switch model.architecture.positions {
        case .rotary:
            for g in layout.segments {
                model.rope.apply(q.pointer + g.firstRow * c.qWidth, batch: g.sequences, positions: g.length, heads: c.heads,
                                 cos: g.cos, sin: g.sin, inverse: inverse)
                model.rope.apply(k.pointer + g.firstRow * c.kvWidth, batch: g.sequences, positions: g.length, heads: c.kvHeads,
                                 cos: g.cos, sin: g.sin, inverse: inverse)
            }
        }
    }
}
