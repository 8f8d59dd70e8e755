import LocateCore

/// Weight gradients being accumulated, by weight (∂J/∂W in the stored [out][in] order).
final class WeightGradients {
    var buffers: [WeightRef: Buffer] = [:]

    init(_ weights: Set<WeightRef>, config c: ModelConfigShape) {
        for w in weights {
            switch w {
            case .mlpOut, .mlpIn, .mlpGate: buffers[w] = Buffer(c.d * c.f)
            case .attnQ, .attnO: buffers[w] = Buffer(c.d * c.qWidth)
            case .attnK, .attnV: buffers[w] = Buffer(c.d * c.kvWidth)
            }
        }
    }

    /// dW += dyᵀ · x for a product y [m, n] = x [m, k] · Wᵀ.
    @inline(__always)
    func accumulate(_ ref: WeightRef, dy: Buffer, x: Buffer?, m: Int, n: Int, k: Int) {
        guard let buffer = buffers[ref], let x else { return }
        Matmul.linearBackwardWeight(dy.pointer, x.pointer, buffer.pointer, m: m, n: n, k: k, accumulate: true)
    }
}

extension TransformerBlock {
    /// The reverse of `forward`: dx [N, D] holds ∂J/∂(block output) on entry and ∂J/∂(block
    /// input) on return. At each site, `sites` sees the gradient with respect to the value after
    /// the site's interventions and may change it (carrying it through them). Weight gradients
    /// accumulate into `weights` when given (the tape must then keep the weight inputs).
    func backward<S: BlockSites, A: DifferentiableAttention>(_ dx: Buffer, layout: RowLayout, tape t: BlockTape,
                                                             gradients g: BlockGradientScratch, attention: inout A,
                                                             sites: inout S, weights: WeightGradients?) throws(ModelError) {
        let c = ModelConfigShape(model), arch = model.architecture
        let w = model.weights.layers[layer], l = layer
        let n = layout.rows, D = c.d, F = c.f
        _ = try sites.at(.residPost, l, dx)

        // MLP: x_out = x_mid + W_out · act(W_gate h2, W_in h2), h2 = norm2(x_mid)
        let dMLP = try branch(.mlpOut, dx, g.dOut, rows: n, sites: &sites)
        mlpOutputBackward(dMLP.pointer, rows: n, into: g.dPost)
        weights?.accumulate(.mlpOut(l), dy: dMLP, x: t.post, m: n, n: D, k: F)
        _ = try sites.at(.mlpPost, l, g.dPost)
        arch.activateBackward(gate: t.gate!.pointer, up: t.up!.pointer, dPost: g.dPost.pointer, dGate: g.dGate.pointer,
                              dUp: g.dUp.pointer, count: n * F)
        _ = try sites.at(.mlpPreLinear, l, g.dUp)
        _ = try sites.at(.mlpPre, l, g.dGate)
        w.gate.withPointer { Matmul.linearBackwardInput(g.dGate.pointer, $0, g.dh.pointer, m: n, n: F, k: D) }
        w.up.withPointer { Matmul.linearBackwardInput(g.dUp.pointer, $0, g.dh.pointer, m: n, n: F, k: D, accumulate: true) }
        weights?.accumulate(.mlpGate(l), dy: g.dGate, x: t.h2, m: n, n: F, k: D)
        weights?.accumulate(.mlpIn(l), dy: g.dUp, x: t.h2, m: n, n: F, k: D)
        _ = try sites.at(.ln2Normalized, l, g.dh)
        w.ffnNorm.withPointer {
            arch.normalizeBackward(t.mid!.pointer, weight: $0, stats: t.stats2!.pointer, dy: g.dh.pointer, dx: dx.pointer,
                                   rows: n, width: D, accumulate: true)
        }
        _ = try sites.at(.residMid, l, dx)

        // Attention: x_mid = x + W_O · attend(pos(W_Q h1), pos(W_K h1), W_V h1), h1 = norm1(x)
        let dAttention = try branch(.attnOut, dx, g.dOut, rows: n, sites: &sites)
        w.o.withPointer { Matmul.linearBackwardInput(dAttention.pointer, $0, g.dz.pointer, m: n, n: D, k: c.qWidth) }
        weights?.accumulate(.attnO(l), dy: dAttention, x: t.z, m: n, n: D, k: c.qWidth)
        _ = try sites.at(.attnZ, l, g.dz)
        try attention.backward(layer: l, layout: layout, tape: t, gradients: g, sites: &sites)
        applyPositions(g.dq, g.dk, layout: layout, inverse: true)
        w.q.withPointer { Matmul.linearBackwardInput(g.dq.pointer, $0, g.dh.pointer, m: n, n: c.qWidth, k: D) }
        w.k.withPointer { Matmul.linearBackwardInput(g.dk.pointer, $0, g.dh.pointer, m: n, n: c.kvWidth, k: D, accumulate: true) }
        w.v.withPointer { Matmul.linearBackwardInput(g.dv.pointer, $0, g.dh.pointer, m: n, n: c.kvWidth, k: D, accumulate: true) }
        weights?.accumulate(.attnQ(l), dy: g.dq, x: t.h1, m: n, n: c.qWidth, k: D)
        weights?.accumulate(.attnK(l), dy: g.dk, x: t.h1, m: n, n: c.kvWidth, k: D)
        weights?.accumulate(.attnV(l), dy: g.dv, x: t.h1, m: n, n: c.kvWidth, k: D)
        _ = try sites.at(.ln1Normalized, l, g.dh)
        w.attnNorm.withPointer {
            arch.normalizeBackward(t.input!.pointer, weight: $0, stats: t.stats1!.pointer, dy: g.dh.pointer, dx: dx.pointer,
                                   rows: n, width: D, accumulate: true)
        }
        _ = try sites.at(.residPre, l, dx)
    }

    /// The gradient entering a sublayer's output from the residual stream: dx itself, or a copy
    /// when the site's interventions will change it (they act on the branch, not the stream).
    private func branch<S: BlockSites>(_ site: HookPoint.Site, _ dx: Buffer, _ scratch: Buffer, rows n: Int,
                                       sites: inout S) throws(ModelError) -> Buffer {
        guard sites.isActive(site, layer: layer) else { return dx }
        scratch.pointer.update(from: dx.pointer, count: n * model.config.embeddingLength)
        _ = try sites.visit(site, layer: layer, scratch)
        return scratch
    }
}
