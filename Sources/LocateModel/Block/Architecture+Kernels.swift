import LocateCore

/// The kernels behind each architecture choice: the only place the engines learn which norm,
/// nonlinearity and position scheme a model uses. Rows (or elements) are shared out over the
/// calling thread's threads; each is computed exactly as on one thread.
extension Architecture {
    /// y = norm(x) over `rows` rows of `width`; per-row statistics to `stats` [rows] (the
    /// inverse RMS for RMSNorm) when the backward pass will need them.
    @inline(__always)
    func normalize(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float, _ y: UnsafeMutablePointer<Float>,
                   rows: Int, width: Int, stats: UnsafeMutablePointer<Float>?) {
        Parallel.shared(rows, work: rows * width * 4) { r in
            let (x, y, stats) = (x + r.lowerBound * width, y + r.lowerBound * width, stats.map { $0 + r.lowerBound })
            switch norm {
            case .rms: RMSNorm.forward(x, weight: weight, eps: eps, y, rows: r.count, width: width, invRMS: stats)
            }
        }
    }

    /// dx (+)= ∂J/∂x of `normalize` given dy, from the forward's input and statistics.
    @inline(__always)
    func normalizeBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, stats: UnsafePointer<Float>,
                           dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, width: Int, accumulate: Bool) {
        switch norm {
        case .rms: RMSNorm.backward(x, weight: weight, invRMS: stats, dy: dy, dx: dx, rows: rows, width: width, accumulate: accumulate)
        }
    }

    /// post = nonlinearity(gate, up), elementwise over `count` values.
    @inline(__always)
    func activate(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, _ post: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.shared(count, work: count * 8, alignment: 64) { r in
            switch mlp {
            case .swiglu: SwiGLU.forward(gate: gate + r.lowerBound, up: up + r.lowerBound, post + r.lowerBound, count: r.count)
            }
        }
    }

    /// dGate, dUp of `activate` given dPost.
    @inline(__always)
    func activateBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dPost: UnsafePointer<Float>,
                          dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
        switch mlp {
        case .swiglu: SwiGLU.backward(gate: gate, up: up, dPost: dPost, dGate: dGate, dUp: dUp, count: count)
        }
    }
}
