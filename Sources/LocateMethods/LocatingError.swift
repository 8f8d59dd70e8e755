import LocateModel

/// Why causal tracing or knowledge-neuron attribution refused its input. Each message says what
/// is wrong and what to do.
public enum LocatingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The answer (or target) encodes to no token.
    case emptyAnswer
    /// The subject's token range does not lie inside the prompt.
    case subjectOutsidePrompt(subject: Range<Int>, tokens: Int)
    /// The subject text does not occur in the prompt.
    case subjectNotInPrompt(subject: String, prompt: String)
    /// Fewer than two subject tokens to measure the embedding spread on.
    case noNoiseSubjects
    /// Integration steps below 1.
    case steps(Int)
    /// No layers to attribute.
    case noLayers
    /// A layer given twice.
    case repeatedLayers([Int])
    /// A gradient the attribution needs was not recorded (a bug: please report it).
    case missingGradient(hook: String)

    public var description: String {
        switch self {
        case .emptyAnswer:
            return "the answer is empty (it encodes to no token): give the text the model should predict"
        case let .subjectOutsidePrompt(subject, tokens):
            return "the subject's token range \(subject.lowerBound)..<\(subject.upperBound) is outside the prompt's \(tokens) tokens: give a range inside 0..<\(tokens)"
        case let .subjectNotInPrompt(subject, prompt):
            return "the subject \"\(subject)\" does not occur in the prompt \"\(prompt)\": give the subject exactly as written in the prompt"
        case .noNoiseSubjects:
            return "no subject tokens to measure the embedding spread on: give subjects that encode to at least two tokens in all, or a noise level"
        case let .steps(n):
            return "integration steps must be 1 or more (got \(n))"
        case .noLayers:
            return "no layers to attribute: give at least one layer"
        case let .repeatedLayers(layers):
            return "the layers \(layers) repeat: give each layer once"
        case let .missingGradient(hook):
            return "no gradient was recorded at \(hook); this is a bug in locate, please report it with the command that caused it"
        }
    }
}
