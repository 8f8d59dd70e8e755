import Foundation

/// Splits elementwise work over the calling thread's ``Compute/current`` threads (the matrix
/// products share themselves out in ``Matmul``; the work between them would otherwise run on one).
public enum Parallel {
    /// Calls `body` on `parts` contiguous, disjoint ranges covering 0..<n, concurrently; on one
    /// range when n is below `minimum` items per part.
    public static func ranges(_ n: Int, parts: Int? = nil, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let p = max(1, min(parts ?? Compute.current.threads, n / max(minimum, 1)))
        if p == 1 { body(0..<n); return }
        WorkerPool.shared.run(parts: p) { i in body((n * i / p)..<(n * (i + 1) / p)) }
    }

}

extension Parallel {
    /// Multiply-adds (or comparable steps) below which a share of work is not worth a thread.
    public static let minimumWorkPerThread = 1 << 15

    /// Calls `body` on disjoint ranges of 0..<count (multiples of `alignment` but the last), one
    /// per thread of the calling thread's ``Compute/current`` setting, on the ``WorkerPool``; on
    /// one range when `work` is too small to share. `body` must not share work out itself.
    @inline(__always)
    public static func shared(_ count: Int, work: Int, alignment: Int = 1, _ body: (Range<Int>) -> Void) {
        _ = Matmul.singleThreadedBLAS
        let parts = min(Compute.current.threads, count / alignment, work / minimumWorkPerThread)
        if parts <= 1 { body(0..<count); return }
        let blocks = (count + alignment - 1) / alignment
        WorkerPool.shared.run(parts: parts) { i in
            let lower = min(count, blocks * i / parts * alignment), upper = min(count, blocks * (i + 1) / parts * alignment)
            if lower < upper { body(lower..<upper) }
        }
    }
}

/// A value handed to parallel workers that touch disjoint parts of shared memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
