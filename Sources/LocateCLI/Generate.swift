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

    func validate() throws {
        try OptionCheck.count(maxTokens, "--max-tokens", in: 1...Int.max)
        try OptionCheck.real(temperature, "--temperature", in: 0...1000)
        try OptionCheck.count(topK, "--top-k", in: 0...Int.max)
        try OptionCheck.real(topP, "--top-p", in: Float.leastNonzeroMagnitude...1)
    }

    func run() throws {
        let model = try options.load()
        let promptTokens = try model.encode(prompt).count
        let room = model.config.contextLength - promptTokens
        try OptionCheck.count(maxTokens, "--max-tokens", in: 1...max(1, room),
                        why: "the prompt's \(promptTokens) tokens and the generated ones must fit the model's context of \(model.config.contextLength)")
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
