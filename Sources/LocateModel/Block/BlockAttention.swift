/// How a block's rows attend: the part of a block that differs between a plain run (every
/// position's keys in one cache), a staircase over a kept run (the kept prefix read in place) and
/// the last-position pass (one query position over a fixed prefix).
///
/// On entry the scratch holds q [N, H·Dh], k and v [N, Hkv·Dh] of the rows' own positions, with
/// positions already applied (RoPE); on return z [N, H·Dh].
protocol BlockAttention {
    mutating func forward<S: BlockSites>(layer: Int, layout: RowLayout, scratch: BlockScratch, sites: inout S,
                                         tape: BlockTape?) throws(ModelError) -> Bool
}

/// An attention variant that can be differentiated: from dz [N, H·Dh] in the gradient scratch to
/// dq [N, H·Dh], dk, dv [N, Hkv·Dh] (with respect to the post-RoPE queries and keys).
protocol DifferentiableAttention: BlockAttention {
    mutating func backward<S: BlockSites>(layer: Int, layout: RowLayout, tape: BlockTape, gradients: BlockGradientScratch,
                                          sites: inout S) throws(ModelError)
}
