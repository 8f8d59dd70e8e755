import Foundation
import Testing
import TestSupport

/// One bad or odd command line and what the tool must answer.
struct BadInput: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    /// 64 for a usage error, 1 for a failure.
    let status: Int32
    /// A part of the message that names the problem (compared without case).
    let names: String
    var testDescription: String { arguments.joined(separator: " ") }
    init(_ arguments: [String], _ status: Int32 = 64, _ names: String) {
        self.arguments = arguments; self.status = status; self.names = names
    }
}

/// Every row: the exit code, a message naming the problem, no trap or backtrace, and nothing left
/// in the folder the command ran in (the default output folders are relative to it).
@Suite("Command line: bad inputs", .realModel)
struct BadInputTests {
    static let cases: [BadInput] = [
        // trace
        BadInput(["trace", "x", "--samples=-3"], 64, "--samples"),
        BadInput(["trace", "x", "--samples", "0"], 64, "--samples"),
        BadInput(["trace", "x", "--samples", "9223372036854775807"], 64, "--samples"),
        BadInput(["trace", "x", "--samples", "100000000"], 64, "--samples"),
        BadInput(["trace", "x", "--samples", "1e3"], 64, "samples"),
        BadInput(["trace", "x", "--window=-3"], 64, "--window"),
        BadInput(["trace", "x", "--window", "0"], 64, "--window"),
        BadInput(["trace", "x", "--window", "31"], 64, "30 layers"),
        BadInput(["trace", "x", "--noise", "nan"], 64, "--noise"),
        BadInput(["trace", "x", "--noise", "inf"], 64, "--noise"),
        BadInput(["trace", "x", "--noise=-1"], 64, "--noise"),
        BadInput(["trace", "x", "--noise", "3q"], 64, "--noise"),
        BadInput(["trace", "x", "--noise", "nans"], 64, "--noise"),
        BadInput(["trace", "x", "--shard", "3/2"], 64, "shard"),
        BadInput(["trace", "x", "--shard", "abc"], 64, "shard"),
        BadInput(["trace", "x", "--limit", "0"], 64, "--limit"),
        BadInput(["trace", "x", "--shard", "0/2"], 64, "--probes"),
        BadInput(["trace", "x", "--kind", "brain"], 64, "kind"),
        BadInput(["trace", "x", "--seed=-1"], 64, "seed"),
        BadInput(["trace", "x", "--probes", "facts.jsonl"], 64, "not both"),
        BadInput(["trace"], 64, "prompt"),
        BadInput(["trace", "--probes", "facts.jsonl", "--limit=-2"], 64, "--limit"),
        // neurons
        BadInput(["neurons", "x", "--steps", "0"], 64, "--steps"),
        BadInput(["neurons", "x", "--steps", "100000000"], 64, "--steps"),
        BadInput(["neurons", "x", "--threshold", "nan"], 64, "--threshold"),
        BadInput(["neurons", "x", "--threshold", "2"], 64, "--threshold"),
        BadInput(["neurons", "x", "--share", "0"], 64, "--share"),
        BadInput(["neurons", "x", "--share", "inf"], 64, "--share"),
        BadInput(["neurons", "x", "--top", "0"], 64, "--top"),
        BadInput(["neurons", "x", "--limit=-2"], 64, "--limit"),
        BadInput(["neurons", "x", "--rule", "simpson"], 64, "rule"),
        BadInput(["neurons", "x", "--site", "nowhere"], 64, "site"),
        BadInput(["neurons"], 64, "prompt"),
        BadInput(["neurons", "x", "--layers", "5-2"], 64, "layer"),
        BadInput(["neurons", "x", "--layers", "0-99"], 64, "outside"),
        BadInput(["neurons", "x", "--layers", "some"], 64, "layers"),
        // generate
        BadInput(["generate", "Hi", "--max-tokens", "0"], 64, "--max-tokens"),
        BadInput(["generate", "Hi", "--max-tokens", "100000000"], 64, "context"),
        BadInput(["generate", "Hi", "--temperature", "nan"], 64, "--temperature"),
        BadInput(["generate", "Hi", "--temperature=-1"], 64, "--temperature"),
        BadInput(["generate", "Hi", "--top-p", "0"], 64, "--top-p"),
        BadInput(["generate", "Hi", "--top-p", "1.5"], 64, "--top-p"),
        BadInput(["generate", "Hi", "--top-k=-1"], 64, "--top-k"),
        BadInput(["generate", "Hi", "--seed", "abc"], 64, "seed"),
        BadInput(["generate"], 64, "prompt"),
        // run, grad, lens, tokenize, hooks
        BadInput(["run", "Hi", "--top-k", "0"], 64, "--top-k"),
        BadInput(["run", "Hi", "--threads", "0"], 64, "--threads"),
        BadInput(["run", "Hi", "--threads", "100000"], 64, "--threads"),
        BadInput(["run", "Hi", "--model", "/nonexistent/model.gguf"], 1, "/nonexistent/model.gguf"),
        BadInput(["run", "Hi", "--record", "blocks.0.hook_resid_pre"], 64, "--out"),
        BadInput(["run", "Hi", "--interventions", "/nonexistent/edits.json"], 64, "/nonexistent/edits.json"),
        BadInput(["grad", "Hi"], 64, "--at"),
        BadInput(["lens", "Hi", "--top", "0"], 64, "--top"),
        BadInput(["tokenize"], 64, "text"),
        BadInput(["hooks", "--threads=-1"], 64, "--threads"),
        BadInput(["nosuch"], 64, "nosuch"),
        // bench, model, the rest
        BadInput(["bench", "forward", "--repetitions", "0"], 64, "--repetitions"),
        BadInput(["bench", "forward", "--pytorch", "/nonexistent/python"], 64, "/nonexistent/python"),
        BadInput(["bench", "forward", "--llama-bench", "/nonexistent/llama-bench"], 64, "/nonexistent/llama-bench"),
        BadInput(["bench", "trace", "--nosuch"], 64, "--nosuch"),
        BadInput(["model", "info", "--model", "/nonexistent/model.gguf"], 1, "/nonexistent/model.gguf"),
        BadInput(["model", "nosuch"], 64, "nosuch"),
        BadInput(["rsim", "run"], 64, "--data"),
        BadInput(["klob", "build"], 64, "<subset>"),
        BadInput(["fuzz", "--nosuch"], 64, "--nosuch"),
        BadInput(["probes", "--nosuch"], 64, "--nosuch"),
    ]

    @Test(arguments: cases)
    func refused(_ input: BadInput) throws {
        try LocateBinary.require()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("locate-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try LocateBinary.run(input.arguments, in: folder)
        #expect(r.status == input.status, "exit \(r.status): \(r.all)")
        #expect(r.errors.lowercased().contains(input.names.lowercased()), "the message does not name \(input.names): \(r.errors)")
        #expect(!r.all.contains("Backtrace") && !r.all.contains("Fatal error") && !r.all.contains("crashed"), "\(r.all)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(left.isEmpty, "files left behind: \(left)")
    }
}
