/// Token embedding lookup and its reverse mode.
///
/// Legend: N token rows (B·T), V vocabulary, D width. W_E [V, D] keeps the GGUF row order, so
/// token t's vector is row t.
public enum Embedding {
    /// out [N, D] = rows `tokens[n]` of weight [V, D].
    public static func forward(weight: UnsafePointer<Float>, tokens: [Int], _ out: UnsafeMutablePointer<Float>,
                               vocab v: Int, width d: Int) {
        for (n, t) in tokens.enumerated() {
            precondition((0..<v).contains(t), "token \(t) at row \(n) outside the vocabulary of \(v)")
            (out + n * d).update(from: weight + t * d, count: d)
        }
    }

    /// dWeight [V, D] += scatter of dOut [N, D] into rows `tokens[n]` (a repeated token accumulates).
    public static func backward(tokens: [Int], dOut: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                vocab v: Int, width d: Int) {
        for (n, t) in tokens.enumerated() {
            precondition((0..<v).contains(t), "token \(t) at row \(n) outside the vocabulary of \(v)")
            Vector.add(dOut + n * d, into: dWeight + t * d, count: d)
        }
    }

    /// Naive reference of ``forward(weight:tokens:_:vocab:width:)``: [N, D].
    public static func forwardNaive(weight: [Float], tokens: [Int], width d: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(tokens.count * d)
        for t in tokens { for i in 0..<d { out.append(weight[t * d + i]) } }
        return out
    }

    /// Naive double-precision reference of ``backward(tokens:dOut:dWeight:vocab:width:)`` from zero: [V, D].
    public static func backwardNaive(tokens: [Int], dOut: [Float], vocab v: Int, width d: Int) -> [Float] {
        precondition(dOut.count == tokens.count * d, "dOut has \(dOut.count) values, [N, D] = [\(tokens.count), \(d)] holds \(tokens.count * d)")
        var dw = [Double](repeating: 0, count: v * d)
        for (n, t) in tokens.enumerated() { for i in 0..<d { dw[t * d + i] += Double(dOut[n * d + i]) } }
        return dw.map(Float.init)
    }
}
