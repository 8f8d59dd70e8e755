/// Everything a run can refuse, each with a message saying what is wrong and what to do.
public enum ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    case emptyPrompt
    case promptTooLong(tokens: Int, context: Int)
    case tokenOutOfRange(id: Int, vocabulary: Int)
    case raggedBatch(lengths: [Int])
    case unknownHookPoint(name: String, suggestion: String)
    case layerOutOfRange(hook: String, layer: Int, layers: Int)
    case positionOutOfRange(hook: String, position: Int, positions: Int)
    case rowOutOfRange(hook: String, row: Int, rows: Int)
    case unitOutOfRange(hook: String, unit: Int, units: Int)
    case interventionShape(hook: String, expected: String, got: [Int])
    case patchSourceMissing(hook: String, source: String)
    case invalidResume(String)
    case missingWeight(String)
    case unsupportedArchitecture(String)
    case invalidReentry(hook: String, block: Int)
    case keptStateMissing
    case keptRunRows(Int)
    case missingReentryValue(hook: String, position: Int)
    case noHeads(hook: String)
    case weightShape(name: String, shape: [Int], expected: [Int])
    case unreadableWeight(name: String, reason: String)
    case emptyObjective
    case klReferenceWidth(count: Int, vocabulary: Int)
    case negativeCount(name: String, value: Int)
    case noVectorSite(hook: String)

    public var description: String {
        switch self {
        case .emptyPrompt:
            return "the prompt is empty: give at least one token of text"
        case let .promptTooLong(tokens, context):
            return "the prompt has \(tokens) tokens but the model's context holds \(context): shorten the prompt"
        case let .tokenOutOfRange(id, vocabulary):
            return "token id \(id) is outside the vocabulary of \(vocabulary) tokens"
        case let .raggedBatch(lengths):
            return "the rows of a batch must have the same number of tokens, got \(lengths): run prompts of different lengths separately"
        case let .unknownHookPoint(name, suggestion):
            return "unknown hook point \"\(name)\"; did you mean \"\(suggestion)\"? (`locate hooks` lists them all)"
        case let .layerOutOfRange(hook, layer, layers):
            return "\(hook): layer \(layer) does not exist; the model has layers 0…\(layers - 1)"
        case let .positionOutOfRange(hook, position, positions):
            return "\(hook): position \(position) is outside the prompt's \(positions) positions (0…\(positions - 1))"
        case let .rowOutOfRange(hook, row, rows):
            return "\(hook): batch row \(row) is outside the batch of \(rows) rows"
        case let .unitOutOfRange(hook, unit, units):
            return "\(hook): unit \(unit) is outside 0…\(units - 1)"
        case let .interventionShape(hook, expected, got):
            return "\(hook): the intervention's tensor has shape \(got), expected \(expected)"
        case let .patchSourceMissing(hook, source):
            return "\(hook): the patch source \(source) has no recording of this hook at these positions: record it in the source run"
        case let .invalidResume(reason):
            return "cannot resume from the cached run: \(reason)"
        case let .missingWeight(name):
            return "the model file has no tensor \(name); it is not a complete model of this architecture"
        case let .unsupportedArchitecture(name):
            return "architecture \"\(name)\" is not supported yet (supported: llama)"
        case let .invalidReentry(hook, block):
            return "a re-entry at block \(block) cannot put back \(hook): only blocks.\(block - 1).hook_resid_post, or hook_attn_out / hook_mlp_out of blocks ≥ \(block)"
        case .keptStateMissing:
            return "the kept run holds no state for every block: run it with keepState"
        case let .keptRunRows(rows):
            return "the kept run must have one row (it has \(rows)): keep the clean run of a single prompt"
        case let .missingReentryValue(hook, position):
            return "the values to put back lack \(hook) at position \(position): record that hook in the run they come from"
        case let .noHeads(hook):
            return "\(hook): this hook has no heads; select units instead"
        case let .weightShape(name, shape, expected):
            return "tensor \(name) has shape \(shape), the config implies \(expected): the model file is inconsistent; convert the model again"
        case let .unreadableWeight(name, reason):
            return "cannot read tensor \(name): \(reason)"
        case .emptyObjective:
            return "the objective has no terms: give at least one (row, position, token) to score"
        case let .klReferenceWidth(count, vocabulary):
            return "the KL reference has \(count) log-probabilities but the vocabulary has \(vocabulary): record the reference on the same model"
        case let .negativeCount(name, value):
            return "\(name) must be 0 or more (got \(value))"
        case let .noVectorSite(hook):
            return "no vector can be added at \(hook): give a hook of the residual stream or a sublayer and at least one (row, position) site"
        }
    }
}
