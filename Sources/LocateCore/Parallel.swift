import Foundation

/// Splits elementwise work over the machine's two cores (the matrix products already use both
/// through OpenBLAS; the work between them would otherwise run on one).
public enum Parallel {
    /// Calls `body` on `parts` contiguous, disjoint ranges covering 0..<n, concurrently; on one
    /// range when n is below `minimum` items per part.
    public static func ranges(_ n: Int, parts: Int = 2, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let p = max(1, min(parts, n / max(minimum, 1)))
        if p == 1 { body(0..<n); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: p) { i in work.value((n * i / p)..<(n * (i + 1) / p)) }
        }
    }

    /// Calls `body(worker)` for worker = 0..<parts concurrently; the caller shares the work out.
    public static func workers(_ parts: Int = 2, _ body: (Int) -> Void) {
        if parts <= 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { work.value($0) }
        }
    }
}

/// A value handed to parallel workers that touch disjoint parts of shared memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
