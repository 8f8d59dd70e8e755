import Foundation

/// What ``RecordsFile/fill(_:name:isDone:progress:skipped:make:)`` did.
public struct FillOutcome: Sendable, Equatable {
    /// Records this run made and appended.
    public var made: Int
    /// Of those, records without a result (``ProgressReporter/skipped``).
    public var skipped: Int
    /// Items that gave no record (their `make` returned nil).
    public var failed: Int
    /// Items already done in the file when the run started.
    public var resumed: Int
    /// Items in all.
    public var total: Int
    /// Wall-clock seconds of the run.
    public var seconds: TimeInterval
}

extension RecordsFile {
    /// The loop of every batch: for each item not done yet, make its record and append it to the
    /// file at once, reporting progress. A run killed anywhere loses at most the item in progress;
    /// rerunning skips what is done.
    /// - Parameters:
    ///   - items: the batch, in order.
    ///   - name: an item's name for the progress line.
    ///   - isDone: whether the file already has what the item needs.
    ///   - progress: where progress goes (``ProgressReporter/begin(_:)`` … ``ProgressReporter/finish()``).
    ///   - skipped: whether a record has no result (counted as skipped).
    ///   - make: the item's record, given a callback for the fraction done; nil when the item
    ///     failed (it is counted, not recorded, and tried again by the next run).
    /// - Throws: what `make` throws, and ``RecordsError`` when appending fails.
    @discardableResult
    public func fill<Item>(_ items: [Item], name: (Item) -> String, isDone: (Item) -> Bool,
                           progress: ProgressReporter? = nil, skipped: (Record) -> Bool = { _ in false },
                           make: (Item, (Double) -> Void) throws -> Record?) throws -> FillOutcome {
        let start = Date()
        let todo = items.filter { !isDone($0) }
        var outcome = FillOutcome(made: 0, skipped: 0, failed: 0, resumed: items.count - todo.count, total: items.count, seconds: 0)
        progress?.start(total: outcome.total, resumed: outcome.resumed)
        if let pid = stalePID {
            progress?.note("\(url.lastPathComponent): process \(pid) stopped while writing it; resuming after its last whole record")
        }
        for item in todo {
            progress?.begin(name(item))
            guard let record = try make(item, { progress?.advance($0) }) else {
                outcome.failed += 1
                progress?.finished(skipped: true)
                continue
            }
            try append(record)
            let empty = skipped(record)
            outcome.made += 1
            if empty { outcome.skipped += 1 }
            progress?.finished(skipped: empty)
        }
        progress?.finish()
        outcome.seconds = Date().timeIntervalSince(start)
        return outcome
    }
}
