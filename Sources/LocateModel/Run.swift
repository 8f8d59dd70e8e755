import LocateCore

/// How to run the model: what to change, what to record, where to start, what to return.
public struct RunOptions: Sendable {
    /// Changes to activations, applied in array order at each hook.
    public var interventions: [Intervention] = []
    /// What to record into the result's cache (nothing by default).
    public var record: Recording = .nothing
    /// Caches that `.patch(source:)` interventions read, by name.
    public var sources: [String: ActivationCache] = [:]
    /// Positions whose logits are computed (by default only the last).
    public var logits: LogitPositions = .last
    /// Keep keys/values and the residual stream at every layer boundary, so later runs can
    /// resume from this one (`resume`) or continue it (generation).
    public var keepState: Bool = false
    /// Start from a cached run at a layer and position: only layers ≥ layer and positions
    /// ≥ position are computed; earlier positions' keys/values and the residual stream below
    /// the layer come from the cached run (its interventions included). The run's input,
    /// `blocks.{layer-1}.hook_resid_post`, is visited first, so it can be patched. The cached
    /// run may have fewer rows than this one if they tile it (row b reads cached row b mod rows),
    /// and fewer positions when resuming at layer 0 (generation: new positions are embedded
    /// from their tokens).
    public var resume: Resume? = nil
    /// End the forward pass right after this hook (no logits are computed).
    public var stopAfter: HookPoint? = nil

    public init(interventions: [Intervention] = [], record: Recording = .nothing, sources: [String: ActivationCache] = [:],
                logits: LogitPositions = .last, keepState: Bool = false, resume: Resume? = nil, stopAfter: HookPoint? = nil) {
        self.interventions = interventions; self.record = record; self.sources = sources; self.logits = logits
        self.keepState = keepState; self.resume = resume; self.stopAfter = stopAfter
    }
}

public enum LogitPositions: Sendable, Equatable {
    case none, last, all
    case at([Int])
}

/// A point to resume from: a kept state, the first layer and the first position to compute.
public struct Resume: Sendable {
    public var state: RunState
    public var layer: Int
    public var position: Int
    public init(state: RunState, layer: Int, position: Int) {
        self.state = state; self.layer = layer; self.position = position
    }
}

/// Keys, values and residual stream of a run, kept for resuming and generation.
public struct RunState: Sendable {
    public let tokens: [[Int]]           // [B][T]
    public var batch: Int { tokens.count }
    public var positions: Int { tokens.first?.count ?? 0 }
    /// Per layer: keys and values [B, T, Hkv, Dh] (after RoPE for keys).
    public let keys: [[Float]]
    public let values: [[Float]]
    /// residual[l] = input of block l, [B, T, D]; residual[L] = output of the last block.
    public let residual: [[Float]]
}

public struct RunResult: Sendable {
    public let tokens: [[Int]]
    /// [B, P, V] for the positions in `logitPositions`; nil when none were asked for.
    public let logits: Tensor?
    public let logitPositions: [Int]
    public let cache: ActivationCache
    public let state: RunState?

    /// Logits of one row at one computed position.
    public func logits(row: Int = 0, position: Int? = nil) -> [Float]? {
        guard let logits else { return nil }
        let p = position ?? logitPositions.last!
        guard let pi = logitPositions.firstIndex(of: p) else { return nil }
        let v = logits.shape[2]
        let start = (row * logitPositions.count + pi) * v
        return Array(logits.data[start ..< start + v])
    }

    /// Softmax probabilities of one row at one computed position (default: last).
    public func probabilities(row: Int = 0, position: Int? = nil) -> [Float]? {
        guard let l = logits(row: row, position: position) else { return nil }
        let lse = l.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: $0.count) }
        return l.map { Float(Foundation.exp(Double($0 - lse))) }
    }

    /// log p(token) at one row and computed position, without materializing the distribution.
    public func logProbability(of token: Int, row: Int = 0, position: Int? = nil) -> Float? {
        guard let logits else { return nil }
        let p = position ?? logitPositions.last!
        guard let pi = logitPositions.firstIndex(of: p), token >= 0, token < logits.shape[2] else { return nil }
        let v = logits.shape[2]
        let start = (row * logitPositions.count + pi) * v
        return logits.data.withUnsafeBufferPointer { l in
            l[start + token] - Softmax.logSumExp(l.baseAddress! + start, count: v)
        }
    }

    /// log-softmax of one row at one computed position (default: last).
    public func logProbabilities(row: Int = 0, position: Int? = nil) -> [Float]? {
        guard let l = logits(row: row, position: position) else { return nil }
        let lse = l.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: $0.count) }
        return l.map { $0 - lse }
    }
}

import Foundation
