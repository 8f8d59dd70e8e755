import ArgumentParser
import Foundation

/// The peers `locate bench forward` times in the same run: PyTorch (through
/// scripts/oracle/time_forward.py in a Python environment the user names) and llama.cpp's own
/// benchmark programs. Nothing here is recorded from elsewhere: a peer not named is not shown.
struct ForwardPeers {
    var python: String?
    var script: String
    var llamaBench: String?
    var llamaBatchedBench: String?

    struct Timings {
        /// ms per forward by attention implementation ("eager", "sdpa") and "TxB".
        var pytorch: [String: [String: Double]] = [:]
        var pytorchDecode: Double?
        var pytorchVersion: String?
        /// ms per prompt by "TxB" (llama.cpp's prompt processing, Q4_1).
        var llamaCpp: [String: Double] = [:]
        var llamaCppDecode: Double?
    }

    /// Checks that every named program exists before any timing starts.
    func validate() throws {
        for (option, path) in [("--pytorch", python), ("--llama-bench", llamaBench), ("--llama-batched-bench", llamaBatchedBench)] {
            guard let path else { continue }
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ValidationError("\(option) \(path): no executable file there. Name the program itself (for PyTorch, the python of an environment with torch, transformers, gguf and accelerate).")
            }
        }
        if python != nil, !FileManager.default.fileExists(atPath: script) {
            throw ValidationError("--pytorch-script \(script): no such file. Run from the checkout, or name scripts/oracle/time_forward.py.")
        }
    }

    func time(model: String, ids: [Int], rows: [(Int, Int)], threads: Int, repetitions: Int) throws -> Timings {
        var t = Timings()
        if let llamaBench {
            let prompts = Set(rows.map(\.0)).sorted().map(String.init).joined(separator: ",")
            let out = try run(llamaBench, ["-m", model, "-p", prompts, "-n", "32", "-t", "\(threads)", "-r", "\(max(1, repetitions))", "-o", "json"])
            let records = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [[String: Any]] ?? []
            for r in records {
                guard let p = r["n_prompt"] as? Int, let g = r["n_gen"] as? Int, let ns = r["avg_ns"] as? Double else { continue }
                if g == 0 { t.llamaCpp["\(p)x1"] = ns / 1e6 } else if p == 0 { t.llamaCppDecode = ns / 1e6 / Double(g) }
            }
        }
        if let llamaBatchedBench {
            let batches = Set(rows.map(\.1).filter { $0 > 1 }).sorted()
            if !batches.isEmpty {
                let prompts = Set(rows.map(\.0)).sorted().map(String.init).joined(separator: ",")
                let out = try run(llamaBatchedBench, ["-m", model, "-c", "4096", "-b", "2048", "-ub", "512", "-npp", prompts, "-ntg", "1",
                                                     "-npl", batches.map(String.init).joined(separator: ","), "-t", "\(threads)", "-tb", "\(threads)",
                                                     "--output-format", "jsonl"])
                for line in out.split(separator: "\n") where line.hasPrefix("{") {
                    guard let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                          let p = r["pp"] as? Int, let l = r["pl"] as? Int, let s = r["t_pp"] as? Double else { continue }
                    t.llamaCpp["\(p)x\(l)"] = s * 1000
                }
            }
        }
        if let python {
            let spec = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("locate-bench-ids-\(getpid()).json")
            let body: [String: Any] = ["ids": ids, "rows": rows.map { [$0.0, $0.1] }]
            try JSONSerialization.data(withJSONObject: body).write(to: spec)
            defer { try? FileManager.default.removeItem(at: spec) }
            let out = try run(python, [script, model, spec.path, "\(threads)", "\(max(1, repetitions))"])
            for line in out.split(separator: "\n") where line.hasPrefix("{") {
                guard let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
                if let a = r["attention"] as? String, let tk = r["tokens"] as? Int, let b = r["batch"] as? Int, let ms = r["ms_median"] as? Double {
                    t.pytorch[a, default: [:]]["\(tk)x\(b)"] = ms
                } else if let d = r["decode_ms_per_token"] as? Double {
                    t.pytorchDecode = d
                } else if let v = r["torch"] as? String {
                    t.pytorchVersion = v
                }
            }
        }
        let expected: [(String?, Bool, String)] = [
            (llamaBench, t.llamaCpp.keys.contains { $0.hasSuffix("x1") }, "llama-bench"),
            (llamaBatchedBench, rows.allSatisfy { $0.1 == 1 } || t.llamaCpp.keys.contains { !$0.hasSuffix("x1") }, "llama-batched-bench"),
            (python, !t.pytorch.isEmpty, "the PyTorch script"),
        ]
        for (named, found, peer) in expected where named != nil && !found {
            throw PeerError(message: "\(peer) ran but printed no timings this command reads; check that it is the program named in --help.")
        }
        return t
    }

    /// Runs a peer, its diagnostics to our standard error only when it fails; returns its stdout.
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        // Diagnostics (progress bars, logs) go to a file, so a full pipe never stalls the peer.
        let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("locate-bench-peer-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if let diagnostics = FileManager.default.contents(atPath: log.path) { FileHandle.standardError.write(diagnostics.suffix(4000)) }
            throw PeerError(message: "\(program) exited with status \(process.terminationStatus); the end of its messages is above.")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct PeerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
