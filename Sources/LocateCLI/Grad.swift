import ArgumentParser
import Foundation
import LocateCore
import LocateModel

struct Grad: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The gradient of log p(target) with respect to activations at hook points.",
        discussion: """
        Without --target the target is the model's own next token. A target of several tokens is \
        scored by teacher forcing (the sum of each token's log-probability given the ones before). \
        Gradients go to --out as NAME.npy with shape [T, …]; the JSON output adds a \
        gradient×activation saliency per token for each hook.
        """)

    @Argument(help: "The prompt.") var prompt: String
    @OptionGroup var options: ModelOptions
    @Option(help: "The target text (default: the model's next token).") var target: String?
    @Option(help: "A hook point to differentiate at (repeatable; `*` for every layer).") var at: [String] = []
    @Option(help: "Folder for the gradients (.npy).") var out: String?
    @Option(help: "A JSON file of interventions to apply.") var interventions: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        struct Hook: Encodable { let hook: String; let shape: [Int]; let file: String?; let saliency: [Float]; let gradientNorm: [Float] }
        let prompt: String
        let target: String
        let targetIDs: [Int]
        let objective: String
        let value: Float
        let tokens: [String]
        let hooks: [Hook]
    }

    func run() throws {
        guard !at.isEmpty else { throw ValidationError("name at least one hook with --at (e.g. --at blocks.10.mlp.hook_post)") }
        let model = try options.load()
        let hooks = try expandHooks(at, model: model)
        let edits = try interventions.map { try loadInterventions($0, model: model) } ?? []
        let promptIDs = try model.encode(prompt)
        let targetIDs: [Int]
        if let target {
            targetIDs = model.tokenizer.encode(target).ids
            guard !targetIDs.isEmpty else { throw ValidationError("the target is empty") }
        } else {
            let next = try model.run(tokens: [promptIDs], RunOptions(interventions: edits))
            let logits = next.logits(row: 0)!
            targetIDs = [logits.indices.max { logits[$0] < logits[$1] }!]
        }
        let tokens = promptIDs + targetIDs.dropLast()
        guard tokens.count <= model.config.contextLength else {
            throw ModelError.promptTooLong(tokens: tokens.count, context: model.config.contextLength)
        }
        let objective = Objective.sequenceLogProb(target: targetIDs, promptLength: promptIDs.count)
        let g = try model.gradient(tokens: [tokens], objective: objective, at: hooks,
                                   options: RunOptions(interventions: edits, record: .hooks(hooks)))
        var reports: [Report.Hook] = []
        for hook in hooks {
            let grad = g.activations[hook]!
            let shape = Array(grad.shape.dropFirst())
            let act = g.run.cache[hook]!
            let t = tokens.count
            let perPosition = grad.count / t
            var saliency = [Float](repeating: 0, count: t), norms = saliency
            if !hook.site.isAttentionMap {
                for p in 0..<t {
                    var s: Float = 0, n: Float = 0
                    for u in 0..<perPosition { s += grad.data[p * perPosition + u] * act.data[p * perPosition + u]; n += grad.data[p * perPosition + u] * grad.data[p * perPosition + u] }
                    saliency[p] = s; norms[p] = n.squareRoot()
                }
            }
            var file: String? = nil
            if let out {
                let url = URL(fileURLWithPath: out).appendingPathComponent("\(hook).npy")
                try NPY.write(NPYArray(shape: shape, floats: grad.data), to: url)
                file = url.path
            }
            reports.append(.init(hook: hook.description, shape: shape, file: file, saliency: saliency, gradientNorm: norms))
        }
        let targetText = model.tokenizer.decode(targetIDs)
        let report = Report(prompt: prompt, target: targetText, targetIDs: targetIDs,
                            objective: targetIDs.count == 1 ? "log p(target)" : "Σ log p(target_k | prompt, target_<k)",
                            value: g.value, tokens: tokens.map { model.tokenizer.decodePiece($0) }, hooks: reports)
        if json { try printJSON(report); return }
        print("objective \(report.objective) = \(String(format: "%.5f", g.value)) for target \"\(visible(targetText))\"")
        let labels = report.tokens.map { "\"\(visible($0))\"" }
        for r in reports {
            print("\n\(r.hook) \(r.shape)\(r.file.map { " → \($0)" } ?? "")")
            if !r.saliency.allSatisfy({ $0 == 0 }) {
                print("  position  token               grad·act    |grad|")
                for (p, label) in labels.enumerated() {
                    print("  \(String(p).padding(toLength: 8, withPad: " ", startingAt: 0))  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) \(String(format: "%9.5f  %9.5f", r.saliency[p], r.gradientNorm[p]))")
                }
            }
        }
    }
}
