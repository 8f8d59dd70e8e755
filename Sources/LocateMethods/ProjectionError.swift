import LocateModel

/// Why a vocabulary projection, a sub-update analysis or a logit lens was refused. Each message
/// says what is wrong and what range or form would be accepted.
public enum ProjectionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A layer index outside 0…layers-1.
    case layerOutOfRange(layer: Int, layers: Int)
    /// A neuron index outside 0…neurons-1 (F, the MLP width).
    case neuronOutOfRange(neuron: Int, neurons: Int)
    /// No neurons, layers or tokens were asked for.
    case nothingRequested(String)
    /// A prompt position outside 0…positions-1.
    case positionOutOfRange(position: Int, positions: Int)
    /// A count (top-k, sub-updates per layer) that is not positive.
    case countOutOfRange(name: String, value: Int)
    /// A target text that encodes to no token.
    case emptyTarget
    /// A target token id outside the vocabulary.
    case targetOutOfRange(id: Int, vocabulary: Int)
    /// The forward pass refused the input (empty prompt, prompt too long, …).
    case model(ModelError)

    public var description: String {
        switch self {
        case let .layerOutOfRange(layer, layers):
            return "layer \(layer) does not exist; the model has layers 0…\(layers - 1)"
        case let .neuronOutOfRange(neuron, neurons):
            return "neuron \(neuron) does not exist; each MLP has neurons 0…\(neurons - 1)"
        case let .nothingRequested(what):
            return "nothing to compute: \(what)"
        case let .positionOutOfRange(position, positions):
            return "position \(position) is outside the prompt's \(positions) tokens (0…\(positions - 1), or -1 for the last)"
        case let .countOutOfRange(name, value):
            return "\(name) must be at least 1, got \(value)"
        case .emptyTarget:
            return "the target is empty: give the text of the token to follow, e.g. --target Paris"
        case let .targetOutOfRange(id, vocabulary):
            return "target token id \(id) is outside the vocabulary of \(vocabulary) tokens"
        case let .model(error):
            return error.description
        }
    }
}

extension ProjectionError {
    /// Checks `layer` against a model with `layers` blocks.
    static func checkLayer(_ layer: Int, layers: Int) throws(ProjectionError) {
        guard layer >= 0, layer < layers else { throw .layerOutOfRange(layer: layer, layers: layers) }
    }

    /// Checks that a count such as top-k is positive.
    static func checkCount(_ value: Int, _ name: String) throws(ProjectionError) {
        guard value >= 1 else { throw .countOutOfRange(name: name, value: value) }
    }
}

extension ProjectionError {
    /// A position of a prompt of `positions` tokens: nil for the last, negative counting from
    /// the end (-1 is the last).
    static func resolvePosition(_ position: Int?, positions: Int) throws(ProjectionError) -> Int {
        guard let position else { return positions - 1 }
        let resolved = position < 0 ? positions + position : position
        guard resolved >= 0, resolved < positions else { throw .positionOutOfRange(position: position, positions: positions) }
        return resolved
    }
}
