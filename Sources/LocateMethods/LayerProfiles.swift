import Foundation
import LocateCore
import LocateModel

/// A locating method reduced to one score per layer, so methods can be compared by which layers
/// they pick (RSim) and how peaked they are (RSD).
public enum LocatingMethod: String, CaseIterable, Codable, Sendable {
    /// Causal tracing, restoring the hidden state (the indirect effect per layer).
    case traceHidden = "trace-hidden"
    /// Causal tracing, restoring a window of MLP outputs centred on the layer.
    case traceMLP = "trace-mlp"
    /// Causal tracing, restoring a window of attention outputs centred on the layer.
    case traceAttn = "trace-attn"
    /// Knowledge neurons: integrated-gradient attribution mass per layer (sum of positive scores).
    case neurons

    public var traceKind: CausalTrace.Kind? {
        switch self {
        case .traceHidden: return .hidden
        case .traceMLP: return .mlp
        case .traceAttn: return .attn
        case .neurons: return nil
        }
    }
}

/// Which token a trace's per-layer profile is read at.
public enum TraceProfileToken: String, CaseIterable, Codable, Sendable {
    /// The last subject token (only that column is traced: 30 cells instead of T × 30).
    case lastSubject = "last-subject"
    /// The largest indirect effect over all tokens from the subject on, per layer.
    case max
}

/// Which answer a prompt's profiles locate.
public enum LocatedAnswer: String, CaseIterable, Codable, Sendable {
    /// The model's own prediction (its first word), as ROME traces it.
    case prediction
    /// The set's expected answer, scored by teacher forcing whatever the model predicts
    /// (prompts without one, such as klob-u lines, fall back to the prediction).
    case target
}

/// One prompt's per-layer profiles under several methods, with what was located.
public struct LayerProfiles: Codable, Sendable, Equatable {
    public var id: String
    public var item: Int
    public var index: Int
    public var text: String
    public var subject: String
    /// The answer located (see ``answerSource``).
    public var answer: String
    public var answerIDs: [Int]
    /// The set's expected answer, and whether the model's answer is it (nil without a target).
    public var target: String?
    public var known: Bool?
    /// Method name (``LocatingMethod`` raw value) → one score per layer.
    public var profiles: [String: [Double]]
    /// How trace profiles were read (``TraceProfileToken`` raw value).
    public var traceToken: String
    /// Which answer was located (``LocatedAnswer`` raw value; nil in older caches: the prediction).
    public var answerSource: String?

    public var locatedAnswer: LocatedAnswer { answerSource.flatMap(LocatedAnswer.init(rawValue:)) ?? .prediction }

    public func profile(_ method: LocatingMethod) -> [Double]? { profiles[method.rawValue] }
}

/// Computes ``LayerProfiles`` for prompts.
public struct LayerLocator: Sendable {
    public let model: Transformer
    public var noiseLevel: Double
    public var samples = 10
    public var window = 10
    public var seed: UInt32 = 1
    public var traceToken: TraceProfileToken = .lastSubject
    public var answer: LocatedAnswer = .prediction
    public var neuronSettings = KnowledgeNeurons.Settings()

    public init(model: Transformer, noiseLevel: Double) {
        self.model = model; self.noiseLevel = noiseLevel
    }

    /// Locates `prompt`'s answer (``answer``: the model's prediction or the set's target) with each method.
    public func profiles(for prompt: KLoBPrompt, methods: [LocatingMethod]) throws -> LayerProfiles {
        let tracer = CausalTrace(model: model, window: window)
        let tokens = try model.encode(prompt.text)
        let target = answer == .target ? prompt.target : nil
        let answer = try tracer.answer(for: tokens, target: target)
        let range = try tracer.subjectRange(prompt.subject, in: prompt.text)
        var profiles: [String: [Double]] = [:]
        let kinds = methods.compactMap(\.traceKind)
        if !kinds.isEmpty {
            let noise = CausalTrace.Noise.rome(level: noiseLevel, samples: samples, subjectTokens: range.count,
                                               width: model.config.embeddingLength, seed: seed)
            let last = range.upperBound - 1
            let positions: Set<Int>? = traceToken == .lastSubject ? [last] : nil
            let results = try tracer.run(CausalTrace.Case(tokens: tokens, subject: range, answer: answer.ids), noise: noise,
                                         kinds: kinds, positions: positions)
            for result in results {
                let method = methods.first { $0.traceKind == result.kind }!
                let effect: [Double]
                switch traceToken {
                case .lastSubject: effect = result.scores[last].map { Double($0 - result.lowScore) }
                case .max:
                    effect = (0..<model.layerCount).map { l in
                        Double(result.scores[range.lowerBound...].map { $0[l] }.max()! - result.lowScore)
                    }
                }
                profiles[method.rawValue] = effect
            }
        }
        if methods.contains(.neurons) {
            let attribution = try KnowledgeNeurons(model: model).attribute(tokens: tokens, answer: answer.ids, settings: neuronSettings)
            profiles[LocatingMethod.neurons.rawValue] = attribution.layerMass.map(Double.init)
        }
        let known: Bool?
        if let expected = prompt.target {
            known = target == nil ? Self.sameFirstWord(answer.text, expected)
                                  : Self.sameFirstWord(try tracer.answer(for: tokens, target: nil).text, expected)
        } else {
            known = nil
        }
        return LayerProfiles(id: prompt.id, item: prompt.item, index: prompt.index, text: prompt.text, subject: prompt.subject,
                             answer: answer.text, answerIDs: answer.ids, target: prompt.target, known: known,
                             profiles: profiles, traceToken: traceToken.rawValue,
                             answerSource: (target == nil ? LocatedAnswer.prediction : .target).rawValue)
    }

    /// Whether two answers start with the same word (case and surrounding punctuation ignored).
    public static func sameFirstWord(_ a: String, _ b: String) -> Bool {
        func word(_ s: String) -> String {
            let w = s.split(whereSeparator: { $0.isWhitespace }).first.map(String.init) ?? ""
            return w.trimmingCharacters(in: .punctuationCharacters).lowercased()
        }
        let x = word(a), y = word(b)
        return !x.isEmpty && x == y
    }
}
