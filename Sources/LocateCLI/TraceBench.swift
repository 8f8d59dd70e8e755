import ArgumentParser
import Foundation
import LocateMethods
import LocateModel

extension Bench {
    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds for a full three-kind causal trace (hidden, mlp, attn), next to ROME's PyTorch code.",
            discussion: "Reference: ROME's causal_trace.py ported to llama, PyTorch 2.15 float32, 2 threads, quiet re-runs (ORACLE.md §3.3).")

        @OptionGroup var options: ModelOptions
        @Option(help: "Repetitions (the median is printed).") var repetitions = 3

        func run() throws {
            let model = try options.load()
            // (case, prompt, subject, PyTorch seconds for the three kinds, quiet re-run)
            let cases: [(String, String, String, Double)] = [
                ("c0", "SMAP was created in", "SMAP", 67.9),
                ("c1", "The capital of France is", "France", 78.1),
                ("c2", "The Eiffel Tower is located in the city of", "Eiffel Tower", 210.2),
                ("c4", "The native language of Vladimir Putin is", "Vladimir Putin", 120.3),
            ]
            print("case  T   locate (s)   PyTorch ROME (s)   speed-up")
            for (name, prompt, subject, reference) in cases {
                let ids = try model.encode(prompt)
                let range = try model.tokenizer.tokenRange(of: subject, in: prompt)
                let next = try model.run(tokens: [ids]).logits(row: 0)!
                let answer = next.indices.max { next[$0] < next[$1] }!
                let noise = CausalTrace.Noise.rome(level: 0.34998276829719543, samples: 10, subjectTokens: range.count, width: model.config.embeddingLength)
                let trace = CausalTrace(model: model)
                let t = try time(repetitions) { _ = try trace.run(CausalTrace.Case(tokens: ids, subject: range, answer: [answer]), noise: noise) }
                let seconds = t.median / 1000
                print("\(name)    \(String(ids.count).padding(toLength: 3, withPad: " ", startingAt: 0)) \(String(format: "%8.2f     %10.1f          %6.1f×", seconds, reference, reference / seconds))")
            }
        }
    }
}
