import Foundation
@testable import LocateCore
import Synchronization
import Testing

/// Thread settings, the worker pool and the products shared out over it.
@Suite("Compute settings and shared products")
struct ComputeTests {
    @Test func threadCountsAreValidated() throws {
        #expect(throws: ComputeError.self) { try Compute(threads: 0) }
        #expect(throws: ComputeError.self) { try Compute(threads: -2) }
        #expect(throws: ComputeError.self) { try Compute(threads: Compute.maximumThreads + 1) }
        #expect(try Compute(threads: 3).threads == 3)
        #expect(try Compute.fromEnvironment(["LOCATE_THREADS": "5"]).threads == 5)
        for bad in ["0", "abc", "-1", "2.5", ""] {
            #expect(throws: ComputeError.threads(bad, source: "LOCATE_THREADS")) { try Compute.fromEnvironment(["LOCATE_THREADS": bad]) }
        }
        let machine = try Compute.fromEnvironment([:])
        #expect(machine.threads == ProcessInfo.processInfo.activeProcessorCount)
    }

    /// A setting is scoped to the thread and the `run` that set it; workers get a share.
    @Test func settingsAreScopedNotGlobal() throws {
        let outer = Compute.current
        let three = try Compute(threads: 3)
        three.run {
            #expect(Compute.current.threads == 3)
            let seen = Mutex<[Int]>([])
            three.workers(3) { _ in seen.withLock { $0.append(Compute.current.threads) } }
            #expect(seen.withLock { $0 } == [1, 1, 1])
        }
        #expect(Compute.current == outer)
    }

    /// Every part of every job runs exactly once, over many short jobs of varying size.
    @Test func poolRunsEveryPartOnce() {
        let pool = WorkerPool(helpers: 3)
        let hits = Mutex<[Int]>([])
        for job in 0..<3000 {
            let parts = 1 + job % 7
            hits.withLock { $0 = [Int](repeating: 0, count: parts) }
            pool.run(parts: parts) { part in hits.withLock { $0[part] += 1 } }
            #expect(hits.withLock { $0 } == [Int](repeating: 1, count: parts), "job \(job)")
        }
    }

    /// A product shared over threads is deterministic (the same setting gives the same bits) and
    /// equals the single-threaded one to float32 rounding, in all three product kinds. (Results
    /// differ across thread counts in the last bits, as OpenBLAS's own threading does.)
    @Test(arguments: [1, 9, 40, 100])
    func sharedProductsAreDeterministic(rows m: Int) throws {
        let (n, k) = (1000, 300)
        let r = SeededData(seed: 7 + UInt64(m))
        let x = r.floats(m * k), w = r.floats(n * k), dy = r.floats(m * n)
        func products(_ compute: Compute) -> [[Float]] {
            compute.run {
                var y = [Float](repeating: 0, count: m * n), dx = [Float](repeating: 0, count: m * k), dw = [Float](repeating: 0, count: n * k)
                Matmul.linear(x, w, &y, m: m, n: n, k: k)
                Matmul.linearBackwardInput(dy, w, &dx, m: m, n: n, k: k)
                Matmul.linearBackwardWeight(dy, x, &dw, m: m, n: n, k: k)
                return [y, dx, dw]
            }
        }
        let four = try Compute(threads: 4)
        let one = products(.single), shared = products(four), again = products(four)
        #expect(shared == again)
        for (a, b) in zip(one, shared) { #expect(FiniteDifference.relativeError(b, a) < 1e-6) }
        #expect(FiniteDifference.relativeError(shared[0], Matmul.linearNaive(x, w, m: m, n: n, k: k)) < 1e-5)
    }
}
