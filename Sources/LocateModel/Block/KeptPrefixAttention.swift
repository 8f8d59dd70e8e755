import LocateCore

/// Attention of rows that re-enter a kept run: each segment's sequences compute positions
/// p ..< T and read the kept run's keys and values at positions < p in place (sequence s of a
/// segment reads kept row s mod Bk). Forward only.
struct KeptPrefixAttention: BlockAttention {
    let model: Transformer
    let kept: RunState

    mutating func forward<S: BlockSites>(layer l: Int, layout: RowLayout, scratch s: BlockScratch, sites: inout S,
                                         tape: BlockTape?) throws(ModelError) -> Bool {
        let c = ModelConfigShape(model)
        let (q, k, v, z) = (s.q.pointer, s.k.pointer, s.v.pointer, s.z.pointer)
        kept.keys[l].withPointer { keptK in kept.values[l].withPointer { keptV in
            for g in layout.segments {
                let shape = SegmentShape(batch: g.sequences, queries: g.length, firstPosition: g.firstPosition, keptBatch: kept.batch,
                                         keptLength: kept.positions, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
                SegmentAttention.forward(q: q + g.firstRow * c.qWidth, newK: k + g.firstRow * c.kvWidth, newV: v + g.firstRow * c.kvWidth,
                                         keptK: keptK, keptV: keptV, z + g.firstRow * c.qWidth, shape: shape)
            }
        } }
        return false
    }
}
