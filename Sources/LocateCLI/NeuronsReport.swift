import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// What `locate neurons` prints and writes for one fact.
struct NeuronsReport: Encodable {
    struct Scored: Encodable { let layer: Int; let neuron: Int; let score: Float; let activation: Float }
    struct PromptResult: Encodable {
        let prompt: String
        let probability: Float
        let maxScore: Float
        let top: [Scored]
        let coarse: [[Int]]
        let check: KnowledgeNeurons.Check
    }
    let model: String
    let answer: String
    let answerIDs: [Int]
    let site: String
    let hook: String
    let rule: String
    let steps: Int
    let layers: [Int]
    let threshold: Float
    let share: Double?
    let prompts: [PromptResult]
    let neurons: [[Int]]
    let layerMass: [Float]
    var seconds: Double
    var outputs: [String] = []

    private let attributions: [KnowledgeNeurons.Attribution]

    enum CodingKeys: String, CodingKey {
        case model, answer, answerIDs, site, hook, rule, steps, layers, threshold, share, prompts, neurons, layerMass, seconds, outputs
    }

    init(model: Transformer, prompts: [String], answer: [Int], settings: KnowledgeNeurons.Settings, threshold: Float, share: Double?,
         attributions: [KnowledgeNeurons.Attribution], coarse: [[KnowledgeNeurons.Neuron]], found: [KnowledgeNeurons.Neuron],
         checks: [KnowledgeNeurons.Check], top: Int, seconds: Double) {
        self.model = model.source
        self.answer = model.tokenizer.decode(answer)
        answerIDs = answer
        site = settings.site.rawValue
        hook = settings.site.hook(0).description.replacingOccurrences(of: "blocks.0.", with: "blocks.L.")
        rule = settings.rule.rawValue
        steps = settings.steps
        layers = attributions[0].layers
        self.threshold = threshold
        self.share = share
        self.prompts = prompts.indices.map { i in
            let a = attributions[i]
            return PromptResult(prompt: prompts[i], probability: a.probability, maxScore: a.maxScore,
                                top: a.top(top).map { Scored(layer: $0.layer, neuron: $0.index, score: a.score($0)!, activation: a.activation($0)!) },
                                coarse: coarse[i].map { [$0.layer, $0.index] }, check: checks[i])
        }
        neurons = found.map { [$0.layer, $0.index] }
        layerMass = attributions[0].layerMass
        self.seconds = seconds
        self.attributions = attributions
    }

    func with(seconds: Double, outputs: [String]) -> NeuronsReport {
        var copy = self
        copy.seconds = seconds; copy.outputs = outputs
        return copy
    }

    /// neurons.json, scores.npy and activations.npy ([L, F] of the first prompt; scores-k.npy for
    /// paraphrase k), layers.png and top-neurons.png with sidecars.
    func write(to folder: URL, command: String) throws -> [String] {
        var outputs: [String] = []
        let first = attributions[0]
        for (k, a) in attributions.enumerated() {
            let url = folder.appendingPathComponent(k == 0 ? "scores.npy" : "scores-\(k).npy")
            try NPY.write(NPYArray(shape: [a.layers.count, a.width], floats: a.scores), to: url)
            outputs.append(url.path)
        }
        let activations = folder.appendingPathComponent("activations.npy")
        try NPY.write(NPYArray(shape: [first.layers.count, first.width], floats: first.activations), to: activations)
        outputs.append(activations.path)

        let extras: [String: SidecarValue] = [
            "prompt": .string(prompts[0].prompt), "answer": .string(answer), "answer_ids": .array(answerIDs.map { .int($0) }),
            "site": .string(site), "rule": .string(rule), "steps": .int(steps), "threshold": .double(Double(threshold)),
            "neurons": .array(neurons.map { .array($0.map { .int($0) }) }), "model": .string(model),
        ]
        let withNeurons = Set(neurons.compactMap { n in layers.firstIndex(of: n[0]) })
        let mass = BarChart(values: layerMass.map(Double.init), labels: layers.map(String.init),
                            title: "Attribution mass per layer, p(\(answer.trimmingCharacters(in: .whitespaces))) after \"\(prompts[0].prompt)\"",
                            xLabel: "layer (knowledge-neuron layers highlighted)", yLabel: "sum of positive scores",
                            highlighted: withNeurons)
        let massURL = folder.appendingPathComponent("layers.png")
        try mass.write(to: massURL, command: command, extras: extras)
        let best = prompts[0].top
        let chart = BarChart(values: best.map { Double($0.score) }, labels: best.map { "\($0.layer).\($0.neuron)" },
                             title: "Top neurons (layer.index) by integrated gradients", xLabel: "neuron", yLabel: "attribution",
                             highlighted: Set(best.indices.filter { i in neurons.contains([best[i].layer, best[i].neuron]) }))
        let topURL = folder.appendingPathComponent("top-neurons.png")
        try chart.write(to: topURL, command: command, extras: extras)
        outputs += [massURL.path, FigureSidecar.sidecarURL(forPNG: massURL).path, topURL.path, FigureSidecar.sidecarURL(forPNG: topURL).path]

        let reportURL = folder.appendingPathComponent("neurons.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(with(seconds: seconds, outputs: outputs)), to: reportURL)
        return outputs + [reportURL.path]
    }

    func printText(model: Transformer) {
        print("target \"\(visible(answer))\" \(answerIDs); \(layers.count) layers × \(steps) steps (\(rule)) at \(hook)")
        for (k, p) in prompts.enumerated() {
            print(String(format: "%@\"%@\": p(target) %.4f, max score %.4f", k == 0 ? "" : "paraphrase: ", p.prompt, p.probability, p.maxScore))
            if k == 0 {
                print("  layer  neuron     score   activation")
                for s in p.top { print(String(format: "  %5d  %6d  %8.4f  %11.4f", s.layer, s.neuron, s.score, s.activation)) }
            }
            print("  coarse neurons (score > \(threshold) × max): \(p.coarse.count)")
        }
        let list = neurons.prefix(30).map { "(\($0[0]),\($0[1]))" }.joined(separator: " ")
        print("knowledge neurons: \(neurons.count)\(share.map { " (coarse in ≥ \(Int(($0 * 100).rounded()))% of \(prompts.count) prompts)" } ?? "")  \(list)\(neurons.count > 30 ? " …" : "")")
        guard !neurons.isEmpty else { return }
        print("p(target) before → suppressed (×0) / amplified (×2):")
        for p in prompts {
            let c = p.check
            func line(_ name: String, _ e: KnowledgeNeurons.Effect, _ n: Int) -> String {
                String(format: "  %@ (%d): %.4f → %.4f (%+.1f%%) / %.4f (%+.1f%%)", name, n, e.before, e.suppressed, 100 * e.suppressedChange,
                       e.amplified, 100 * e.amplifiedChange)
            }
            if prompts.count > 1 { print("  \"\(p.prompt)\"") }
            print(line("found ", c.found, c.neurons.count))
            print(line("random", c.random, c.randomNeurons.count))
        }
    }
}
