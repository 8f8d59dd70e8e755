import Foundation

/// How many threads a computation may use.
///
/// By default every core of the machine (`LOCATE_THREADS` overrides it, `--threads N` on the
/// command line overrides both). The count is a value handed to each computation, never a
/// process-wide switch: OpenBLAS runs single-threaded for the whole process (set once, before
/// the first product), and the library shares every large product out over the threads itself
/// (``Matmul``), so two computations with different settings never observe each other.
public struct Compute: Sendable, Equatable, CustomStringConvertible {
    /// At least 1.
    public let threads: Int

    /// Largest thread count accepted.
    public static let maximumThreads = 1024

    public init(threads: Int) throws(ComputeError) {
        guard threads >= 1, threads <= Self.maximumThreads else { throw .threads(String(threads), source: "the thread count") }
        self.threads = threads
    }

    /// The machine's cores, or `LOCATE_THREADS` when set.
    public static var machine: Compute {
        (try? fromEnvironment()) ?? Compute(uncheckedThreads: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The machine's cores, or `LOCATE_THREADS` when set; a malformed variable is an error.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ComputeError) -> Compute {
        guard let text = environment["LOCATE_THREADS"] else {
            return Compute(uncheckedThreads: ProcessInfo.processInfo.activeProcessorCount)
        }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1, n <= maximumThreads else {
            throw .threads(text, source: "LOCATE_THREADS")
        }
        return Compute(uncheckedThreads: n)
    }

    /// One thread.
    public static let single = Compute(uncheckedThreads: 1)

    init(uncheckedThreads: Int) { threads = max(1, min(uncheckedThreads, Self.maximumThreads)) }

    public var description: String { threads == 1 ? "1 thread" : "\(threads) threads" }

    /// Calls `body(worker)` for worker = 0..<parts concurrently; inside a worker, products run on
    /// its share of the threads (at least one), so workers never oversubscribe the cores.
    public func workers(_ parts: Int, _ body: (Int) -> Void) {
        let share = Compute(uncheckedThreads: threads / max(1, parts))
        if parts <= 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                ComputeContext.with(share) { work.value(part) }
            }
        }
    }

    /// Runs `body` with this setting as the calling thread's current one.
    public func run<R>(_ body: () throws -> R) rethrows -> R {
        try ComputeContext.with(self, body)
    }

    /// Makes this setting the calling thread's own until changed (a command-line program sets
    /// its main thread's once, from `--threads`); `run` scopes a setting instead.
    public func adoptOnThisThread() {
        ComputeContext.adopt(self)
    }

    /// The setting of the calling thread: the innermost `run` or worker, else ``machine``.
    public static var current: Compute { ComputeContext.current }
}

/// A bad thread count, with where it came from.
public enum ComputeError: Error, CustomStringConvertible, Sendable, Equatable {
    case threads(String, source: String)

    public var description: String {
        switch self {
        case let .threads(text, source):
            return "\(source) must be a whole number from 1 to \(Compute.maximumThreads), got \"\(text)\": give the number of threads to use (the default is every core)"
        }
    }
}

/// The per-thread current setting behind ``Compute/current``.
enum ComputeContext {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static let machineDefault = Compute.machine

    static var current: Compute {
        guard let raw = pthread_getspecific(key) else { return machineDefault }
        return Compute(uncheckedThreads: Int(bitPattern: raw))
    }

    static func adopt(_ compute: Compute) {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: compute.threads))
    }

    static func with<R>(_ compute: Compute, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: compute.threads))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}
