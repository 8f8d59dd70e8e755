import ArgumentParser
import Foundation
import LocateCore
import LocateModel

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed, beside PyTorch and llama.cpp timed in the same run where named.",
        subcommands: [Forward.self, Gradient.self, Trace.self, Neurons.self])

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Milliseconds per forward pass (8, 32, 128 tokens × batch 1 and 11) and per generated token, beside its peers.",
            discussion: """
            The peers are timed in the same run, on the same token ids and thread count, when named: \
            --pytorch PYTHON runs scripts/oracle/time_forward.py (float32, logits at every position, \
            eager and sdpa attention) in that Python's environment, which needs torch, transformers, \
            gguf and accelerate; --llama-bench and --llama-batched-bench name llama.cpp's programs \
            (prompt processing of the Q4_1 file; batch 11 as 11 parallel sequences). A peer not named \
            prints as "-". OpenBLAS reads OPENBLAS_CORETYPE at start-up.
            """)

        @OptionGroup var options: ModelOptions
        @Option(help: "Repetitions per row (the median and the minimum are printed).") var repetitions = 7
        @Option(help: "A Python interpreter with torch, transformers, gguf and accelerate, to time PyTorch.") var pytorch: String?
        @Option(help: "The PyTorch timing script.") var pytorchScript = "scripts/oracle/time_forward.py"
        @Option(help: "llama.cpp's llama-bench program, to time its prompt processing and decoding.") var llamaBench: String?
        @Option(help: "llama.cpp's llama-batched-bench program, to time batches of 11 sequences.") var llamaBatchedBench: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        struct Row: Encodable {
            let tokens: Int; let batch: Int
            let lastMedian: Double; let lastMin: Double
            let allMedian: Double; let allMin: Double
            let pytorchSdpa: Double?; let pytorchEager: Double?
            let llamaCpp: Double?
        }
        struct Report: Encodable {
            let blasCore: String; let threads: Int; let coretypeEnvironment: String?
            let blockProductsVectorized: Bool
            let rows: [Row]; let decodeMsPerToken: Double
            let pytorchDecodeMsPerToken: Double?; let llamaCppDecodeMsPerToken: Double?; let pytorchVersion: String?
        }

        func validate() throws {
            guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
            try peers.validate()
        }

        var peers: ForwardPeers {
            ForwardPeers(python: pytorch, script: pytorchScript, llamaBench: llamaBench, llamaBatchedBench: llamaBatchedBench)
        }

        func run() throws {
            let model = try options.load()
            let text = String(repeating: "The quick brown fox jumps over the lazy dog while the committee reviews the annual report on regional rainfall. ", count: 8)
            let ids = model.tokenizer.encode(text).ids
            let shapes = [8, 32, 128].flatMap { t in [1, 11].map { (t, $0) } }
            var measured: [(last: (median: Double, min: Double), all: (median: Double, min: Double))] = []
            for (tokens, batch) in shapes {
                let rowsOfIDs = Array(repeating: Array(ids.prefix(tokens)), count: batch)
                let last = try time(repetitions) { _ = try model.run(tokens: rowsOfIDs) }
                let all = try time(repetitions) { _ = try model.run(tokens: rowsOfIDs, RunOptions(logits: .all)) }
                measured.append((last, all))
            }
            let decode = try time(3) { _ = try model.generate("The capital of France is", maxTokens: 33) }
            let prefill = try time(3) { _ = try model.run("The capital of France is") }
            let perToken = (decode.median - prefill.median) / 32
            let peer = try peers.time(model: model.source, ids: Array(ids.prefix(128)), rows: shapes,
                                      threads: Compute.current.threads, repetitions: repetitions)
            let rows = zip(shapes, measured).map { shape, m in
                let key = "\(shape.0)x\(shape.1)"
                return Row(tokens: shape.0, batch: shape.1, lastMedian: m.last.median, lastMin: m.last.min, allMedian: m.all.median,
                           allMin: m.all.min, pytorchSdpa: peer.pytorch["sdpa"]?[key], pytorchEager: peer.pytorch["eager"]?[key],
                           llamaCpp: peer.llamaCpp[key])
            }
            let report = Report(blasCore: BLASInfo.coreName, threads: Compute.current.threads,
                                coretypeEnvironment: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                                blockProductsVectorized: Matmul.blockProductsVectorized,
                                rows: rows, decodeMsPerToken: perToken, pytorchDecodeMsPerToken: peer.pytorchDecode,
                                llamaCppDecodeMsPerToken: peer.llamaCppDecode, pytorchVersion: peer.pytorchVersion)
            if json { try printJSON(report); return }
            print("\(report.threads) threads; OpenBLAS kernel \(report.blasCore) (OPENBLAS_CORETYPE=\(report.coretypeEnvironment ?? "unset")); block products \(report.blockProductsVectorized ? "AVX2" : "portable")")
            print("ms per forward, median (min); every column timed in this run")
            print("tokens×batch  locate last-logits  locate all-logits  PyTorch sdpa  PyTorch eager  llama.cpp")
            func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
            for r in rows {
                let label = "\(r.tokens)×\(r.batch)".padding(toLength: 13, withPad: " ", startingAt: 0)
                print("\(label) \(String(format: "%8.1f (%6.1f)", r.lastMedian, r.lastMin))  \(String(format: "%8.1f (%6.1f)", r.allMedian, r.allMin))  \(f(r.pytorchSdpa).padding(toLength: 12, withPad: " ", startingAt: 0))  \(f(r.pytorchEager).padding(toLength: 13, withPad: " ", startingAt: 0))  \(f(r.llamaCpp))")
            }
            print("generation, ms per token: locate \(String(format: "%.2f", perToken)), PyTorch \(f(peer.pytorchDecode)), llama.cpp \(f(peer.llamaCppDecode))")
            if let v = peer.pytorchVersion { print("PyTorch \(v)") }
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

