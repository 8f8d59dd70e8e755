import LocateCore

/// Attention of a plain or resumed run: every position's keys and values in one cache
/// [B, T, Hkv·Dh] (positions < p0 from the kept run), scores and pattern materialized so hooks
/// can see and change them. The rows are one segment of B sequences × Tq positions p0 ..< T.
struct CacheAttention: DifferentiableAttention {
    let model: Transformer
    let shape: AttentionShape
    /// The kept run whose positions < p0 this run reuses.
    let state: RunState?
    let keys: Buffer       // [B, T, Hkv·Dh]  after RoPE
    let values: Buffer     // [B, T, Hkv·Dh]
    let scores: Buffer     // [B, H, Tq, T]   scores, then pattern
    /// Per block, when keeping state: the full caches.
    let keepState: Bool
    var keptKeys: [[Float]] = []
    var keptValues: [[Float]] = []
    private var dKeys: Buffer? = nil      // [B, T, Hkv·Dh]
    private var dValues: Buffer? = nil

    init(model: Transformer, batch: Int, length: Int, firstPosition: Int, state: RunState?, keepState: Bool) {
        let c = ModelConfigShape(model)
        self.model = model; self.state = state; self.keepState = keepState
        shape = AttentionShape(batch: batch, queries: length - firstPosition, firstPosition: firstPosition, capacity: length,
                               heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        keys = Buffer(batch * length * c.kvWidth); values = Buffer(batch * length * c.kvWidth)
        scores = Buffer(batch * c.heads * shape.queries * length)
    }

    mutating func forward<S: BlockSites>(layer l: Int, layout: RowLayout, scratch s: BlockScratch, sites: inout S,
                                         tape: BlockTape?) throws(ModelError) -> Bool {
        let B = shape.batch, T = shape.capacity, Tq = shape.queries, p0 = shape.firstPosition
        let kv = shape.kvHeads * shape.headDim
        if try sites.at(.attnQ, l, s.q) { return true }
        if try sites.at(.attnK, l, s.k) { return true }
        if try sites.at(.attnV, l, s.v) { return true }
        if let state, p0 > 0 {
            copyRows(state.keys[l], sourceBatch: state.batch, sourceLength: state.positions, prefix: p0, into: keys)
            copyRows(state.values[l], sourceBatch: state.batch, sourceLength: state.positions, prefix: p0, into: values)
        }
        for b in 0..<B {
            (keys.pointer + (b * T + p0) * kv).update(from: s.k.pointer + b * Tq * kv, count: Tq * kv)
            (values.pointer + (b * T + p0) * kv).update(from: s.v.pointer + b * Tq * kv, count: Tq * kv)
        }
        if keepState { keptKeys.append(keys.array); keptValues.append(values.array) }
        if let tape {
            tape.q = s.q.copy(count: layout.rows * shape.heads * shape.headDim)
            tape.keys = keys.copy(count: keys.count); tape.values = values.copy(count: values.count)
        }
        Attention.scores(q: s.q.pointer, k: keys.pointer, scores.pointer, shape: shape)
        if try sites.at(.attnScores, l, scores) { return true }
        Attention.softmax(scores.pointer, shape: shape)
        if try sites.at(.attnPattern, l, scores) { return true }
        tape?.pattern = scores.copy(count: scores.count)
        Attention.mix(pattern: scores.pointer, v: values.pointer, s.z.pointer, shape: shape)
        return false
    }

    mutating func backward<S: BlockSites>(layer l: Int, layout: RowLayout, tape t: BlockTape, gradients g: BlockGradientScratch,
                                          sites: inout S) throws(ModelError) {
        let B = shape.batch, T = shape.capacity, Tq = shape.queries, p0 = shape.firstPosition
        let kv = shape.kvHeads * shape.headDim
        if dKeys == nil { dKeys = Buffer(keys.count); dValues = Buffer(values.count) }
        let (dk, dv, dScores) = (dKeys!, dValues!, scores)
        dk.pointer.update(repeating: 0, count: dk.count)
        dv.pointer.update(repeating: 0, count: dv.count)
        Attention.mixBackward(pattern: t.pattern!.pointer, v: t.values!.pointer, dz: g.dz.pointer, dPattern: dScores.pointer,
                              dv: dv.pointer, shape: shape)
        _ = try sites.at(.attnPattern, l, dScores)
        Attention.softmaxBackward(pattern: t.pattern!.pointer, dPattern: dScores.pointer, dScores: dScores.pointer, shape: shape)
        _ = try sites.at(.attnScores, l, dScores)
        Attention.scoresBackward(q: t.q!.pointer, k: t.keys!.pointer, dScores: dScores.pointer, dq: g.dq.pointer, dk: dk.pointer, shape: shape)
        for b in 0..<B {   // keys and values of computed positions; earlier ones belong to the kept run
            (g.dk.pointer + b * Tq * kv).update(from: dk.pointer + (b * T + p0) * kv, count: Tq * kv)
            (g.dv.pointer + b * Tq * kv).update(from: dv.pointer + (b * T + p0) * kv, count: Tq * kv)
        }
        _ = try sites.at(.attnV, l, g.dv)
        _ = try sites.at(.attnK, l, g.dk)
        _ = try sites.at(.attnQ, l, g.dq)
    }

    /// Positions 0 ..< prefix of a kept [Bs, Ts, W] array into the cache [B, T, W]; row b reads
    /// kept row b mod Bs.
    private func copyRows(_ source: [Float], sourceBatch: Int, sourceLength: Int, prefix: Int, into destination: Buffer) {
        let T = shape.capacity, width = shape.kvHeads * shape.headDim
        source.withPointer { s in
            for b in 0..<shape.batch {
                (destination.pointer + b * T * width).update(from: s + (b % sourceBatch) * sourceLength * width, count: prefix * width)
            }
        }
    }
}
