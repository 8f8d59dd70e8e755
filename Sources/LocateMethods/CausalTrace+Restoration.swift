import LocateModel

extension CausalTrace {
    /// ROME's causal-tracing cell: a clean value put back into every corrupted row at one
    /// position. `residPost` restores the state after one block; `attnOut` and `mlpOut` restore a
    /// sublayer's output over a window of blocks. Computed as a model ``Reentry``.
    public struct Restoration: Sendable, Hashable {
        public enum Site: String, Sendable, Hashable, CaseIterable { case residPost, attnOut, mlpOut }
        public var site: Site
        /// Blocks whose site is restored: one block for `residPost`.
        public var layers: Range<Int>
        /// The restored position.
        public var position: Int

        public init(site: Site, layers: Range<Int>, position: Int) {
            self.site = site; self.layers = layers; self.position = position
        }

        /// The first block whose computation the restoration changes (`layerCount` when it
        /// changes only the final norm's input).
        public var entryBlock: Int { site == .residPost ? layers.lowerBound + 1 : layers.lowerBound }

        /// The hook point restored at block `layer`.
        public func hook(_ layer: Int) -> HookPoint {
            switch site {
            case .residPost: .residPost(layer)
            case .attnOut: .attnOut(layer)
            case .mlpOut: .mlpOut(layer)
            }
        }

        /// The rows the restoration recomputes: from its entry block at its position, with the
        /// clean values put back at its hooks.
        public var reentry: Reentry {
            Reentry(block: entryBlock, position: position, replaced: layers.map(hook))
        }
    }
}
