import ArgumentParser

/// Checks of numeric options, run before any work: each failure names the option, the value and
/// what to give instead (exit 64 with the subcommand's usage).
enum OptionCheck {
    /// `value` within `range`; `why` says what the upper bound protects (memory, the context).
    static func count(_ value: Int, _ option: String, in range: ClosedRange<Int>, why: String? = nil) throws {
        guard range.contains(value) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)…\(range.upperBound)"
            throw ValidationError("\(option) \(value): give a whole number \(bound)\(why.map { " (\($0))" } ?? "").")
        }
    }

    /// A finite real within `range`.
    static func real<T: BinaryFloatingPoint>(_ value: T, _ option: String, in range: ClosedRange<T>) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(option) \(value): give a finite number in \(range.lowerBound)…\(range.upperBound).")
        }
    }
}
