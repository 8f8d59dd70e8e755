import LocateCore

/// Attention of rows that each compute one position q over a prefix of positions < q that all
/// share (one kept run's keys and values), plus their own key and value at q.
struct LastQueryAttention: DifferentiableAttention {
    let model: Transformer
    let kept: RunState
    let position: Int
    private var work: Buffer? = nil    // [N, H, q+1] for the backward

    init(model: Transformer, kept: RunState, position: Int) {
        self.model = model; self.kept = kept; self.position = position
    }

    private func shape(_ rows: Int) -> PrefixAttentionShape {
        let c = ModelConfigShape(model)
        return PrefixAttentionShape(rows: rows, prefix: position, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
    }

    mutating func forward<S: BlockSites>(layer l: Int, layout: RowLayout, scratch s: BlockScratch, sites: inout S,
                                         tape: BlockTape?) throws(ModelError) -> Bool {
        let n = layout.rows, c = ModelConfigShape(model), a = shape(n)
        let pattern = Buffer(n * c.heads * a.keys)
        kept.keys[l].withPointer { k in kept.values[l].withPointer { v in
            PrefixAttention.forward(q: s.q.pointer, prefixK: k, prefixV: v, ownK: s.k.pointer, ownV: s.v.pointer,
                                    pattern: pattern.pointer, z: s.z.pointer, shape: a)
        } }
        if let tape {
            tape.q = s.q.copy(count: n * c.qWidth)
            tape.keys = s.k.copy(count: n * c.kvWidth); tape.values = s.v.copy(count: n * c.kvWidth)
            tape.pattern = pattern
        }
        return false
    }

    mutating func backward<S: BlockSites>(layer l: Int, layout: RowLayout, tape t: BlockTape, gradients g: BlockGradientScratch,
                                          sites: inout S) throws(ModelError) {
        let n = layout.rows, a = shape(n)
        if work == nil || work!.count < n * a.heads * a.keys { work = Buffer(n * a.heads * a.keys) }
        let work = work!
        kept.keys[l].withPointer { k in kept.values[l].withPointer { v in
            PrefixAttention.backward(q: t.q!.pointer, prefixK: k, prefixV: v, ownK: t.keys!.pointer, ownV: t.values!.pointer,
                                     pattern: t.pattern!.pointer, dz: g.dz.pointer, dq: g.dq.pointer, dOwnK: g.dk.pointer,
                                     dOwnV: g.dv.pointer, work: work.pointer, shape: a)
        } }
    }
}
