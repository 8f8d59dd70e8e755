import LocatePlot
import Testing

@Suite("Nice ticks")
struct NiceTicksTests {
    /// Guards against colour-bar and axis ticks at odd values or outside the range: ROME's
    /// c1_hidden colour bar (0.0047 … 0.81) is ticked 0.2, 0.4, 0.6, 0.8 by matplotlib.
    @Test func matchesMatplotlibOnReferenceRanges() {
        #expect(NiceTicks.labels(NiceTicks.ticks(lower: 0.0047335, upper: 0.8117, maxCount: 5)) == ["0.2", "0.4", "0.6", "0.8"])
        #expect(NiceTicks.labels(NiceTicks.ticks(lower: -1.5, upper: 31.5, maxCount: 8)) == ["0", "5", "10", "15", "20", "25", "30"])
        #expect(NiceTicks.labels(NiceTicks.ticks(lower: -0.01, upper: 0.26, maxCount: 6)) == ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25"])
        #expect(NiceTicks.labels(NiceTicks.ticks(lower: -0.3, upper: 0.3, maxCount: 6)) == ["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"])
        #expect(NiceTicks.ticks(lower: .nan, upper: 1).isEmpty)
    }
}
