import LocateCore
import Testing

/// Attention of resumed segments against the full-cache reference (double precision).
@Suite("Segment attention")
struct SegmentAttentionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let batch, queries, firstPosition, keptBatch, keptLength, heads, kvHeads, headDim: Int
        var shape: SegmentShape {
            SegmentShape(batch: batch, queries: queries, firstPosition: firstPosition, keptBatch: keptBatch, keptLength: keptLength,
                         heads: heads, kvHeads: kvHeads, headDim: headDim)
        }
        var testDescription: String { "B\(batch) Tq\(queries) p0 \(firstPosition) Bk\(keptBatch) Tk\(keptLength) H\(heads)/\(kvHeads) Dh\(headDim)" }
    }

    /// Rows reading kept rows b mod Bk, prefixes of 0 to 5 positions, kept runs longer than the
    /// prefix (their later positions must not be read), GQA groups, Dh 64 (the model's) and an odd Dh.
    static let cases = [
        Case(batch: 6, queries: 4, firstPosition: 3, keptBatch: 3, keptLength: 9, heads: 4, kvHeads: 2, headDim: 64),
        Case(batch: 2, queries: 5, firstPosition: 0, keptBatch: 2, keptLength: 5, heads: 9, kvHeads: 3, headDim: 16),
        Case(batch: 4, queries: 1, firstPosition: 5, keptBatch: 1, keptLength: 6, heads: 2, kvHeads: 2, headDim: 7),
    ]

    @Test(arguments: cases)
    func matchesFullCacheAttention(_ t: Case) {
        let a = t.shape, rng = RandomSource(seed: 40 + UInt64(a.firstPosition))
        let qCount = a.batch * a.queries * a.heads * a.headDim
        let newCount = a.batch * a.queries * a.kvHeads * a.headDim, keptCount = a.keptBatch * a.keptLength * a.kvHeads * a.headDim
        let q = rng.gaussians(count: qCount, std: 1), newK = rng.gaussians(count: newCount, std: 1), newV = rng.gaussians(count: newCount, std: 1)
        let keptK = rng.gaussians(count: keptCount, std: 1), keptV = rng.gaussians(count: keptCount, std: 1)
        var z = [Float](repeating: .nan, count: qCount)
        SegmentAttention.forward(q: q, newK: newK, newV: newV, keptK: keptK, keptV: keptV, &z, shape: a)
        let reference = SegmentAttention.naive(q: q, newK: newK, newV: newV, keptK: keptK, keptV: keptV, shape: a)
        var worst: Float = 0
        for i in 0..<qCount { worst = max(worst, abs(z[i] - reference[i])) }
        #expect(worst < 1e-5, "max |Δz| \(worst)")
    }
}
