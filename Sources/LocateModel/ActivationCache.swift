import LocateCore

/// Activations recorded during a run, keyed by hook point.
///
/// Each entry covers the positions the run computed: a full run covers [0, T); a run resumed at
/// position p covers [p, T). Position-major entries have shape [B, Tq, …]; attention scores and
/// patterns [B, H, Tq, Tk].
public struct ActivationCache: Sendable {
    public struct Entry: Sendable {
        public var tensor: Tensor
        /// Absolute position of each position row of the tensor.
        public var positions: [Int]
    }

    public private(set) var entries: [HookPoint: Entry] = [:]

    public init() {}

    public subscript(_ hook: HookPoint) -> Tensor? { entries[hook]?.tensor }

    public func entry(_ hook: HookPoint) -> Entry? { entries[hook] }

    public var hooks: [HookPoint] { entries.keys.sorted() }

    mutating func store(_ hook: HookPoint, tensor: Tensor, positions: [Int]) {
        entries[hook] = Entry(tensor: tensor, positions: positions)
    }

    /// Adds or replaces an entry (e.g. to build a patch source by hand).
    public mutating func set(_ hook: HookPoint, _ tensor: Tensor, positions: [Int]) {
        entries[hook] = Entry(tensor: tensor, positions: positions)
    }

    /// TransformerLens's `stack_activation`: the site at every layer, stacked as [L, …].
    public func stacked(_ site: HookPoint.Site, layers: Int) -> Tensor? {
        var data: [Float] = []
        var shape: [Int] = []
        for l in 0..<layers {
            guard let t = self[HookPoint(site: site, layer: l)] else { return nil }
            shape = t.shape
            data += t.data
        }
        return Tensor(shape: [layers] + shape, data: data)
    }
}

/// Which hook points a run records.
public struct Recording: Sendable, Codable, Equatable {
    public var hooks: Set<HookPoint>
    public var sites: Set<HookPoint.Site>
    public var everything: Bool

    public init(hooks: Set<HookPoint> = [], sites: Set<HookPoint.Site> = [], everything: Bool = false) {
        self.hooks = hooks; self.sites = sites; self.everything = everything
    }

    public static let nothing = Recording()
    public static let all = Recording(everything: true)
    public static func hooks(_ h: [HookPoint]) -> Recording { Recording(hooks: Set(h)) }
    public static func sites(_ s: [HookPoint.Site]) -> Recording { Recording(sites: Set(s)) }

    public func includes(_ hook: HookPoint) -> Bool {
        everything || hooks.contains(hook) || sites.contains(hook.site)
    }
    public var isEmpty: Bool { !everything && hooks.isEmpty && sites.isEmpty }
}
