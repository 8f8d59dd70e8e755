/// Working buffers of one block over up to N rows, allocated once per pass and reused by every
/// block, forward and backward.
final class BlockScratch {
    let h: Buffer          // [N, D]    normalized input of attention / MLP
    let q: Buffer          // [N, H·Dh]
    let k: Buffer          // [N, Hkv·Dh] keys of the rows' own positions
    let v: Buffer          // [N, Hkv·Dh]
    let z: Buffer          // [N, H·Dh]
    let out: Buffer        // [N, D]    attention or MLP output
    let gate: Buffer       // [N, F]
    let up: Buffer         // [N, F]
    let post: Buffer       // [N, F]
    let stats: Buffer      // [N]       per-row norm statistics
    let capacity: Int      // N

    init(rows n: Int, config c: ModelConfigShape) {
        capacity = n
        h = Buffer(n * c.d); out = Buffer(n * c.d)
        q = Buffer(n * c.qWidth); z = Buffer(n * c.qWidth)
        k = Buffer(n * c.kvWidth); v = Buffer(n * c.kvWidth)
        gate = Buffer(n * c.f); up = Buffer(n * c.f); post = Buffer(n * c.f)
        stats = Buffer(n)
    }
}

/// Gradient buffers of one block's backward over up to N rows.
final class BlockGradientScratch {
    let dOut: Buffer       // [N, D]    ∂J/∂(attention or MLP output), when a site changes it
    let dh: Buffer         // [N, D]
    let dPost: Buffer      // [N, F]
    let dGate: Buffer      // [N, F]
    let dUp: Buffer        // [N, F]
    let dz: Buffer         // [N, H·Dh]
    let dq: Buffer         // [N, H·Dh]
    let dk: Buffer         // [N, Hkv·Dh]
    let dv: Buffer         // [N, Hkv·Dh]

    init(rows n: Int, config c: ModelConfigShape) {
        dOut = Buffer(n * c.d); dh = Buffer(n * c.d)
        dPost = Buffer(n * c.f); dGate = Buffer(n * c.f); dUp = Buffer(n * c.f)
        dz = Buffer(n * c.qWidth); dq = Buffer(n * c.qWidth)
        dk = Buffer(n * c.kvWidth); dv = Buffer(n * c.kvWidth)
    }
}

/// The widths a block's buffers need, read once from the model's configuration.
struct ModelConfigShape {
    let d: Int, f: Int, heads: Int, kvHeads: Int, headDim: Int
    var qWidth: Int { heads * headDim }
    var kvWidth: Int { kvHeads * headDim }

    init(_ model: Transformer) {
        let c = model.config
        d = c.embeddingLength; f = c.feedForwardLength; heads = c.headCount; kvHeads = c.headCountKV; headDim = c.headDim
    }
}
