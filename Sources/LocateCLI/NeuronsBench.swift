import ArgumentParser
import Foundation
import LocateMethods
import LocateModel

extension Bench {
    struct Neurons: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds for all-layer integrated-gradient attribution (30 layers × 20 steps), next to the reference's.",
            discussion: """
            Reference: EleutherAI's knowledge-neurons code ported to llama (one clean forward plus two \
            forward+backward passes of batch 10 per layer), PyTorch float32, 2 threads, quiet re-runs \
            (../shared/reference/ORACLE.md §4.2: k0 15.4 s, k1 25.5 s).
            """)

        @OptionGroup var options: ModelOptions
        @Option(help: "Repetitions (the median is printed).") var repetitions = 3

        func run() throws {
            let model = try options.load()
            let finder = KnowledgeNeurons(model: model)
            let cases: [(String, String, Double)] = [
                ("k0", "The capital of France is", 15.4),
                ("k1", "The mother tongue of Danielle Darrieux is", 25.5),
            ]
            print("case  T   locate (s)   PyTorch (s)   speed-up")
            for (name, prompt, reference) in cases {
                let ids = try model.encode(prompt)
                let next = try model.run(tokens: [ids]).logits(row: 0)!
                let target = next.indices.max { next[$0] < next[$1] }!
                let t = try time(repetitions) { _ = try finder.attribute(tokens: ids, target: target) }
                let seconds = t.median / 1000
                print("\(name)    \(String(ids.count).padding(toLength: 3, withPad: " ", startingAt: 0)) \(String(format: "%8.3f     %9.1f        %6.1f×", seconds, reference, reference / seconds))")
            }
        }
    }
}
