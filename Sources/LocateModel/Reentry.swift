/// Rows of a kept run recomputed from a block and a position on, with given values put back at
/// named hook sites of that position.
///
/// Every kept row re-enters at the input of block `block`, at positions ≥ `position` (earlier
/// positions keep the kept run's states: nothing there depends on what changes). The values put
/// back replace, at `position` only, the input of the first block
/// (`blocks.{block−1}.hook_resid_post`) or the output of a sublayer (`hook_attn_out`,
/// `hook_mlp_out`) of a block ≥ `block`.
public struct Reentry: Sendable, Hashable {
    /// The first block computed (`layerCount` when only the final norm's input changes).
    public var block: Int
    /// The first position computed.
    public var position: Int
    /// Hooks whose value at `position` is put back.
    public var replaced: [HookPoint]

    public init(block: Int, position: Int, replaced: [HookPoint]) {
        self.block = block; self.position = position; self.replaced = replaced
    }

    /// The same re-entry as interventions of a run resumed at (block, position): the hook-based
    /// reference of the staircase.
    public func interventions(source: String, rows: Intervention.Selection) -> [Intervention] {
        replaced.map { .patch($0, from: source, rows: rows, positions: .at([position])) }
    }

    /// Checks the re-entry against a model of `layers` blocks and a kept run of `length` positions.
    func validate(layers: Int, length: Int) throws(ModelError) {
        guard block >= 0, block <= layers else { throw .layerOutOfRange(hook: "re-entry block", layer: block, layers: layers + 1) }
        guard position >= 0, position < length else { throw .positionOutOfRange(hook: "re-entry", position: position, positions: length) }
        for hook in replaced {
            let valid: Bool
            switch hook.site {
            case .residPost: valid = hook.layer == block - 1
            case .attnOut, .mlpOut: valid = (hook.layer ?? -1) >= block && (hook.layer ?? layers) < layers
            default: valid = false
            }
            guard valid else { throw .invalidReentry(hook: hook.description, block: block) }
        }
    }
}
