import Foundation
import LocateCore
import Testing

/// Every reverse-mode kernel against central finite differences of a double-precision forward
/// (FiniteDifference.swift), and every fast forward against its naive reference.
///
/// Each gradient is that of a random projection L = ⟨c, y⟩ of the kernel's output y, so the
/// analytic backward receives dy = c. Accumulating outputs start from random values, and
/// overwritten outputs from garbage, so that a wrong accumulate/overwrite convention shows.
@Suite("KernelGradient")
struct KernelGradientTests {
    /// max |analytic − numeric| / max |numeric| allowed for a float32 backward.
    static let tolerance = 1e-4
    /// The same for a float32 forward against a double reference.
    static let forwardTolerance = 1e-5

    // MARK: - Linear

    /// Guards a transposed or mis-strided weight gradient and the m == 1 (sgemv) path of
    /// `linearBackwardInput`, and that `accumulate: true` adds instead of overwriting.
    @Test(arguments: [1, 3])
    func linearInputAndWeight(rows m: Int) {
        let (n, k) = (5, 7)
        let r = SeededData(seed: 100 + UInt64(m))
        let x = r.floats(m * k), w = r.floats(n * k), c = r.floats(m * n)
        var y = [Float](repeating: .nan, count: m * n)
        Matmul.linear(x, w, &y, m: m, n: n, k: k)
        #expect(FiniteDifference.relativeError(y, Matmul.linearNaive(x, w, m: m, n: n, k: k)) < Self.forwardTolerance)
        #expect(FiniteDifference.relativeError(y, DoubleForward.linear(x.asDoubles, w.asDoubles, m: m, n: n, k: k)) < Self.forwardTolerance)

        var dx = [Float](repeating: .nan, count: m * k)
        Matmul.linearBackwardInput(c, w, &dx, m: m, n: n, k: k)
        let dw0 = r.floats(n * k)
        var dw = dw0
        Matmul.linearBackwardWeight(c, x, &dw, m: m, n: n, k: k, accumulate: true)

        let fdx = FiniteDifference.gradient(at: x.asDoubles) { innerProduct(DoubleForward.linear($0, w.asDoubles, m: m, n: n, k: k), c) }
        let fdw = FiniteDifference.gradient(at: w.asDoubles) { innerProduct(DoubleForward.linear(x.asDoubles, $0, m: m, n: n, k: k), c) }
        #expect(FiniteDifference.relativeError(dx, fdx) < Self.tolerance)
        #expect(FiniteDifference.relativeError(zip(dw, dw0).map { $0 - $1 }, fdw) < Self.tolerance)

        let dx0 = r.floats(m * k)
        var dxAcc = dx0
        Matmul.linearBackwardInput(c, w, &dxAcc, m: m, n: n, k: k, accumulate: true)
        #expect(FiniteDifference.relativeError(zip(dxAcc, dx0).map { $0 - $1 }, fdx) < Self.tolerance)
    }

    // MARK: - RMSNorm

    /// Guards the −inv³·x·⟨g·dy, x⟩/D term of the input gradient (dropping it still gives a
    /// plausible gradient), a weight gradient without the 1/rms factor, and the accumulate flag.
    @Test(arguments: [false, true])
    func rmsNormInputAndWeight(accumulate: Bool) {
        let (n, d) = (3, 6)
        let eps: Float = 1e-5
        let r = SeededData(seed: 200)
        let x = r.floats(n * d, std: 1.5), g = r.floats(d, std: 0.2, mean: 1), c = r.floats(n * d)
        var y = [Float](repeating: .nan, count: n * d), inv = [Float](repeating: .nan, count: n)
        RMSNorm.forward(x, weight: g, eps: eps, &y, rows: n, width: d, invRMS: &inv)
        #expect(FiniteDifference.relativeError(y, RMSNorm.forwardNaive(x, weight: g, eps: eps, rows: n, width: d)) < Self.forwardTolerance)

        let dx0 = accumulate ? r.floats(n * d) : [Float](repeating: .nan, count: n * d)
        let dg0 = r.floats(d)
        var dx = dx0, dg = dg0
        RMSNorm.backward(x, weight: g, invRMS: inv, dy: c, dx: &dx, rows: n, width: d, accumulate: accumulate, dWeight: &dg)

        let e = Double(eps)
        let fdx = FiniteDifference.gradient(at: x.asDoubles) { innerProduct(DoubleForward.rmsNorm($0, g.asDoubles, eps: e, rows: n, width: d), c) }
        let fdg = FiniteDifference.gradient(at: g.asDoubles) { innerProduct(DoubleForward.rmsNorm(x.asDoubles, $0, eps: e, rows: n, width: d), c) }
        let dxOwn = accumulate ? zip(dx, dx0).map { $0 - $1 } : dx
        #expect(FiniteDifference.relativeError(dxOwn, fdx) < Self.tolerance)
        #expect(FiniteDifference.relativeError(zip(dg, dg0).map { $0 - $1 }, fdg) < Self.tolerance)
    }

    // MARK: - SwiGLU

    /// Guards silu'(g) = σ(g)(1 + g(1 − σ(g))) (using σ(g) alone is a common slip) and swapped
    /// gate/up gradients.
    @Test func swiGLUGateAndUp() {
        let count = 12
        let r = SeededData(seed: 300)
        let gate = r.floats(count, std: 2.5), up = r.floats(count), c = r.floats(count)
        var post = [Float](repeating: .nan, count: count)
        SwiGLU.forward(gate: gate, up: up, &post, count: count)
        #expect(FiniteDifference.relativeError(post, DoubleForward.swiGLU(gate: gate.asDoubles, up: up.asDoubles)) < Self.forwardTolerance)

        var dGate = [Float](repeating: .nan, count: count), dUp = dGate
        SwiGLU.backward(gate: gate, up: up, dPost: c, dGate: &dGate, dUp: &dUp, count: count)
        let fdGate = FiniteDifference.gradient(at: gate.asDoubles) { innerProduct(DoubleForward.swiGLU(gate: $0, up: up.asDoubles), c) }
        let fdUp = FiniteDifference.gradient(at: up.asDoubles) { innerProduct(DoubleForward.swiGLU(gate: gate.asDoubles, up: $0), c) }
        #expect(FiniteDifference.relativeError(dGate, fdGate) < Self.tolerance)
        #expect(FiniteDifference.relativeError(dUp, fdUp) < Self.tolerance)
    }

    // MARK: - RoPE

    /// Guards the backward of a rotation being its inverse (not the rotation again, which would
    /// double every angle) for both pairings, and the forward's pairing and angle formula.
    @Test(arguments: [RoPE.Pairing.adjacent, .halves])
    func ropeInverseIsBackward(pairing: RoPE.Pairing) {
        let (b, tq, heads, dh, start) = (2, 3, 2, 8, 4)
        let rope = RoPE(headDim: dh, base: 10_000, pairing: pairing)
        let r = SeededData(seed: 400)
        let x = r.floats(b * tq * heads * dh), c = r.floats(x.count)
        let (cos, sin) = rope.tables(start: start, count: tq)
        var y = x
        rope.apply(&y, batch: b, positions: tq, heads: heads, cos: cos, sin: sin)
        let exact = DoubleForward.ropeTables(start: start, count: tq, headDim: dh, base: 10_000)
        let expected = DoubleForward.rope(x.asDoubles, cos: exact.cos, sin: exact.sin, pairing: pairing,
                                          batch: b, positions: tq, heads: heads, headDim: dh)
        #expect(FiniteDifference.relativeError(y, expected) < Self.forwardTolerance)

        var dx = c
        rope.apply(&dx, batch: b, positions: tq, heads: heads, cos: cos, sin: sin, inverse: true)
        let fdx = FiniteDifference.gradient(at: x.asDoubles) {
            innerProduct(DoubleForward.rope($0, cos: cos.asDoubles, sin: sin.asDoubles, pairing: pairing, batch: b, positions: tq, heads: heads, headDim: dh), c)
        }
        #expect(FiniteDifference.relativeError(dx, fdx) < Self.tolerance)
    }

    // MARK: - Attention

    struct AttentionCase: Sendable, CustomTestStringConvertible {
        let batch, queries, firstPosition, capacity, heads, kvHeads, headDim: Int
        var shape: AttentionShape {
            AttentionShape(batch: batch, queries: queries, firstPosition: firstPosition, capacity: capacity,
                           heads: heads, kvHeads: kvHeads, headDim: headDim)
        }
        var testDescription: String {
            "B\(batch) Tq\(queries) p0 \(firstPosition) Tcap\(capacity) H\(heads) Hkv\(kvHeads) Dh\(headDim)"
        }
    }

    static let attentionCases = [
        AttentionCase(batch: 1, queries: 4, firstPosition: 0, capacity: 4, heads: 4, kvHeads: 2, headDim: 8),
        AttentionCase(batch: 2, queries: 3, firstPosition: 2, capacity: 6, heads: 4, kvHeads: 2, headDim: 8),
        AttentionCase(batch: 1, queries: 1, firstPosition: 4, capacity: 6, heads: 4, kvHeads: 1, headDim: 6),
        AttentionCase(batch: 2, queries: 2, firstPosition: 1, capacity: 3, heads: 2, kvHeads: 2, headDim: 4),
    ]

    /// Guards a missing GQA accumulation (the H/Hkv query heads of a group must all add into one
    /// kv head), dk/dv overwritten instead of accumulated, no gradient for the cached prefix
    /// (positions < p0), gradient leaking to future keys or past Tk, a missing scale in dq/dk, and
    /// the strides of the [B, T, H, Dh] layouts.
    @Test(arguments: attentionCases)
    func attentionQueryKeyValue(_ t: AttentionCase) {
        let a = t.shape
        let qCount = a.batch * a.queries * a.heads * a.headDim, kvCount = a.batch * a.capacity * a.kvHeads * a.headDim
        let r = SeededData(seed: 500 + UInt64(a.firstPosition))
        let q = r.floats(qCount), k = r.floats(kvCount), v = r.floats(kvCount), c = r.floats(qCount)

        var pattern = [Float](repeating: .nan, count: a.batch * a.heads * a.queries * a.keys)
        Attention.scores(q: q, k: k, &pattern, shape: a)
        Attention.softmax(&pattern, shape: a)
        var z = [Float](repeating: .nan, count: qCount)
        Attention.mix(pattern: pattern, v: v, &z, shape: a)
        #expect(FiniteDifference.relativeError(z, Attention.naive(q: q, k: k, v: v, shape: a)) < Self.forwardTolerance)
        #expect(FiniteDifference.relativeError(z, DoubleForward.attention(q: q.asDoubles, k: k.asDoubles, v: v.asDoubles, shape: a)) < Self.forwardTolerance)

        let dk0 = r.floats(kvCount), dv0 = r.floats(kvCount)
        var dq = [Float](repeating: .nan, count: qCount), dk = dk0, dv = dv0
        Attention.backward(q: q, k: k, v: v, pattern: pattern, dz: c, dq: &dq, dk: &dk, dv: &dv, shape: a)
        let dkOwn = zip(dk, dk0).map { $0 - $1 }, dvOwn = zip(dv, dv0).map { $0 - $1 }

        let (qd, kd, vd) = (q.asDoubles, k.asDoubles, v.asDoubles)
        let fdq = FiniteDifference.gradient(at: qd) { innerProduct(DoubleForward.attention(q: $0, k: kd, v: vd, shape: a), c) }
        let fdk = FiniteDifference.gradient(at: kd) { innerProduct(DoubleForward.attention(q: qd, k: $0, v: vd, shape: a), c) }
        let fdv = FiniteDifference.gradient(at: vd) { innerProduct(DoubleForward.attention(q: qd, k: kd, v: $0, shape: a), c) }
        #expect(FiniteDifference.relativeError(dq, fdq) < Self.tolerance)
        #expect(FiniteDifference.relativeError(dkOwn, fdk) < Self.tolerance)
        #expect(FiniteDifference.relativeError(dvOwn, fdv) < Self.tolerance)

        let naive = Attention.backwardNaive(q: q, k: k, v: v, dz: c, shape: a)
        #expect(FiniteDifference.relativeError(dq, naive.dq) < Self.forwardTolerance)
        #expect(FiniteDifference.relativeError(dkOwn, naive.dk) < Self.forwardTolerance)
        #expect(FiniteDifference.relativeError(dvOwn, naive.dv) < Self.forwardTolerance)
    }

    /// Guards the softmax backward between hook_attn_scores and hook_pattern: the rowsum term,
    /// zero gradient at masked (future) keys, and the causal limit p0 + i + 1 per query row.
    @Test(arguments: attentionCases)
    func attentionSoftmaxScores(_ t: AttentionCase) {
        let a = t.shape
        let count = a.batch * a.heads * a.queries * a.keys
        let r = SeededData(seed: 600 + UInt64(a.firstPosition))
        let scores = r.floats(count, std: 2), c = r.floats(count)
        var pattern = scores
        Attention.softmax(&pattern, shape: a)
        #expect(FiniteDifference.relativeError(pattern, DoubleForward.attentionSoftmax(scores.asDoubles, shape: a)) < Self.forwardTolerance)

        var dScores = [Float](repeating: .nan, count: count)
        Attention.softmaxBackward(pattern: pattern, dPattern: c, dScores: &dScores, shape: a)
        let fd = FiniteDifference.gradient(at: scores.asDoubles) { innerProduct(DoubleForward.attentionSoftmax($0, shape: a), c) }
        #expect(FiniteDifference.relativeError(dScores, fd) < Self.tolerance)
        #expect(FiniteDifference.relativeError(dScores, Attention.softmaxBackwardNaive(pattern: pattern, dPattern: c, shape: a)) < Self.forwardTolerance)

        var inPlace = c
        inPlace.withUnsafeMutableBufferPointer { buffer in
            Attention.softmaxBackward(pattern: pattern, dPattern: buffer.baseAddress!, dScores: buffer.baseAddress!, shape: a)
        }
        #expect(inPlace == dScores)
    }

    // MARK: - Log-softmax and objectives

    /// Guards the log-softmax backward's softmax·Σ dℓ term (a bare pass-through is the silent
    /// failure) and the per-row normalizer.
    @Test func logSoftmaxForwardBackward() {
        let (n, v) = (3, 11)
        let r = SeededData(seed: 700)
        let z = r.floats(n * v, std: 3), c = r.floats(n * v)
        var l = [Float](repeating: .nan, count: n * v)
        LogSoftmax.forward(z, &l, rows: n, width: v)
        #expect(FiniteDifference.relativeError(l, DoubleForward.logSoftmax(z.asDoubles, rows: n, width: v)) < Self.forwardTolerance)
        #expect(FiniteDifference.relativeError(l, LogSoftmax.forwardNaive(z, rows: n, width: v)) < Self.forwardTolerance)

        var dz = [Float](repeating: .nan, count: n * v)
        LogSoftmax.backward(logProbs: l, dLogProbs: c, dLogits: &dz, rows: n, width: v)
        let fd = FiniteDifference.gradient(at: z.asDoubles) { innerProduct(DoubleForward.logSoftmax($0, rows: n, width: v), c) }
        #expect(FiniteDifference.relativeError(dz, fd) < Self.tolerance)
        #expect(FiniteDifference.relativeError(dz, LogSoftmax.backwardNaive(logits: z, dLogProbs: c, rows: n, width: v)) < Self.forwardTolerance)
    }

    /// Guards the three objective gradients the locating methods optimise: log p(t) (a sign flip
    /// or a missing one-hot), p(t) (a missing factor p_t), and KL(p ‖ r) (the −KL centring term,
    /// or the gradient of the reverse KL) — and the returned objective values.
    @Test func objectiveGradients() {
        let v = 13
        let r = SeededData(seed: 800)
        let z = r.floats(v, std: 2)
        let target = r.int(below: v)
        let reference = LogSoftmax.forwardNaive(r.floats(v, std: 2), rows: 1, width: v)
        func logP(_ x: [Double]) -> Double { DoubleForward.logSoftmax(x, rows: 1, width: v)[target] }
        func kl(_ x: [Double]) -> Double {
            let l = DoubleForward.logSoftmax(x, rows: 1, width: v)
            return l.indices.reduce(0) { $0 + Foundation.exp(l[$1]) * (l[$1] - Double(reference[$1])) }
        }

        var g = [Float](repeating: .nan, count: v)
        let lp = LogSoftmax.logProbabilityGradient(logits: z, target: target, dLogits: &g, count: v)
        #expect(abs(Double(lp) - logP(z.asDoubles)) < 1e-5)
        #expect(FiniteDifference.relativeError(g, FiniteDifference.gradient(at: z.asDoubles, logP)) < Self.tolerance)
        #expect(FiniteDifference.relativeError(g, LogSoftmax.logProbabilityGradientNaive(logits: z, target: target).gradient) < Self.forwardTolerance)

        g = [Float](repeating: .nan, count: v)
        let p = LogSoftmax.probabilityGradient(logits: z, target: target, dLogits: &g, count: v)
        #expect(abs(Double(p) - Foundation.exp(logP(z.asDoubles))) < 1e-6)
        #expect(FiniteDifference.relativeError(g, FiniteDifference.gradient(at: z.asDoubles) { Foundation.exp(logP($0)) }) < Self.tolerance)
        #expect(FiniteDifference.relativeError(g, LogSoftmax.probabilityGradientNaive(logits: z, target: target).gradient) < Self.forwardTolerance)

        g = [Float](repeating: .nan, count: v)
        let d = LogSoftmax.klDivergenceGradient(logits: z, referenceLogProbs: reference, dLogits: &g, count: v)
        #expect(abs(Double(d) - kl(z.asDoubles)) < 1e-5)
        #expect(FiniteDifference.relativeError(g, FiniteDifference.gradient(at: z.asDoubles, kl)) < Self.tolerance)
        #expect(FiniteDifference.relativeError(g, LogSoftmax.klDivergenceGradientNaive(logits: z, referenceLogProbs: reference).gradient) < Self.forwardTolerance)

        // At the reference itself KL is 0 and so is its gradient.
        let zr = reference.map { $0 + 0.75 }
        let d0 = LogSoftmax.klDivergenceGradient(logits: zr, referenceLogProbs: reference, dLogits: &g, count: v)
        #expect(abs(d0) < 1e-6)
        #expect(g.allSatisfy { abs($0) < 1e-6 })
    }

    // MARK: - Embedding

    /// Guards the scatter-add of a repeated token (a copy instead of an add keeps only its last
    /// occurrence) and that dW_E accumulates into rows it does not own.
    @Test func embeddingLookupScatter() {
        let (vocab, d) = (9, 4)
        let tokens = [3, 1, 3, 8, 0, 3]
        let r = SeededData(seed: 900)
        let w = r.floats(vocab * d), c = r.floats(tokens.count * d)
        var out = [Float](repeating: .nan, count: tokens.count * d)
        Embedding.forward(weight: w, tokens: tokens, &out, vocab: vocab, width: d)
        #expect(out == Embedding.forwardNaive(weight: w, tokens: tokens, width: d))
        #expect(FiniteDifference.relativeError(out, DoubleForward.embedding(w.asDoubles, tokens: tokens, width: d)) == 0)

        let dw0 = r.floats(vocab * d)
        var dw = dw0
        Embedding.backward(tokens: tokens, dOut: c, dWeight: &dw, vocab: vocab, width: d)
        let own = zip(dw, dw0).map { $0 - $1 }
        let fd = FiniteDifference.gradient(at: w.asDoubles) { innerProduct(DoubleForward.embedding($0, tokens: tokens, width: d), c) }
        #expect(FiniteDifference.relativeError(own, fd) < Self.tolerance)
        #expect(FiniteDifference.relativeError(own, Embedding.backwardNaive(tokens: tokens, dOut: c, vocab: vocab, width: d)) < Self.forwardTolerance)
    }
}
