import ArgumentParser
import Foundation
import LocateBatch
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Causal tracing (ROME): which hidden states, MLPs and attention layers carry a fact.",
        subcommands: [TraceRun.self, TraceMerge.self],
        defaultSubcommand: TraceRun.self)
}

/// `locate trace "<prompt>"` and `locate trace --probes FILE` (the default subcommand of `trace`).
struct TraceRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Trace a prompt, or every fact of a probe set (the default of `locate trace`).",
        discussion: """
        The subject's input embeddings are corrupted with Gaussian noise (ROME's: numpy \
        RandomState(seed).randn, scaled); then each state is restored to its clean value in turn and \
        the probability of the answer measured. Writes, per kind, a heatmap PNG with a JSON sidecar \
        (the scores, tokens, settings and the command that redraws it) and the scores as .npy.

        --noise takes ROME's codes: 3s (3 × the standard deviation of subject embeddings, the \
        default; the subjects come from --noise-subjects FILE or the project's probes/facts.jsonl) \
        or a number. --noise-file gives the noise itself ([samples, subject tokens, width], .npy).

        With --probes FILE (a probe set in any supported format) every fact the model knows is \
        traced (facts it gets wrong are skipped and counted), records go to records.jsonl and the \
        average-indirect-effect figures of ROME's Figure 2 are drawn. The records file starts with a \
        header naming the settings; a rerun with the same settings resumes it (a record is written \
        and flushed as each fact finishes, and a line cut short by a kill is repaired), one with \
        other settings is refused (--force starts the file over). --shard i/n traces every n-th \
        fact from the i-th (0-based), for splitting a set across machines; `locate trace merge` \
        combines the shards and draws the figures.
        """)

    @Argument(help: "The prompt to trace.") var prompt: String?
    @OptionGroup var options: ModelOptions
    @Option(help: "The subject as written in the prompt (default: detected).") var subject: String?
    @Option(help: "The answer to trace (default: the model's prediction).") var target: String?
    @Option(help: "What to restore: hidden, mlp, attn or all.") var kind: KindChoice = .all
    @Option(help: "Corrupted samples per cell.") var samples = 10
    @Option(help: "Noise: ks (k × the subjects' embedding standard deviation) or a number.") var noise = "3s"
    @Option(help: "Layers restored together for mlp and attn.") var window = 10
    @Option(help: "Seed of the noise (numpy RandomState).") var seed: UInt32 = 1
    @Option(name: .customLong("noise-file"), help: "The noise itself, as .npy [samples, subject tokens, width].") var noiseFile: String?
    @Option(name: .customLong("noise-subjects"), help: "Subjects for the noise level (any probe file format).") var noiseSubjects: String?
    @Option(help: "Output folder.") var out: String?
    @Option(help: "Trace every fact of a probe set (JSONL, known_1000 or CounterFact).") var probes: String?
    @Option(help: "With --probes: trace shard i of n (0-based), e.g. 2/8.") var shard: String?
    @Option(help: "With --probes: only the first N facts.") var limit: Int?
    @Flag(help: "With --probes: start the records file over instead of resuming it.") var force = false
    @Flag(help: "Print JSON instead of text.") var json = false

    enum KindChoice: String, ExpressibleByArgument, CaseIterable {
        case hidden, mlp, attn, all
        var kinds: [CausalTrace.Kind] { self == .all ? CausalTrace.Kind.allCases : [CausalTrace.Kind(rawValue: rawValue)!] }
    }

    struct Report: Encodable {
        let prompt: String; let tokens: [String]; let subject: String; let subjectRange: [Int]
        let answer: String; let answerIDs: [Int]; let note: String?
        let lowScore: Float; let highScore: Float; let noiseLevel: Double; let samples: Int; let window: Int
        let outputs: [String]; let seconds: Double
    }

    /// Most corrupted samples a cell takes: ROME uses 10; each sample is a full row of every
    /// batched run, so the bound keeps a trace within memory.
    static let maximumSamples = 10_000

    func validate() throws {
        try OptionCheck.count(samples, "--samples", in: 1...Self.maximumSamples, why: "each sample is a batch row of every cell")
        try OptionCheck.count(window, "--window", in: 1...Int.max)
        if let limit { try OptionCheck.count(limit, "--limit", in: 1...Int.max) }
        _ = try parsedNoise()
        do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
        if probes == nil, shard != nil || limit != nil { throw ValidationError("--shard and --limit go with --probes FILE") }
    }

    func run() throws {
        if let probes { return try runProbes(probes) }
        guard let prompt else { throw ValidationError("give a prompt to trace, e.g. locate trace \"The capital of France is\"") }
        let start = Date()
        let model = try loadModel()
        let tracer = CausalTrace(model: model, window: window)
        let ids = try model.encode(prompt)
        let answer = try tracer.answer(for: ids, target: target)
        if let note = answer.note, !json { print("note: \(note)") }

        let level = try noiseLevel(tracer)
        let (subjectText, range) = try chooseSubject(tracer, ids: ids, answer: answer, level: level)
        let traceNoise: CausalTrace.Noise
        if let noiseFile {
            let array = try NPY.read(URL(fileURLWithPath: noiseFile))
            guard array.shape == [array.shape.first ?? 0, range.count, model.config.embeddingLength] else {
                throw ValidationError("\(noiseFile) has shape \(array.shape); the trace needs [samples, \(range.count), \(model.config.embeddingLength)] for subject \"\(subjectText)\"")
            }
            traceNoise = CausalTrace.Noise(values: array.doubles, samples: array.shape[0], level: level)
        } else {
            traceNoise = .rome(level: level, samples: samples, subjectTokens: range.count, width: model.config.embeddingLength, seed: seed)
        }
        let results = try tracer.run(CausalTrace.Case(tokens: ids, subject: range, answer: answer.ids), noise: traceNoise, kinds: kind.kinds) { done, total in
            if !json && isatty(2) != 0 { FileHandle.standardError.write(Data("\rtracing: \(done)/\(total) batched runs".utf8)) }
        }
        if !json && isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }

        let folder = URL(fileURLWithPath: out ?? "trace/\(slug(prompt))")
        let tokens = ids.map { model.tokenizer.decodePiece($0) }
        let modelName = URL(fileURLWithPath: model.source).deletingPathExtension().lastPathComponent
            .replacingOccurrences(of: ".Q4_1", with: "")
        let command = reproducingCommand()
        var outputs: [String] = []
        for result in results {
            let plotKind = TraceKind(rawValue: result.kind.rawValue)!
            let heatmap = Heatmap.causalTrace(scores: result.scores.map { $0.map(Double.init) }, tokens: tokens, subjectRange: range,
                                              lowScore: Double(result.lowScore), answer: answer.text, kind: plotKind,
                                              modelName: modelName, window: window)
            let png = folder.appendingPathComponent("\(result.kind.rawValue).png")
            let extras: [String: SidecarValue] = [
                "prompt": .string(prompt), "subject": .string(subjectText),
                "subject_range": .array([.int(range.lowerBound), .int(range.upperBound)]),
                "answer": .string(answer.text), "answer_ids": .array(answer.ids.map { .int($0) }),
                "low_score": .double(Double(result.lowScore)), "high_score": .double(Double(result.highScore)),
                "noise_level": .double(level), "samples": .int(traceNoise.samples), "window": .int(window),
                "seed": .int(Int(seed)), "model": .string(model.source),
            ]
            try heatmap.write(to: png, command: command, extras: extras)
            let npy = folder.appendingPathComponent("\(result.kind.rawValue)_scores.npy")
            try NPY.write(NPYArray(shape: [ids.count, model.layerCount], floats: result.scores.flatMap { $0 }), to: npy)
            outputs += [png.path, FigureSidecar.sidecarURL(forPNG: png).path, npy.path]
        }
        let first = results[0]
        let report = Report(prompt: prompt, tokens: tokens, subject: subjectText, subjectRange: [range.lowerBound, range.upperBound],
                            answer: answer.text, answerIDs: answer.ids, note: answer.note, lowScore: first.lowScore, highScore: first.highScore,
                            noiseLevel: level, samples: traceNoise.samples, window: window, outputs: outputs,
                            seconds: Date().timeIntervalSince(start))
        if json { try printJSON(report); return }
        print("traced \"\(visible(answer.text))\" after \"\(prompt)\" with subject \"\(subjectText)\" (tokens \(range.lowerBound)..<\(range.upperBound))")
        print(String(format: "p(answer): clean %.4f, corrupted %.4f; noise level %.4f, %d samples", first.highScore, first.lowScore, level, traceNoise.samples))
        for result in results {
            var best = (score: -Float.infinity, t: 0, l: 0)
            for (t, row) in result.scores.enumerated() { for (l, v) in row.enumerated() where v > best.score { best = (v, t, l) } }
            print(String(format: "%-6@ strongest restoration %.4f at token %d \"%@\", layer %d", result.kind.rawValue, best.score, best.t,
                         visible(tokens[best.t]), best.l))
        }
        print("wrote \(folder.path)/ (\(outputs.count) files) in \(String(format: "%.1f", report.seconds)) s")
    }

    private func runProbes(_ file: String) throws {
        guard prompt == nil else { throw ValidationError("give either a prompt or --probes FILE, not both") }
        let part = try Shard(parsing: shard)
        let model = try loadModel()
        let tracer = CausalTrace(model: model, window: window)
        // ROME measures the noise level on the traced set's own subjects (the whole file, so every
        // shard gets the same level) unless --noise-subjects names others.
        let job = TraceProbesJob(probes: URL(fileURLWithPath: file), out: URL(fileURLWithPath: out ?? "trace/probes"), shard: part,
                                 samples: samples, noiseLevel: try noiseLevel(tracer, defaultSubjects: URL(fileURLWithPath: file)),
                                 window: window, kinds: kind.kinds,
                                 limit: limit, seed: seed, force: force, command: reproducingCommand())
        try job.run(model: model)
    }

    /// The model, with --window checked against its layers.
    private func loadModel() throws -> Transformer {
        let model = try options.load()
        try OptionCheck.count(window, "--window", in: 1...model.layerCount, why: "the model has \(model.layerCount) layers")
        return model
    }

    /// --noise as a fixed level or a multiple of the subjects' embedding standard deviation, checked.
    private enum NoiseSetting { case level(Double), multiple(Double) }

    private func parsedNoise() throws -> NoiseSetting {
        let text = noise.lowercased()
        if let value = Double(text) {
            try OptionCheck.real(value, "--noise", in: 0...1e6)
            return .level(value)
        }
        let digits = text.replacingOccurrences(of: "s", with: "")
        guard text.contains("s"), let multiplier = Double(digits.isEmpty ? "1" : digits) else {
            throw ValidationError("--noise takes ks (e.g. 3s, ROME's s3 also works) or a number, not \"\(noise)\"")
        }
        try OptionCheck.real(multiplier, "--noise (the multiple of s)", in: 0...1e6)
        return .multiple(multiplier)
    }

    private func noiseLevel(_ tracer: CausalTrace, defaultSubjects: URL? = nil) throws -> Double {
        let multiplier: Double
        switch try parsedNoise() {
        case .level(let level): return level
        case .multiple(let m): multiplier = m
        }
        let file: URL
        if let noiseSubjects { file = URL(fileURLWithPath: noiseSubjects) }
        else if let defaultSubjects { file = defaultSubjects }
        else if let found = projectProbeFile() { file = found }
        else {
            throw ValidationError("no subjects to measure the noise level on: pass --noise-subjects FILE (a probe set) or a fixed --noise 0.35")
        }
        let subjects = try Probe.load(contentsOf: file).probes.map(\.subject)
        return try tracer.noiseLevel(subjects: subjects, multiplier: multiplier)
    }

    private func chooseSubject(_ tracer: CausalTrace, ids: [Int], answer: CausalTrace.Answer, level: Double) throws -> (String, Range<Int>) {
        if let subject { return (subject, try tracer.subjectRange(subject, in: prompt!)) }
        guard let found = try tracer.detectSubject(prompt: prompt!, tokens: ids, answer: answer.ids, noiseLevel: level, seed: seed) else {
            throw ValidationError("could not find a subject in the prompt; name it with --subject")
        }
        if !json { print("subject: \"\(found.subject)\" (detected: its corruption lowers p(answer) the most; set it with --subject)") }
        return (found.subject, found.range)
    }
}

/// probes/facts.jsonl of this project, searched from the working folder and from the
/// executable's folder upward.
func projectProbeFile() -> URL? {
    var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
    starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
    for start in starts {
        var folder = start.standardizedFileURL
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent("probes/facts.jsonl")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
    }
    return nil
}

/// The command line that produced this run, quoted for a shell.
func reproducingCommand() -> String {
    (["locate"] + CommandLine.arguments.dropFirst()).map { arg in
        arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:*".contains($0) } ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

/// A short folder name from a prompt.
func slug(_ text: String) -> String {
    let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }.prefix(6)
    return words.isEmpty ? "trace" : words.joined(separator: "-")
}
