import Foundation
import LocateBatch
import Testing

/// A clock the test moves by hand.
private final class ManualClock: @unchecked Sendable {
    var now = Date(timeIntervalSince1970: 1_000)
    func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
}

@Suite("Progress reporter")
struct ProgressReporterTests {
    /// On a terminal the line is redrawn with a carriage return and shows the count, rate, ETA and
    /// the item; a final newline ends it. Guards a progress line that scrolls the terminal.
    @Test func terminalRedrawsInPlace() {
        let clock = ManualClock()
        var out = ""
        let p = ProgressReporter(label: "trace", unit: "facts", terminal: true, clock: { clock.now }, output: { out += $0 })
        p.start(total: 4, resumed: 1)
        p.begin("capital-france")
        clock.advance(10)
        p.finished()
        #expect(out.hasPrefix("\r") && !out.contains("\n"))
        let last = out.components(separatedBy: "\r").last!
        #expect(last.contains("trace [") && last.contains("2/4 facts") && last.contains("10.0 s/fact") && last.contains("ETA 0:20"))
        p.note("capital-spain: failed")
        #expect(out.contains("\ncapital-spain: failed\n"))
        p.finish()
        #expect(out.hasSuffix("\n"))
    }

    /// Off a terminal it writes plain lines, no carriage returns: one per finished item, or one
    /// per interval. Guards log files filled with redraws.
    @Test func plainLinesOffATerminal() {
        let clock = ManualClock()
        var lines: [String] = []
        let p = ProgressReporter(label: "neurons", unit: "facts", terminal: false, lineInterval: 60, clock: { clock.now }, output: { lines.append($0) })
        p.start(total: 10, resumed: 0)
        for _ in 0..<5 { p.begin("x"); clock.advance(20); p.finished(skipped: true) }
        #expect(lines.count == 2)          // at 20 s and at 80 s
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        p.finish()
        #expect(lines.count == 3 && lines[2] == "neurons 5/10 facts, 5 skipped  1:40, 20.0 s/fact, ETA 1:40\n")
        #expect(ProgressReporter.clock(3725) == "1:02:05")
    }
}
