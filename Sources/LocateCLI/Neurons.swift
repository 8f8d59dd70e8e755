import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// `locate neurons "<prompt>"`: knowledge neurons by integrated gradients.
struct Neurons: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Knowledge neurons (Dai et al. 2022): integrated-gradient attribution of p(target) to MLP neurons.",
        discussion: """
        Each layer's neuron activations at the last position (blocks.L.mlp.hook_post, act(gate)·up, \
        the input of W_out) are scaled from 0 to their value over --steps points and the gradients \
        of p(target) integrated along the path (EleutherAI's rule, linspace, both ends; --rule left \
        for Dai's left Riemann sum). --site gate attributes the gate pre-activation instead, as \
        EasyEdit's KN does for llama models. All layers' steps run as one batch through the last \
        position only.

        Coarse neurons score above --threshold × the highest score; with --paraphrase prompts the \
        neurons coarse in at least --share of the prompts are kept (Dai's refinement). The found \
        neurons are then suppressed (×0) and amplified (×2), next to as many random neurons of the \
        same layers, and p(target) printed before and after.

        A target of several tokens is attributed token by token under teacher forcing and the \
        scores averaged (EleutherAI's multi-token rule); the checks use its first token.

        --probes FILE runs every fact the model knows in a probe set and writes records.jsonl (a \
        header naming the settings, then a record per fact, flushed as each finishes; a rerun with \
        the same settings resumes, --force starts over) and a summary figure of found against \
        random neurons.
        """)

    @Argument(help: "The prompt.") var prompt: String?
    @OptionGroup var options: ModelOptions
    @Option(help: "The answer to attribute (default: the model's next token).") var target: String?
    @Option(help: "Layers: all, a-b, or a comma list.") var layers = "all"
    @Option(help: "Integration steps.") var steps = 20
    @Option(help: "Riemann rule: linspace (EleutherAI) or left (Dai).") var rule: KnowledgeNeurons.Rule = .linspace
    @Option(help: "Attributed activation: post (act(gate)·up) or gate (gate pre-activation, EasyEdit).") var site: KnowledgeNeurons.Site = .post
    @Option(help: "Coarse neurons: score > threshold × max score.") var threshold: Float = 0.2
    @Option(help: "A paraphrase of the prompt (repeatable).") var paraphrase: [String] = []
    @Option(help: "Refining: keep neurons coarse in at least this share of the prompts.") var share = 0.7
    @Option(help: "Seed for the random comparison neurons.") var seed: UInt64 = 1
    @Option(help: "Neurons listed.") var top = 20
    @Option(help: "Output folder.") var out: String?
    @Option(help: "Run every known fact of a probe set (JSONL, known_1000 or CounterFact).") var probes: String?
    @Option(help: "With --probes: only the first N facts.") var limit: Int?
    @Flag(help: "With --probes: start the records file over instead of resuming it.") var force = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func settings(layerCount: Int) throws -> KnowledgeNeurons.Settings {
        try OptionCheck.count(steps, "--steps", in: 1...10_000, why: "each step is a batch row of every layer's run")
        try OptionCheck.real(threshold, "--threshold", in: 0...1)
        try OptionCheck.real(share, "--share", in: 0...1)
        guard share > 0 else { throw ValidationError("--share 0: give a fraction of the prompts in (0, 1], e.g. 0.7") }
        try OptionCheck.count(top, "--top", in: 1...Int.max)
        if let limit { try OptionCheck.count(limit, "--limit", in: 1...Int.max) }
        return KnowledgeNeurons.Settings(steps: steps, rule: rule, site: site, layers: try parseLayers(layers, count: layerCount))
    }

    func run() throws {
        if let probes { return try NeuronsProbesJob(command: self, file: probes).run() }
        guard let prompt else { throw ValidationError("give a prompt, e.g. locate neurons \"The capital of France is\" --target Paris") }
        let start = Date()
        let model = try options.load()
        let finder = KnowledgeNeurons(model: model)
        let settings = try settings(layerCount: model.layerCount)
        let prompts = [prompt] + paraphrase
        let ids = try prompts.map { try model.encode($0) }
        let answer = try targetTokens(model: model, prompt: ids[0])
        if answer.count > 1 && !json {
            print("note: \"\(visible(model.tokenizer.decode(answer)))\" is \(answer.count) tokens; scores are averaged over them by teacher forcing")
        }
        var attributions: [KnowledgeNeurons.Attribution] = []
        for (i, tokens) in ids.enumerated() {
            attributions.append(try finder.attribute(tokens: tokens, answer: answer, settings: settings))
            if !json && isatty(2) != 0 { FileHandle.standardError.write(Data("\rattributed \(i + 1)/\(ids.count) prompts".utf8)) }
        }
        if !json && isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        let coarse = attributions.map { $0.coarse(threshold: threshold) }
        let found = prompts.count > 1 ? KnowledgeNeurons.refine(coarse, share: share) : coarse[0]
        let checks = try ids.map { try finder.check(neurons: found, tokens: $0, target: answer[0], site: site, seed: seed) }

        let report = NeuronsReport(model: model, prompts: prompts, answer: answer, settings: settings, threshold: threshold,
                                   share: prompts.count > 1 ? share : nil, attributions: attributions, coarse: coarse,
                                   found: found, checks: checks, top: top, seconds: 0)
        var outputs: [String] = []
        if let out { outputs = try report.write(to: URL(fileURLWithPath: out), command: reproducingCommand()) }
        let seconds = Date().timeIntervalSince(start)
        if json { try printJSON(report.with(seconds: seconds, outputs: outputs)); return }
        report.printText(model: model)
        if !outputs.isEmpty { print("wrote \(out!)/ (\(outputs.count) files)") }
        print(String(format: "%.1f s", seconds))
    }

    /// The answer's token ids: the target with a leading space (as ROME and EasyEdit add), else the model's next token.
    func targetTokens(model: Transformer, prompt: [Int]) throws -> [Int] {
        if let target {
            let text = target.first?.isWhitespace == true ? target : " " + target
            let ids = model.tokenizer.encode(text).ids
            guard !ids.isEmpty else { throw ValidationError("--target is empty") }
            return ids
        }
        let logits = try model.run(tokens: [prompt]).logits(row: 0)!
        return [logits.indices.max { logits[$0] < logits[$1] }!]
    }
}

extension KnowledgeNeurons.Rule: ExpressibleByArgument {}
extension KnowledgeNeurons.Site: ExpressibleByArgument {}

/// `all`, `a-b` or `a,b,c` as layer indices (nil for all).
func parseLayers(_ text: String, count: Int) throws -> [Int]? {
    if text == "all" { return nil }
    var layers: [Int] = []
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard bounds.allSatisfy({ $0 != nil }), (1...2).contains(bounds.count) else {
            throw ValidationError("layers are all, a-b or a comma list such as 0,5,10-12; got \"\(text)\"")
        }
        let lo = bounds[0]!, hi = bounds.last!!
        guard lo <= hi, lo >= 0, hi < count else { throw ValidationError("layer range \(part) is outside 0-\(count - 1)") }
        layers += Array(lo...hi)
    }
    return Array(Set(layers)).sorted()
}
