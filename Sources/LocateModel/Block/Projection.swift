import LocateCore

/// One of a block's weight matrices.
enum Projection { case q, k, v, o, gate, up, down }

extension LayerWeights {
    /// `y[M, N] = x[M, K] · Wᵀ` for one matrix of the block: from its GGUF blocks while they are
    /// current (see ``LayerBlocks``) and the rows few, else from the float32 copy.
    @inline(__always)
    func linear(_ p: Projection, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int) {
        let dense: [Float], blocked: BlockMatrix?
        switch p {
        case .q: (dense, blocked) = (q, blocks.q)
        case .k: (dense, blocked) = (self.k, blocks.k)
        case .v: (dense, blocked) = (v, blocks.v)
        case .o: (dense, blocked) = (o, blocks.o)
        case .gate: (dense, blocked) = (gate, blocks.gate)
        case .up: (dense, blocked) = (up, blocks.up)
        case .down: (dense, blocked) = (down, blocks.down)
        }
        Matmul.linear(x, dense: dense, blocks: blocked, y, m: m, n: n, k: k)
    }
}
