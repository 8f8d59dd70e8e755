import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// `locate vocab`: FFN value vectors read in vocabulary space (Geva et al. 2022).
struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read MLP value vectors in vocabulary space: what neurons promote, or which sub-updates drive a prediction.",
        discussion: """
        Without a prompt, --layer L projects each value vector v_i (column i of the layer's W_out) \
        through the unembedding E and prints its top tokens with their scores E·v_i: the tokens the \
        neuron promotes when it fires positively (Geva et al. 2022). --final-norm projects g ⊙ v_i, \
        g the final RMSNorm gain, as the model's own output path would (without the 1/rms factor, \
        which does not change the ranking).

        With a prompt, the MLP output at --position (default: the last token) is split into its \
        sub-updates m_i·v_i, which are ranked per layer by importance |m_i|·‖v_i‖ (LM-Debugger's \
        view). Each is shown with the top tokens of m_i·(E v_i) (a negative m_i promotes the \
        lowest-scoring tokens of v_i) and its effect m_i·(E v_i)[target] on the target's logit; \
        the target defaults to the model's top next token. The sub-updates that raise the target \
        most over all analysed layers are listed last. Effects are on the logit before the final \
        norm divides by the residual's RMS, so they grow with depth: compare them with one another, \
        not with the model's logits.

        --out DIR writes vocab.json (what --json prints) and, with a prompt, mlp_target_logit.png: \
        each layer's MLP contribution to the target logit, with a JSON sidecar.
        """)

    @Argument(help: "A prompt to analyse (omit it and give --layer to project neurons).") var prompt: String?
    @OptionGroup var options: ModelOptions
    @Option(help: "The layer whose value vectors to project (with a prompt: the one layer to analyse).") var layer: Int?
    @Option(help: "Neurons to project, e.g. 0,1,5-9 (default: every neuron of the layer).") var neurons: String?
    @Option(help: "With a prompt: layers to analyse, e.g. 20-29 or 3,7 (default: all).") var layers: String?
    @Option(parsing: .unconditional, help: "With a prompt: the position to analyse; negative counts from the end (default: the last).")
    var position: Int?
    @Option(help: "With a prompt: the token whose logit to follow (default: the model's top next token; a leading space is added).")
    var target: String?
    @Option(help: "Tokens shown per value vector or sub-update.") var top = 10
    @Option(name: .customLong("sub-updates"), help: "With a prompt: sub-updates shown per layer.") var subUpdates = 10
    @Flag(name: .customLong("final-norm"), help: "Project g ⊙ v_i with the final norm's gain g instead of v_i.") var finalNorm = false
    @Option(help: "Output folder for vocab.json (and, with a prompt, a figure).") var out: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if prompt == nil {
            guard layer != nil else {
                throw ValidationError("give --layer L to project value vectors, or a prompt to analyse, e.g. locate vocab \"The capital of France is\"")
            }
            let promptOnly = [("--layers", layers != nil), ("--position", position != nil), ("--target", target != nil)]
            if let (name, _) = promptOnly.first(where: { $0.1 }) { throw ValidationError("\(name) needs a prompt to analyse") }
        } else {
            if neurons != nil { throw ValidationError("--neurons projects value vectors without a prompt; with a prompt, sub-updates are chosen by importance") }
            if layer != nil && layers != nil { throw ValidationError("give either --layer or --layers, not both") }
        }
        _ = try neurons.map { try parseIndexList($0, option: "--neurons") }
        _ = try layers.map { try parseIndexList($0, option: "--layers") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if subUpdates < 1 { throw ValidationError("--sub-updates must be at least 1") }
    }

    var variant: VocabularyProjection.Variant { finalNorm ? .finalNormGain : .raw }

    func run() throws {
        let model = try options.load()
        if let prompt { try analyse(prompt, model: model) } else { try projectNeurons(model: model) }
    }

    // MARK: - Neurons

    struct NeuronReport: Encodable {
        struct Row: Encodable { let neuron: Int; let valueNorm: Float; let top: [ReportToken] }
        let model: String; let layer: Int; let variant: String; let rows: [Row]
    }

    private func projectNeurons(model: Transformer) throws {
        let layer = layer!
        let indices = try neurons.map { try parseIndexList($0, option: "--neurons") }
        let rows = try VocabularyProjection(model: model).project(layer: layer, neurons: indices, top: top, variant: variant)
        let report = NeuronReport(model: model.source, layer: layer, variant: variant.rawValue,
                                  rows: rows.map { .init(neuron: $0.neuron, valueNorm: $0.valueNorm, top: reportTokens($0.top, model)) })
        if let out { try writeReport(report, to: URL(fileURLWithPath: out).appendingPathComponent("vocab.json")) }
        if json { try printJSON(report); return }
        print("layer \(layer): value vectors through the unembedding, \(finalNorm ? "E·(g ⊙ v_i)" : "E·v_i"), top \(top) tokens")
        print("neuron   ‖v_i‖  top tokens (score)")
        for row in report.rows {
            print(String(format: "%6d  %6.3f  ", row.neuron, row.valueNorm) + formatTokens(row.top, format: "%.3f"))
        }
        if let out { print("wrote \(out)/vocab.json") }
    }

    // MARK: - Prompt

    struct PromptReport: Encodable {
        struct SubUpdate: Encodable {
            let layer: Int; let neuron: Int; let coefficient: Float; let valueNorm: Float
            let importance: Float; let targetEffect: Float; let top: [ReportToken]
        }
        struct Layer: Encodable { let layer: Int; let mlpTargetEffect: Float; let mlpTop: [ReportToken]; let subUpdates: [SubUpdate] }
        let model: String; let prompt: String; let tokens: [String]; let position: Int
        let target: ReportToken; let targetGiven: Bool; let targetIsTopToken: Bool; let note: String?; let variant: String
        let layers: [Layer]; let promoters: [SubUpdate]
    }

    private func analyse(_ prompt: String, model: Transformer) throws {
        let ids = try model.encode(prompt)
        let chosen: [Int]? = try layer.map { [$0] } ?? layers.map { try parseIndexList($0, option: "--layers") }
        let wanted = try target.map { try TargetToken.resolve($0, tokenizer: model.tokenizer) }
        let result = try SubUpdates(model: model, variant: variant).analyze(
            tokens: ids, position: position, layers: chosen, target: wanted?.id, perLayer: subUpdates, topTokens: top)
        func sub(_ s: SubUpdates.SubUpdate) -> PromptReport.SubUpdate {
            .init(layer: s.layer, neuron: s.neuron, coefficient: s.coefficient, valueNorm: s.valueNorm, importance: s.importance,
                  targetEffect: s.targetEffect, top: reportTokens(s.top, model))
        }
        let report = PromptReport(
            model: model.source, prompt: prompt, tokens: model.tokenizer.decodePieces(ids), position: result.position,
            target: ReportToken(id: result.target, text: model.tokenizer.decodePiece(result.target), score: result.targetLogit),
            targetGiven: wanted != nil, targetIsTopToken: result.target == result.topToken, note: wanted?.note, variant: variant.rawValue,
            layers: result.layers.map { .init(layer: $0.layer, mlpTargetEffect: $0.mlpTargetEffect, mlpTop: reportTokens($0.mlpTop, model),
                                              subUpdates: $0.subUpdates.map(sub)) },
            promoters: result.promoters.map(sub))
        var outputs: [String] = []
        if let out { outputs = try writePromptOutputs(report, folder: URL(fileURLWithPath: out)) }
        if json { try printJSON(report); return }
        printPromptReport(report)
        for file in outputs { print("wrote \(file)") }
    }

    private func printPromptReport(_ r: PromptReport) {
        if let note = r.note { print("note: \(note)") }
        print("tokens: " + r.tokens.map(quoted).joined(separator: " "))
        let origin = targetOrigin(given: r.targetGiven, isTopToken: r.targetIsTopToken)
        print(String(format: "position %d (%@); target %@ (id %d, %@), logit %.3f", r.position, quoted(r.tokens[r.position]),
                     quoted(r.target.text), r.target.id, origin, r.target.score))
        print("sub-updates m_i·v_i by importance |m_i|·‖v_i‖; Δtarget = m_i·(E v_i)[target]; tokens ranked by m_i·(E v_i)")
        for layer in r.layers {
            print(String(format: "\nlayer %d: the MLP adds %+.3f to the target's logit; it promotes ", layer.layer, layer.mlpTargetEffect)
                  + layer.mlpTop.prefix(5).map { quoted($0.text) }.joined(separator: " "))
            print("  neuron      m_i   ‖v_i‖  |m|·‖v‖  Δtarget  top tokens of m_i·(E v_i)")
            for s in layer.subUpdates { print(subUpdateLine(s, prefix: String(format: "  %6d", s.neuron))) }
        }
        print("\nsub-updates that raise \(quoted(r.target.text)) most:")
        print("  layer neuron      m_i   ‖v_i‖  |m|·‖v‖  Δtarget  top tokens of m_i·(E v_i)")
        for s in r.promoters { print(subUpdateLine(s, prefix: String(format: "  %5d %6d", s.layer, s.neuron))) }
    }

    private func subUpdateLine(_ s: PromptReport.SubUpdate, prefix: String) -> String {
        prefix + String(format: " %8.3f %7.3f %8.3f %+8.3f  ", s.coefficient, s.valueNorm, s.importance, s.targetEffect)
            + formatTokens(s.top, format: "%+.2f")
    }

    private func writePromptOutputs(_ report: PromptReport, folder: URL) throws -> [String] {
        let json = folder.appendingPathComponent("vocab.json")
        try writeReport(report, to: json)
        let chart = BarChart(values: report.layers.map { Double($0.mlpTargetEffect) }, labels: report.layers.map { String($0.layer) },
                             title: "MLP contribution to the logit of \(quoted(report.target.text)) after \(quoted(report.prompt))",
                             xLabel: "Layer", yLabel: "(E · mlp_out)[target]")
        let png = folder.appendingPathComponent("mlp_target_logit.png")
        try chart.write(to: png, command: reproducingCommand(), extras: [
            "prompt": .string(report.prompt), "position": .int(report.position), "target": .string(report.target.text),
            "target_id": .int(report.target.id), "model": .string(report.model), "variant": .string(report.variant),
        ])
        return [json.path, png.path, FigureSidecar.sidecarURL(forPNG: png).path]
    }
}

/// A token in a report: id, text and the score it was ranked by.
struct ReportToken: Encodable {
    let id: Int; let text: String; let score: Float
}

func reportTokens(_ tokens: [TokenScore], _ model: Transformer) -> [ReportToken] {
    tokens.map { ReportToken(id: $0.id, text: model.tokenizer.decodePiece($0.id), score: $0.score) }
}

/// `" said" 4.209 · "out" 2.908 · …`: quoted tokens, scores in `format`.
func formatTokens(_ tokens: [ReportToken], format: String) -> String {
    tokens.map { quoted($0.text) + " " + String(format: format, $0.score) }.joined(separator: " · ")
}

/// A token in double quotes, readable in a terminal: backslashes and quotes escaped, then
/// newlines, tabs and carriage returns written as \n, \t, \r; spaces stay (visible between the quotes).
func quoted(_ text: String) -> String {
    "\"" + visible(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")) + "\""
}

/// How a report names where its target came from.
func targetOrigin(given: Bool, isTopToken: Bool) -> String {
    guard given else { return "the model's top next token" }
    return isTopToken ? "given; also the model's top next token" : "given"
}

/// Writes an Encodable as pretty JSON, atomically.
func writeReport<T: Encodable>(_ value: T, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    try AtomicFile.write(try encoder.encode(value) + Data("\n".utf8), to: url)
}

/// Parses `0,1,5-9` into [0, 1, 5, 6, 7, 8, 9] (ranges inclusive, order kept).
func parseIndexList(_ text: String, option: String) throws -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count), let lower = Int(bounds[0]), let upper = Int(bounds[bounds.count - 1]), lower <= upper else {
            throw ValidationError("\(option) takes indices and inclusive ranges such as 0,1,5-9; \"\(part)\" is not one")
        }
        out += Array(lower...upper)
    }
    return out
}
