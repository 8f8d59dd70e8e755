import Foundation
import Synchronization

/// Persistent helper threads that share out a job's parts with the calling thread.
///
/// A matrix product of a forward pass lasts tens of microseconds, too short for a thread to be
/// started or woken for it: the helpers spin for a while after each job before they sleep, as
/// OpenBLAS's own threads do. One job runs at a time (callers queue); a job's body must not start
/// another job.
///
/// Protocol: one atomic word holds (epoch, parts, next part). A caller publishes a job by storing
/// a new epoch with its part count and index 0; a helper that sees the new epoch claims parts by
/// compare-and-swap on the same word, so a helper still finishing an old job can never claim a
/// part of a new one. The caller takes parts too, then waits until every part is finished.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    let helpers: Int
    private let word = Atomic<Int>(0)        // epoch << 22 | parts << 11 | next
    private let finished = Atomic<Int>(0)
    private let callers = NSLock()
    private let sleep = NSCondition()
    private nonisolated(unsafe) var sleepers = 0                       // guarded by `sleep`
    private nonisolated(unsafe) var body: UnsafeRawPointer? = nil      // the job, set before its epoch is published
    private static let partBits = 11, maximumParts = 1 << 11
    /// How long a helper polls for the next job before it sleeps: longer than the elementwise
    /// work between two products of a forward pass, so it is awake when the next one comes.
    static let spinNanoseconds: UInt64 = 5_000_000

    init(helpers: Int) {
        self.helpers = helpers
        for _ in 0..<helpers {
            let thread = Thread { [unowned self] in self.helperLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Calls `body(part)` for part = 0..<parts, on the helpers and the calling thread; returns
    /// when every part has finished.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 1 && parts < Self.maximumParts, "\(parts) parts")
        if parts == 1 || helpers == 0 { for i in 0..<parts { body(i) }; return }
        callers.lock(); defer { callers.unlock() }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                self.body = UnsafeRawPointer(pointer)
                finished.store(0, ordering: .relaxed)
                let epoch = (word.load(ordering: .relaxed) >> (2 * Self.partBits)) + 1
                let start = epoch << (2 * Self.partBits) | parts << Self.partBits
                word.store(start, ordering: .releasing)
                sleep.lock(); if sleepers > 0 { sleep.broadcast() }; sleep.unlock()
                work(epoch: epoch)
                while finished.load(ordering: .acquiring) < parts { spinPause() }
                self.body = nil
            }
        }
    }

    /// Claims and runs parts of the job of `epoch` until none is left.
    private func work(epoch: Int) {
        while true {
            let t = word.load(ordering: .acquiring)
            let parts = (t >> Self.partBits) & (Self.maximumParts - 1), next = t & (Self.maximumParts - 1)
            guard t >> (2 * Self.partBits) == epoch, next < parts else { return }
            guard word.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            runPart(next)
            finished.add(1, ordering: .releasing)
        }
    }

    /// Runs one part; the copy of the job it takes is released before the part counts as
    /// finished, so the caller's closure never outlives its call.
    /// A part runs with a single-thread setting, so anything it calls that would share work out
    /// runs inline instead of starting a nested job.
    @inline(never) private func runPart(_ part: Int) {
        ComputeContext.with(.single) { self.body!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part) }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            var spins = 0
            let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
            var epoch = word.load(ordering: .acquiring) >> (2 * Self.partBits)
            while epoch == seen {
                spins += 1
                if spins & 1023 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                    sleep.lock()
                    sleepers += 1
                    while word.load(ordering: .acquiring) >> (2 * Self.partBits) == seen { sleep.wait() }
                    sleepers -= 1
                    sleep.unlock()
                }
                spinPause()
                epoch = word.load(ordering: .acquiring) >> (2 * Self.partBits)
            }
            seen = epoch
            work(epoch: epoch)
        }
    }

    /// One poll of a spin loop (a plain load of the word follows).
    @inline(__always) private func spinPause() {}
}
