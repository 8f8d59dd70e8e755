import LocateCore

/// How to pick each next token.
public struct Sampling: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float = 0
    /// Keep only the k most likely tokens (0: no limit).
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability reaches p (1: no limit).
    public var topP: Float = 1
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }
    public static let greedy = Sampling()
}

public struct Generation: Sendable {
    public let promptIDs: [Int]
    public let ids: [Int]          // generated tokens only
    public let text: String        // decoded generated text
    public let stoppedAtEOS: Bool
}

extension Transformer {
    /// Continues a prompt token by token, reusing keys and values (each step computes one position).
    /// Interventions apply at every step; their positions are absolute, so `.last` follows the
    /// newest token.
    public func generate(_ prompt: String, maxTokens: Int, sampling: Sampling = .greedy,
                         interventions: [Intervention] = []) throws(ModelError) -> Generation {
        guard maxTokens >= 0 else { throw .negativeCount(name: "max tokens", value: maxTokens) }
        let promptIDs = try encode(prompt)
        var tokens = promptIDs
        let rng = RandomSource(seed: sampling.seed)
        var result = try run(tokens: [tokens], RunOptions(interventions: interventions, keepState: true))
        var generated: [Int] = []
        var stopped = false
        let stops = Set([tokenizer.eosTokenID].compactMap { $0 } + (tokenizer.id(for: "<|im_end|>").map { [$0] } ?? []))
        while generated.count < maxTokens {
            let next = pick(result.logits(row: 0)!, sampling, rng)
            generated.append(next)
            if stops.contains(next) { stopped = true; break }
            if generated.count == maxTokens { break }
            guard tokens.count < config.contextLength else { break }
            tokens.append(next)
            let resume = Resume(state: result.state!, layer: 0, position: tokens.count - 1)
            result = try run(tokens: [tokens], RunOptions(interventions: interventions.filter { keeps($0, from: tokens.count - 1) },
                                                          keepState: true, resume: resume))
        }
        return Generation(promptIDs: promptIDs, ids: generated, text: tokenizer.decode(generated), stoppedAtEOS: stopped)
    }

    /// Interventions that still touch positions a continuation step computes.
    private func keeps(_ i: Intervention, from position: Int) -> Bool {
        switch i.positions {
        case .all, .last: return true
        case .at(let ps): return ps.contains { $0 >= position }
        case let .range(_, upper): return upper > position
        }
    }

    func pick(_ logits: [Float], _ s: Sampling, _ rng: RandomSource) -> Int {
        if s.temperature <= 0 { return logits.indices.max { logits[$0] < logits[$1] }! }
        var order = logits.indices.sorted { logits[$0] > logits[$1] }
        if s.topK > 0 { order = Array(order.prefix(s.topK)) }
        let m = logits[order[0]]
        var p = order.map { Double(Foundation.exp(Double((logits[$0] - m) / s.temperature))) }
        let total = p.reduce(0, +)
        p = p.map { $0 / total }
        if s.topP < 1 {
            var cumulative = 0.0, keep = 0
            while keep < p.count { cumulative += p[keep]; keep += 1; if cumulative >= Double(s.topP) { break } }
            order = Array(order.prefix(keep)); p = Array(p.prefix(keep))
            let t = p.reduce(0, +); p = p.map { $0 / t }
        }
        var u = rng.uniform(), i = 0
        while i < p.count - 1 && u >= p[i] { u -= p[i]; i += 1 }
        return order[i]
    }
}

import Foundation
