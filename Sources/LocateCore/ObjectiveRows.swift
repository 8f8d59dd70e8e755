import Foundation

/// The objective and its logit gradient for many rows at once, in place: the fast path of
/// `LogSoftmax.probabilityGradient` / `logProbabilityGradient` (their scalar versions are the
/// reference), vectorized with `FastExp` and split over threads.
public enum ObjectiveRows {
    /// Rows of logits [N, V] become ∂J/∂logits; returns J per row: p(target) when `probability`,
    /// else log p(target).
    public static func gradientInPlace(_ logits: UnsafeMutablePointer<Float>, rows n: Int, width v: Int, target: Int,
                                       probability: Bool, threads: Int = Compute.current.threads) -> [Float] {
        precondition((0..<v).contains(target), "target \(target) outside the \(v) logits")
        var values = [Float](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer { out in
            let result = SharedPointer(out.baseAddress!), logits = SharedPointer(logits)
            let parts = max(1, min(threads, n))
            WorkerPool.shared.run(parts: parts) { part in
                var r = part
                while r < n {
                    let row = logits.pointer + r * v
                    let m = FastExp.maximum(row, count: v)
                    let targetLogit = row[target]
                    let sum = FastExp.expShifted(row, shift: m, row, count: v)   // row = e_i
                    let logP = targetLogit - m - Float(Foundation.log(sum))
                    let p = Foundation.exp(logP)
                    // log p: dℓ_i = δ_it − s_i;  p: dp_i = p (δ_it − s_i);  s_i = e_i / sum
                    let scale = -(probability ? p : 1) / Float(sum)
                    for i in 0..<v { row[i] *= scale }
                    row[target] += probability ? p : 1
                    result.pointer[r] = probability ? p : logP
                    r += parts
                }
            }
        }
        return values
    }
}

/// A pointer handed to parallel workers that write disjoint parts of one buffer.
struct SharedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
