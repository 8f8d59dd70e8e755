import ArgumentParser
import Foundation
import LocateCore
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
            let peak = Self.matmulPeak()
            print("OpenBLAS float32 matrix products here: \(String(format: "%.0f", peak / 1e9)) GFLOP/s at best (2048×1536×576).")
            print("exact work = the matrix products any exact float32 computation of the cells must do (a lower bound); floor = that work at the peak rate.")
            print("")
            print("case  T   locate (s)   PyTorch ROME (s)   speed-up   exact work   GFLOP/s   floor (s)   best speed-up")
            for (name, prompt, subject, reference) in cases {
                let ids = try model.encode(prompt)
                let range = try model.tokenizer.tokenRange(of: subject, in: prompt)
                let next = try model.run(tokens: [ids]).logits(row: 0)!
                let answer = next.indices.max { next[$0] < next[$1] }!
                let noise = CausalTrace.Noise.rome(level: 0.34998276829719543, samples: 10, subjectTokens: range.count, width: model.config.embeddingLength)
                let trace = CausalTrace(model: model)
                let traceCase = CausalTrace.Case(tokens: ids, subject: range, answer: [answer])
                let t = try time(repetitions) { _ = try trace.run(traceCase, noise: noise) }
                let seconds = t.median / 1000
                let work = trace.matrixWork(traceCase, samples: 10)
                print(String(format: "%@    %-3d %8.2f     %10.1f          %6.1f×   %6.2f TFLOP  %7.0f   %8.2f      %6.1f×",
                             name, ids.count, seconds, reference, reference / seconds, work / 1e12, work / seconds / 1e9,
                             work / peak, reference / (work / peak)))
            }
        }

        /// FLOP/s of a large float32 matrix product through the project's own `Matmul.linear`
        /// (the best of five), on Gaussian values: constant inputs run about 15 % faster here
        /// (less switching power, higher clock) and would overstate the rate real weights get.
        static func matmulPeak() -> Double {
            let (m, n, k) = (2048, 1536, 576)
            let random = RandomSource(seed: 1)
            let x = random.gaussians(count: m * k, std: 1), w = random.gaussians(count: n * k, std: 0.05)
            var y = [Float](repeating: 0, count: m * n)
            var best = Double.infinity
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                x.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { w in y.withUnsafeMutableBufferPointer { y in
                    Matmul.linear(x.baseAddress!, w.baseAddress!, y.baseAddress!, m: m, n: n, k: k)
                } } }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return 2 * Double(m * n * k) / best
        }
    }
}
