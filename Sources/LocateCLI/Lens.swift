import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// `locate lens`: the logit lens across layers.
struct Lens: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the residual stream predicts after each block (the logit lens).",
        discussion: """
        The residual stream at --position (default: the last token) is read before every block and \
        after the last one, through the model's final RMSNorm and unembedding, and softmaxed: the \
        table shows each state's top tokens and the target's probability and rank (1 = top). The \
        target defaults to the model's top next token; the last row is the model's own output.

        --out DIR writes lens.json (what --json prints), lens_probability.png (the target's \
        probability across layers) and lens_rank.png (log10 of its rank, 0 = top), each figure \
        with a JSON sidecar holding its numbers and the command that redraws it.
        """)

    @Argument(help: "The prompt.") var prompt: String
    @OptionGroup var options: ModelOptions
    @Option(help: "The token to follow (default: the model's top next token; a leading space is added).") var target: String?
    @Option(parsing: .unconditional, help: "The position to read; negative counts from the end (default: the last).") var position: Int?
    @Option(help: "Tokens shown per layer.") var top = 5
    @Option(help: "Output folder for lens.json and the figures.") var out: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    struct Report: Encodable {
        struct State: Encodable {
            let blocks: Int; let hook: String; let top: [ReportToken]
            let targetLogit: Float; let targetProbability: Float; let targetRank: Int
        }
        let model: String; let prompt: String; let tokens: [String]; let position: Int
        let target: ReportToken; let targetGiven: Bool; let targetIsTopToken: Bool; let note: String?
        let states: [State]
    }

    func run() throws {
        let model = try options.load()
        let ids = try model.encode(prompt)
        let wanted = try target.map { try TargetToken.resolve($0, tokenizer: model.tokenizer) }
        let result = try LogitLens(model: model).run(tokens: ids, position: position, target: wanted?.id, top: top)
        let last = result.states.last!
        let report = Report(
            model: model.source, prompt: prompt, tokens: model.tokenizer.decodePieces(ids), position: result.position,
            target: ReportToken(id: result.target, text: model.tokenizer.decodePiece(result.target), score: last.targetLogit),
            targetGiven: wanted != nil, targetIsTopToken: result.target == result.topToken, note: wanted?.note,
            states: result.states.map { .init(blocks: $0.blocks, hook: $0.hook, top: reportTokens($0.top, model), targetLogit: $0.targetLogit,
                                              targetProbability: $0.targetProbability, targetRank: $0.targetRank) })
        var outputs: [String] = []
        if let out { outputs = try write(report, folder: URL(fileURLWithPath: out)) }
        if json { try printJSON(report); return }
        if let note = report.note { print("note: \(note)") }
        print("tokens: " + report.tokens.map(quoted).joined(separator: " "))
        print(String(format: "position %d (%@); target %@ (id %d, %@)", report.position, quoted(report.tokens[report.position]),
                     quoted(report.target.text), report.target.id, targetOrigin(given: report.targetGiven, isTopToken: report.targetIsTopToken)))
        print("state            p(target)   rank  top tokens (probability)")
        for s in report.states {
            let label = s.blocks < result.states.count - 1 ? "resid_pre \(s.blocks)" : "resid_post \(s.blocks - 1)"
            print(label.padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: "  %9.5f %6d  ", s.targetProbability, s.targetRank) + formatTokens(s.top, format: "%.3f"))
        }
        for file in outputs { print("wrote \(file)") }
    }

    /// lens.json and the two figures; returns the paths written.
    private func write(_ report: Report, folder: URL) throws -> [String] {
        let json = folder.appendingPathComponent("lens.json")
        try writeReport(report, to: json)
        let target = quoted(report.target.text)
        let title = "Logit lens: \(target) after \(quoted(report.prompt)) (position \(report.position))"
        let xLabel = "Blocks applied (0 = embeddings) in \(modelDisplayName(report.model))"
        let probability = LinePlot(panels: [LinePanel(series: [
            Series(label: "p(\(target))", y: report.states.map { Double($0.targetProbability) })])],
            title: title, xLabel: xLabel, yLabel: "Probability of the target", legend: .none, yMin: 0)
        let rank = LinePlot(panels: [LinePanel(series: [
            Series(label: "rank of \(target)", y: report.states.map { Foundation.log10(Double($0.targetRank)) })])],
            title: title, xLabel: xLabel, yLabel: "log10 rank of the target (0 = top)", legend: .none, yMin: 0)
        let extras: [String: SidecarValue] = [
            "prompt": .string(report.prompt), "position": .int(report.position), "target": .string(report.target.text),
            "target_id": .int(report.target.id), "model": .string(report.model),
            "target_rank": .array(report.states.map { .int($0.targetRank) }),
        ]
        var written = [json.path]
        for (name, figure) in [("lens_probability", probability), ("lens_rank", rank)] {
            let png = folder.appendingPathComponent("\(name).png")
            try figure.write(to: png, command: reproducingCommand(), extras: extras)
            written += [png.path, FigureSidecar.sidecarURL(forPNG: png).path]
        }
        return written
    }
}
