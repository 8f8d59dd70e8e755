import LocateCore

/// A change made to one hook point during a run: declarative, `Codable`, so an experiment is a
/// JSON file and a figure's sidecar can record exactly what was done.
///
/// Interventions at one hook apply in array order; recording at that hook happens after them,
/// so a cache shows what later layers saw.
///
/// Selections: `rows` are batch rows, `positions` are absolute token positions, `units` index the
/// flattened per-position vector (for `hook_q/k/v/z` that is head·Dh + d; `heads` selects whole
/// heads; for attention scores and patterns a unit is head·Tk + key).
public struct Intervention: Sendable {
    public var hook: HookPoint
    public var rows: Selection
    public var positions: Positions
    public var units: Units
    public var edit: Edit

    public init(_ hook: HookPoint, rows: Selection = .all, positions: Positions = .all, units: Units = .all, edit: Edit) {
        self.hook = hook; self.rows = rows; self.positions = positions; self.units = units; self.edit = edit
    }

    public enum Edit: Sendable {
        /// Set to 0 (ablation).
        case zero
        /// Multiply by a factor.
        case scale(Float)
        /// Add a tensor, broadcast as [units], [positions, units] or [rows, positions, units].
        case add(Tensor)
        /// Replace by a tensor, broadcast as for `add`.
        case replace(Tensor)
        /// Copy the same hook, rows and positions from another run's cache (a source with one row
        /// is broadcast to every row). `source` names an entry of the run's `sources`.
        case patch(source: String)
        /// Add N(0, std²) noise drawn in (row, position, unit) order from a GSL MT19937 seeded with `seed`.
        case noise(std: Float, seed: UInt64)
        /// Record the value into the cache (the same as listing the hook under `record`).
        case record
    }

    public enum Selection: Sendable, Equatable {
        case all
        case at([Int])
    }

    public enum Positions: Sendable, Equatable {
        case all
        case last
        case at([Int])
        case range(lower: Int, upper: Int)
    }

    public enum Units: Sendable, Equatable {
        case all
        case at([Int])
        case heads([Int])
    }
}

extension Intervention {
    public static func zero(_ hook: HookPoint, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .zero)
    }
    public static func scale(_ hook: HookPoint, by factor: Float, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .scale(factor))
    }
    public static func add(_ hook: HookPoint, _ value: Tensor, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .add(value))
    }
    public static func replace(_ hook: HookPoint, with value: Tensor, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .replace(value))
    }
    public static func patch(_ hook: HookPoint, from source: String, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .patch(source: source))
    }
    public static func noise(_ hook: HookPoint, std: Float, seed: UInt64, rows: Selection = .all, positions: Positions = .all, units: Units = .all) -> Intervention {
        Intervention(hook, rows: rows, positions: positions, units: units, edit: .noise(std: std, seed: seed))
    }
}
