/// What a block's backward needs from its forward, for its N rows: every value an operation
/// consumed, after the interventions at its hook (the values later operations really saw).
/// The inputs of the weight products (h1, z, h2, post) are kept only when weight gradients will
/// be taken.
final class BlockTape {
    let keepsWeightInputs: Bool
    var input: Buffer?     // [N, D]   input of the block (after hook_resid_pre)
    var stats1: Buffer?    // [N]
    var h1: Buffer?        // [N, D]   normalized input of Q/K/V
    var q: Buffer?         // [N, H·Dh] after RoPE and hooks
    var keys: Buffer?      // what the attention variant's backward reads (full cache: [B, T, Hkv·Dh]; own keys: [N, Hkv·Dh])
    var values: Buffer?
    var pattern: Buffer?   // attention probabilities in the variant's layout
    var z: Buffer?         // [N, H·Dh]
    var mid: Buffer?       // [N, D]   residual after attention
    var stats2: Buffer?    // [N]
    var h2: Buffer?        // [N, D]
    var gate: Buffer?      // [N, F]
    var up: Buffer?        // [N, F]
    var post: Buffer?      // [N, F]

    init(keepsWeightInputs: Bool) { self.keepsWeightInputs = keepsWeightInputs }
}

extension Buffer {
    /// A new buffer holding the first `count` values of this one.
    func copy(count: Int) -> Buffer {
        let b = Buffer(count)
        b.pointer.update(from: pointer, count: count)
        return b
    }
}
