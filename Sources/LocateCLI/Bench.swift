import ArgumentParser
import Foundation
import LocateCore
import LocateModel

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed and print it next to the PyTorch and llama.cpp reference figures.",
        subcommands: [Forward.self, Gradient.self, Trace.self, Neurons.self])

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Milliseconds per forward pass (8, 32, 128 tokens × batch 1 and 11) and per generated token.",
            discussion: """
            The reference columns are read from ../shared/reference (or --reference DIR): PyTorch 2.15 \
            float32 on this machine with 2 threads (which computes logits at every position), and \
            llama.cpp's Q4_1 prompt-processing rate. OpenBLAS reads OPENBLAS_CORETYPE and \
            OPENBLAS_NUM_THREADS at start-up; run the command under each setting to compare kernels.
            """)

        @OptionGroup var options: ModelOptions
        @Option(help: "Repetitions per row (the median and the minimum are printed).") var repetitions = 7
        @Option(help: "The folder of the PyTorch reference outputs.") var reference: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        struct Row: Encodable {
            let tokens: Int; let batch: Int
            let lastMedian: Double; let lastMin: Double
            let allMedian: Double; let allMin: Double
            let pytorchSdpa: Double?; let pytorchEager: Double?
            let llamaCppOneThread: Double?
        }
        struct Report: Encodable {
            let blasCore: String; let blasThreads: Int; let coretypeEnvironment: String?
            let rows: [Row]; let decodeMsPerToken: Double; let llamaCppDecodeMsPerToken: Double
        }

        func run() throws {
            let model = try options.load()
            let ref = referenceTimings()
            let text = String(repeating: "The quick brown fox jumps over the lazy dog while the committee reviews the annual report on regional rainfall. ", count: 8)
            let ids = model.tokenizer.encode(text).ids
            var rows: [Row] = []
            // llama.cpp pp tok/s with 1 thread (SWIFTPROBE §7): 8 → 201, 32 → 228, 128 → 236; one sequence at a time.
            let llamaRate: [Int: Double] = [8: 201, 32: 228, 128: 236]
            for tokens in [8, 32, 128] {
                for batch in [1, 11] {
                    let rowsOfIDs = Array(repeating: Array(ids.prefix(tokens)), count: batch)
                    let last = try time(repetitions) { _ = try model.run(tokens: rowsOfIDs) }
                    let all = try time(repetitions) { _ = try model.run(tokens: rowsOfIDs, RunOptions(logits: .all)) }
                    let key = "\(tokens)x\(batch)"
                    rows.append(Row(tokens: tokens, batch: batch, lastMedian: last.median, lastMin: last.min, allMedian: all.median, allMin: all.min,
                                    pytorchSdpa: ref["sdpa"]?[key], pytorchEager: ref["eager"]?[key],
                                    llamaCppOneThread: llamaRate[tokens].map { Double(tokens * batch) / $0 * 1000 }))
                }
            }
            let decode = try time(3) {
                let g = try model.generate("The capital of France is", maxTokens: 33)
                _ = g
            }
            let prefill = try time(3) { _ = try model.run("The capital of France is") }
            let perToken = (decode.median - prefill.median) / 32
            let report = Report(blasCore: BLASInfo.coreName, blasThreads: Compute.current.threads,
                                coretypeEnvironment: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                                rows: rows, decodeMsPerToken: perToken, llamaCppDecodeMsPerToken: 7.5)
            if json { try printJSON(report); return }
            print("OpenBLAS kernel \(report.blasCore), \(report.blasThreads) threads (OPENBLAS_CORETYPE=\(report.coretypeEnvironment ?? "unset"))")
            print("ms per forward, median (min)")
            print("tokens×batch  locate last-logits  locate all-logits  PyTorch sdpa  PyTorch eager  llama.cpp 1T")
            func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
            for r in rows {
                let label = "\(r.tokens)×\(r.batch)".padding(toLength: 13, withPad: " ", startingAt: 0)
                print("\(label) \(String(format: "%8.1f (%6.1f)", r.lastMedian, r.lastMin))  \(String(format: "%8.1f (%6.1f)", r.allMedian, r.allMin))  \(f(r.pytorchSdpa).padding(toLength: 12, withPad: " ", startingAt: 0))  \(f(r.pytorchEager).padding(toLength: 13, withPad: " ", startingAt: 0))  \(f(r.llamaCppOneThread))")
            }
            print(String(format: "generation: %.2f ms per token (llama.cpp Q4_1: 7.5 ms with 1 thread)", perToken))
        }

        /// PyTorch's medians by implementation and "TxB", from timing_forward_pass2_t2.json.
        func referenceTimings() -> [String: [String: Double]] {
            let dir = reference.map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent().appendingPathComponent("shared/reference")
            let url = dir.appendingPathComponent("timing/timing_forward_pass2_t2.json")
            guard let data = try? Data(contentsOf: url),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let results = root["results"] as? [String: [[String: Any]]] else { return [:] }
            var out: [String: [String: Double]] = [:]
            for (impl, list) in results {
                for r in list {
                    if let t = r["tokens"] as? Int, let b = r["batch"] as? Int, let m = r["ms_median"] as? Double { out[impl, default: [:]]["\(t)x\(b)"] = m }
                }
            }
            return out
        }
    }
}

/// Runs `body` once to warm up, then `n` times; returns the median and minimum in ms.
func time(_ n: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    try body()
    var samples: [Double] = []
    for _ in 0..<max(1, n) {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[0])
}

extension Bench {
    struct Gradient: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grad",
            abstract: "Milliseconds per forward+backward from log p(next token) to blocks.0 and blocks.20 mlp.hook_post.",
            discussion: """
            For the three reference prompts. "full" runs every layer forward and backward to the hook; \
            "from cache" resumes at the hook's layer from a kept clean run (what integrated gradients \
            and repeated gradient steps do). PyTorch's figures come from --pytorch FILE (written by \
            scripts/oracle/time_gradients.py) when given.
            """)

        @OptionGroup var options: ModelOptions
        @Option(help: "Repetitions per row (the median is printed).") var repetitions = 9
        @Option(help: "PyTorch timings (JSON from scripts/oracle/time_gradients.py).") var pytorch: String?

        func run() throws {
            let model = try options.load()
            let prompts = ["The capital of France is", "SMAP was created in", "The Eiffel Tower is located in the city of"]
            var reference: [String: Double] = [:]
            if let pytorch, let data = FileManager.default.contents(atPath: pytorch),
               let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let rows = root["results"] as? [[String: Any]] {
                for r in rows { if let p = r["prompt"] as? String, let l = r["layer"] as? Int, let ms = r["ms_median"] as? Double { reference["\(p)|\(l)"] = ms } }
            }
            print("OpenBLAS kernel \(BLASInfo.coreName), \(Compute.current) (products shared out by the library)")
            print("prompt                                          hook                     locate full   locate from cache   PyTorch")
            for prompt in prompts {
                let ids = try model.encode(prompt)
                let clean = try model.run(tokens: [ids], RunOptions(keepState: true))
                let logits = clean.logits(row: 0)!
                let next = logits.indices.max { logits[$0] < logits[$1] }!
                let objective = Objective.logProb(of: next, position: ids.count - 1)
                for layer in [0, 20] {
                    let hook = HookPoint.mlpPost(layer)
                    let full = try time(repetitions) { _ = try model.gradient(tokens: [ids], objective: objective, at: [hook]) }
                    let cached = try time(repetitions) {
                        _ = try model.gradient(tokens: [ids], objective: objective, at: [hook],
                                               options: RunOptions(resume: Resume(state: clean.state!, layer: layer, position: 0)))
                    }
                    let torch = reference["\(prompt)|\(layer)"].map { String(format: "%.1f", $0) } ?? "-"
                    print("\(prompt.padding(toLength: 47, withPad: " ", startingAt: 0)) \(hook.description.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(format: "%8.1f ms   %10.1f ms", full.median, cached.median))       \(torch)")
                }
            }
        }
    }
}

