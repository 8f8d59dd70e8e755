import ArgumentParser
import Foundation
import LocateCore
import LocateModel

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a prompt: the top next tokens, with activations recorded or changed at hook points.",
        discussion: """
        --record takes hook names such as blocks.12.hook_mlp_out (`locate hooks` lists them); write \
        blocks.*.hook_resid_post for every layer. Recorded activations go to --out as NAME.npy with \
        shape [T, …] (numpy.load reads them). --interventions reads a JSON list of interventions \
        (schema in the README).
        """)

    @Argument(help: "The prompt.") var prompt: String
    @OptionGroup var options: ModelOptions
    @Option(name: .customLong("top-k"), help: "How many next tokens to show.") var topK = 10
    @Option(help: "A hook point to record (repeatable; `*` for every layer).") var record: [String] = []
    @Option(help: "Folder for recorded activations (.npy).") var out: String?
    @Option(help: "A JSON file of interventions to apply.") var interventions: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        struct Token: Encodable { let position: Int; let id: Int; let text: String }
        struct Candidate: Encodable { let rank: Int; let id: Int; let text: String; let probability: Float; let logprob: Float }
        struct Recorded: Encodable { let hook: String; let shape: [Int]; let file: String? }
        let model: String
        let prompt: String
        let tokens: [Token]
        let top: [Candidate]
        let recorded: [Recorded]
        let interventions: [Intervention]
    }

    func validate() throws {
        try OptionCheck.count(topK, "--top-k", in: 1...Int.max)
    }

    func run() throws {
        let model = try options.load()
        let hooks = try expandHooks(record, model: model)
        let edits = try interventions.map { try loadInterventions($0, model: model) } ?? []
        if !hooks.isEmpty && out == nil && !json {
            throw ValidationError("--record needs --out DIR to write the activations to")
        }
        let ids = try model.encode(prompt)
        let result = try model.run(tokens: [ids], RunOptions(interventions: edits, record: .hooks(hooks)))
        let logp = result.logProbabilities()!
        let order = logp.indices.sorted { logp[$0] > logp[$1] }.prefix(max(1, topK))
        let top = order.enumerated().map { rank, id in
            Report.Candidate(rank: rank + 1, id: id, text: model.tokenizer.decodePiece(id), probability: Float(Foundation.exp(Double(logp[id]))), logprob: logp[id])
        }
        var recorded: [Report.Recorded] = []
        for hook in result.cache.hooks {
            let t = result.cache[hook]!
            let shape = Array(t.shape.dropFirst())   // one prompt: drop the batch axis
            var file: String? = nil
            if let out {
                let url = URL(fileURLWithPath: out).appendingPathComponent("\(hook).npy")
                try NPY.write(NPYArray(shape: shape, floats: t.data), to: url)
                file = url.path
            }
            recorded.append(.init(hook: hook.description, shape: shape, file: file))
        }
        let tokens = ids.enumerated().map { Report.Token(position: $0, id: $1, text: model.tokenizer.decodePiece($1)) }
        if json {
            try printJSON(Report(model: model.source, prompt: prompt, tokens: tokens, top: top, recorded: recorded, interventions: edits))
            return
        }
        print("tokens: " + tokens.map { "\"\(visible($0.text))\"" }.joined(separator: " "))
        if !edits.isEmpty { print("interventions: \(edits.count)") }
        print("rank  id      probability  log-prob  token")
        for c in top {
            print("\(String(c.rank).padding(toLength: 5, withPad: " ", startingAt: 0)) \(String(c.id).padding(toLength: 7, withPad: " ", startingAt: 0)) \(String(format: "%11.5f  %8.4f", c.probability, c.logprob))  \"\(visible(c.text))\"")
        }
        for r in recorded { print("recorded \(r.hook) \(r.shape) → \(r.file ?? "-")") }
    }
}

/// Parses hook names, expanding `blocks.*.X` to every layer.
func expandHooks(_ names: [String], model: Transformer) throws -> [HookPoint] {
    var out: [HookPoint] = []
    for name in names {
        if name.hasPrefix("blocks.*.") {
            let rest = String(name.dropFirst("blocks.*.".count))
            for l in 0..<model.layerCount { out.append(try model.hook("blocks.\(l).\(rest)")) }
        } else {
            out.append(try model.hook(name))
        }
    }
    return out
}

/// Reads a JSON list of interventions, checking each hook against the model.
func loadInterventions(_ path: String, model: Transformer) throws -> [Intervention] {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw ValidationError("cannot read the interventions file \(path): \(error.localizedDescription)")
    }
    let list: [Intervention]
    do { list = try JSONDecoder().decode([Intervention].self, from: data) } catch let error as DecodingError {
        throw ValidationError("\(path) is not a valid interventions file: \(describe(error))")
    }
    for i in list { _ = try model.hook(i.hook.description) }
    return list
}

func describe(_ error: DecodingError) -> String {
    func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() }
    switch error {
    case .dataCorrupted(let c): return "at \(path(c.codingPath).isEmpty ? "top level" : path(c.codingPath)): \(c.debugDescription)"
    case .keyNotFound(let k, let c): return "at \(path(c.codingPath)): missing key \"\(k.stringValue)\""
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "at \(path(c.codingPath)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
