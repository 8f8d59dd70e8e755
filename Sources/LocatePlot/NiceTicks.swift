import Foundation

/// Tick positions at "nice" numbers (1, 2, 2.5 or 5 times a power of ten) and their labels,
/// close to what matplotlib's `MaxNLocator` picks for a linear axis.
public enum NiceTicks {
    /// Multipliers tried, smallest first, for a step of `multiplier × 10^k`.
    static let multipliers: [Double] = [1, 2, 2.5, 5, 10]

    /// The spacing between ticks so that `[lower, upper]` holds at most about `maxCount` of them.
    public static func step(lower: Double, upper: Double, maxCount: Int = 6) -> Double {
        let span = upper - lower
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(1, maxCount))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for multiplier in multipliers where multiplier * magnitude >= raw * (1 - 1e-9) {
            return multiplier * magnitude
        }
        return 10 * magnitude
    }

    /// Multiples of ``step(lower:upper:maxCount:)`` inside `[lower, upper]` (ends included up to
    /// a relative tolerance of 1e-9 of the span).
    ///
    /// - Returns: ascending tick values; empty when the range is empty or not finite. A
    ///   degenerate range `lower == upper` gives the single tick `lower`.
    public static func ticks(lower: Double, upper: Double, maxCount: Int = 6) -> [Double] {
        guard lower.isFinite, upper.isFinite, lower <= upper else { return [] }
        if lower == upper { return [lower] }
        let step = self.step(lower: lower, upper: upper, maxCount: maxCount)
        let tolerance = (upper - lower) * 1e-9
        var ticks: [Double] = []
        var k = ((lower - tolerance) / step).rounded(.up)
        while k * step <= upper + tolerance && ticks.count < 1000 {
            let value = k * step
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            k += 1
        }
        return ticks
    }

    /// Decimal places needed to print multiples of `step` exactly (0.25 needs 2, 0.2 needs 1).
    public static func decimals(forStep step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        var places = 0
        var scaled = step
        while places < 10 && abs(scaled - scaled.rounded()) > 1e-6 * max(1, abs(scaled)) {
            scaled *= 10; places += 1
        }
        return places
    }

    /// `value` printed with `decimals` places, without a negative zero (`-0.0` prints `0.0`).
    public static func label(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
        return text
    }

    /// Labels for `ticks`, all with the decimals their common step needs.
    public static func labels(_ ticks: [Double]) -> [String] {
        guard ticks.count > 1 else { return ticks.map { label($0, decimals: decimals(forStep: abs($0) > 0 ? abs($0) : 1)) } }
        let places = decimals(forStep: ticks[1] - ticks[0])
        return ticks.map { label($0, decimals: places) }
    }
}
