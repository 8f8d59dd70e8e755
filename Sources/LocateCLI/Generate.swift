import ArgumentParser
import Foundation
import LocateModel

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue a prompt, greedily or by seeded sampling.")

    @Argument(help: "The prompt.") var prompt: String
    @OptionGroup var options: ModelOptions
    @Option(name: .customLong("max-tokens"), help: "How many tokens to generate at most.") var maxTokens = 24
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0: all).") var topK = 0
    @Option(name: .customLong("top-p"), help: "Sample among the smallest set of tokens reaching this probability.") var topP: Float = 1
    @Option(help: "A seed for repeatable sampling.") var seed: UInt64 = 0
    @Option(help: "A JSON file of interventions applied at every step.") var interventions: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable { let prompt: String; let ids: [Int]; let text: String; let stoppedAtEOS: Bool; let temperature: Float; let seed: UInt64 }

    func run() throws {
        guard temperature >= 0, topK >= 0, topP > 0, topP <= 1 else {
            throw ValidationError("temperature must be ≥ 0, top-k ≥ 0 and top-p in (0, 1]")
        }
        let model = try options.load()
        let edits = try interventions.map { try loadInterventions($0, model: model) } ?? []
        let g = try model.generate(prompt, maxTokens: maxTokens,
                                   sampling: Sampling(temperature: temperature, topK: topK, topP: topP, seed: seed), interventions: edits)
        if json {
            try printJSON(Report(prompt: prompt, ids: g.ids, text: g.text, stoppedAtEOS: g.stoppedAtEOS, temperature: temperature, seed: seed))
        } else {
            print(prompt + g.text)
        }
    }
}
