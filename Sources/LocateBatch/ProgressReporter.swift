import Foundation

/// Progress of a batch on standard error, with its rate and the time still to go.
///
/// On a terminal (`isatty(2)`) one line is redrawn in place with a carriage return, at most four
/// times a second:
///
///     trace [=========               ] 12/30 facts, 2 skipped  1:02, 5.1 s/fact, ETA 1:32  capital-france
///
/// Elsewhere (a log file, a pipe) it writes plain lines instead, one when a record is finished, or
/// at most one every ``lineInterval`` seconds when that is set.
///
///     let progress = ProgressReporter(label: "trace", unit: "facts", total: 30, resumed: 10)
///     progress.begin("capital-france"); progress.advance(0.5); progress.finished()
///     progress.finish()
public final class ProgressReporter {
    /// Shown first on each line ("trace", "klob-c").
    public let label: String
    /// What is counted, plural ("facts", "prompts").
    public let unit: String
    /// Items of the batch in all, and those finished (including ``resumed``).
    public private(set) var total: Int
    public private(set) var done: Int
    /// Items found already done when the batch started; the rate counts only the others.
    public private(set) var resumed: Int
    /// Items finished without a result (facts the model gets wrong, prompts that failed).
    public private(set) var skipped = 0
    /// The item in progress and how much of it is done (0…1).
    public private(set) var current: String?
    public private(set) var fraction = 0.0
    /// Whether lines are redrawn in place (a terminal) or written one after another.
    public let terminal: Bool
    /// Off a terminal, the least number of seconds between two lines (0: a line per finished item).
    public let lineInterval: TimeInterval

    private let clock: () -> Date
    private let output: (String) -> Void
    private var start: Date
    private var lastDraw = Date.distantPast
    private var lastLine = Date.distantPast
    private var drawn = false
    private var unreported = false

    /// A reporter.
    /// - Parameters:
    ///   - terminal: redraw in place; by default whether standard error is a terminal.
    ///   - lineInterval: off a terminal, seconds between lines (0: one per finished item).
    ///   - clock, output: the time and where text goes (standard error); tests pass their own.
    public init(label: String, unit: String = "records", total: Int = 0, resumed: Int = 0,
                terminal: Bool = isatty(STDERR_FILENO) != 0, lineInterval: TimeInterval = 0,
                clock: @escaping () -> Date = Date.init,
                output: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label; self.unit = unit; self.total = total; self.done = resumed; self.resumed = resumed
        self.terminal = terminal; self.lineInterval = lineInterval; self.clock = clock; self.output = output
        self.start = clock()
    }

    /// Starts (or starts again) the count: `total` items, `resumed` of them already done; the
    /// clock of the rate starts now. ``RecordsFile/fill(_:name:isDone:progress:skipped:make:)``
    /// calls it once it knows what is left.
    public func start(total: Int, resumed: Int) {
        self.total = total; self.resumed = resumed; done = resumed; skipped = 0
        start = clock()
        if terminal { draw(force: true) }
    }

    /// Seconds since the reporter was made or last started.
    public var elapsed: TimeInterval { clock().timeIntervalSince(start) }

    /// Items finished by this run, the current one's fraction included.
    private var measured: Double { Double(done - resumed) + fraction }

    /// Seconds per item of this run; nil before anything was measured.
    public var secondsPerItem: Double? {
        let elapsed = elapsed
        return measured > 0.05 && elapsed > 0 ? elapsed / measured : nil
    }

    /// Seconds still to go, extrapolated from this run's pace; nil before anything was measured.
    public var eta: TimeInterval? {
        secondsPerItem.map { $0 * max(0, Double(total - done) - fraction) }
    }

    /// Starts the item named `name`.
    public func begin(_ name: String) {
        current = name; fraction = 0
        if terminal { draw(force: false) }
    }

    /// How much of the current item is done (0…1).
    public func advance(_ fraction: Double) {
        self.fraction = min(1, max(0, fraction))
        if terminal { draw(force: false) }
    }

    /// The current item is finished; `skipped` when it has no result.
    public func finished(skipped: Bool = false) {
        done += 1; fraction = 0; current = nil
        if skipped { self.skipped += 1 }
        if terminal { draw(force: true); return }
        unreported = true
        let now = clock()
        if lineInterval <= 0 || now.timeIntervalSince(lastLine) >= lineInterval { writeLine(at: now) }
    }

    /// A message on a line of its own (an item that failed), without breaking the redrawn line.
    public func note(_ message: String) {
        output((terminal && drawn ? "\n" : "") + message + "\n")
        drawn = false
        if terminal { draw(force: true) }
    }

    /// Ends the progress: a final newline on a terminal, the last state as a line elsewhere.
    public func finish() {
        if terminal {
            if drawn { output("\n") }
            drawn = false
        } else if unreported {
            writeLine(at: clock())
        }
    }

    /// The progress as one line of text (no carriage return or newline).
    public var line: String {
        var text = "\(label) "
        if terminal {
            let width = 24
            let share = total == 0 ? 1 : min(1, (Double(done) + fraction) / Double(total))
            let filled = Int(share * Double(width))
            text += "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
        }
        text += "\(done)/\(total) \(unit)"
        if skipped > 0 { text += ", \(skipped) skipped" }
        text += "  \(Self.clock(elapsed))"
        if let rate = secondsPerItem {
            let singular = unit.hasSuffix("s") ? String(unit.dropLast()) : unit
            text += rate >= 1 ? String(format: ", %.1f s/%@", rate, singular) : String(format: ", %.1f %@/s", 1 / rate, unit)
        }
        if let eta { text += ", ETA \(Self.clock(eta))" }
        if terminal, let current { text += "  \(current)" }
        return text
    }

    private func draw(force: Bool) {
        let now = clock()
        guard force || now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        let text = line
        output("\r" + text.padding(toLength: max(text.count, 100), withPad: " ", startingAt: 0))
        drawn = true
    }

    private func writeLine(at now: Date) {
        lastLine = now; unreported = false
        output(line + "\n")
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    public static func clock(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
