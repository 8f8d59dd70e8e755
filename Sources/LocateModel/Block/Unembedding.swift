import LocateCore

/// The model's output path, once: the final norm, the unembedding and the log-softmax over the
/// vocabulary. Every engine and method that turns residual states into token scores comes here.
extension Transformer {
    /// h = final norm(x) over `rows` rows [rows, D]; statistics to `stats` [rows] when given.
    func finalNormalize(_ x: UnsafePointer<Float>, rows: Int, into h: UnsafeMutablePointer<Float>, stats: UnsafeMutablePointer<Float>? = nil) {
        weights.finalNorm.withPointer {
            architecture.normalize(x, weight: $0, eps: config.rmsNormEpsilon, h, rows: rows, width: config.embeddingLength, stats: stats)
        }
    }

    /// dx = ∂J/∂x of `finalNormalize` given dh.
    func finalNormalizeBackward(_ x: UnsafePointer<Float>, stats: UnsafePointer<Float>, dh: UnsafePointer<Float>,
                                rows: Int, into dx: UnsafeMutablePointer<Float>) {
        weights.finalNorm.withPointer {
            architecture.normalizeBackward(x, weight: $0, stats: stats, dy: dh, dx: dx, rows: rows, width: config.embeddingLength, accumulate: false)
        }
    }

    /// logits [m, V] = h [m, D] · W_Uᵀ.
    func unembed(_ h: UnsafePointer<Float>, rows m: Int, into logits: UnsafeMutablePointer<Float>) {
        Matmul.linear(h, dense: weights.output, blocks: weights.outputBlocks, logits, m: m, n: config.vocabSize, k: config.embeddingLength)
    }

    /// dh [m, D] (+)= dLogits [m, V] · W_U.
    func unembedBackward(_ dLogits: UnsafePointer<Float>, rows m: Int, into dh: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        weights.output.withPointer {
            Matmul.linearBackwardInput(dLogits, $0, dh, m: m, n: config.vocabSize, k: config.embeddingLength, accumulate: accumulate)
        }
    }

    /// Visits the logits of `rows` normalized states [rows, D] in blocks of at most `block` rows,
    /// so the [rows, V] logits stay a reused working set: `body(logits, first, count)` sees the
    /// logits [count, V] of rows first ..< first + count and may overwrite them.
    func forEachLogitsBlock(_ h: UnsafePointer<Float>, rows: Int, block: Int,
                            _ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void) {
        let V = config.vocabSize, D = config.embeddingLength, chunk = max(1, min(block, rows))
        let logits = Buffer(chunk * V)
        var first = 0
        while first < rows {
            let m = min(chunk, rows - first)
            unembed(h + first * D, rows: m, into: logits.pointer)
            body(logits.pointer, first, m)
            first += m
        }
    }

    /// log p(target) of final normalized states [R, D]: row i scores token `target(i)`.
    /// Logits are computed in blocks of rows, their log-softmax on every core.
    public func logProbabilities(ofNormalizedStates states: [Float], target: (Int) -> Int) -> [Float] {
        let D = config.embeddingLength, V = config.vocabSize, rows = states.count / D
        var out = [Float](repeating: 0, count: rows)
        let targets = (0..<rows).map(target)
        states.withPointer { h in out.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            forEachLogitsBlock(h, rows: rows, block: 1024) { logits, first, m in
                Parallel.ranges(m, minimum: 16) { range in
                    for i in range {
                        let row = logits + i * V
                        out[first + i] = row[targets[first + i]] - Softmax.logSumExp(row, count: V)
                    }
                }
            }
        } }
        return out
    }
}
