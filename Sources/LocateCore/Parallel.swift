import Foundation

/// Splits elementwise work over the calling thread's ``Compute/current`` threads (the matrix
/// products share themselves out in ``Matmul``; the work between them would otherwise run on one).
public enum Parallel {
    /// Calls `body` on `parts` contiguous, disjoint ranges covering 0..<n, concurrently; on one
    /// range when n is below `minimum` items per part.
    public static func ranges(_ n: Int, parts: Int? = nil, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let p = max(1, min(parts ?? Compute.current.threads, n / max(minimum, 1)))
        if p == 1 { body(0..<n); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: p) { i in work.value((n * i / p)..<(n * (i + 1) / p)) }
        }
    }

}

/// A value handed to parallel workers that touch disjoint parts of shared memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
