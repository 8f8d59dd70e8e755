import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// The batch mode of `locate trace`: `locate trace --probes FILE [--shard i/n] [--limit N]`
/// builds one of these from its options (`--out`, `--samples`, `--noise`, `--window`, `--kind`,
/// `--seed`) and calls ``run(model:)``.
///
/// Traces every probe of the shard (probes whose position in FILE, after `--limit`, is i modulo
/// n) with ``TraceBatch``, appending to `out/records.jsonl` (`records-shard-i-of-n.jsonl` for a
/// shard) as it goes; a rerun with the same settings resumes. Without sharding it then draws
/// ROME's average-indirect-effect figures (``writeAverageFigures(records:out:modelName:command:)``);
/// shards are combined afterwards with `locate trace merge` (``TraceMerge``).
///
/// `noiseLevel` is ROME's absolute noise level; for the `3s` rule compute it over the whole probe
/// file (not the shard, so every shard agrees) with ``TraceBatch/noiseLevel(for:model:multiplier:)``.
struct TraceProbesJob {
    var probes: URL
    var out: URL
    var shard: (index: Int, count: Int) = (0, 1)
    var samples: Int = 10
    var noiseLevel: Double
    var window: Int = 10
    var kinds: [CausalTrace.Kind] = CausalTrace.Kind.allCases
    var limit: Int? = nil
    var seed: UInt32 = 1
    /// The command line, stored in the figures' sidecars.
    var command: String

    /// The records file of this job inside `out`.
    var recordsFile: URL {
        out.appendingPathComponent(shard.count == 1 ? "records.jsonl" : "records-shard-\(shard.index)-of-\(shard.count).jsonl")
    }

    func run(model: Transformer) throws {
        let set = try Probe.load(contentsOf: probes)
        Probes.printErrors(set.errors, limit: 20)
        let selection = limit.map { Array(set.probes.prefix(max(0, $0))) } ?? set.probes
        let shard = try TraceBatch.Shard(index: shard.index, count: shard.count)
        let batch = TraceBatch(model: model, noiseLevel: noiseLevel, samples: samples, window: window, kinds: kinds, seed: seed)
        let bar = TraceProgressBar()
        let outcome = try batch.run(selection, shard: shard, recordsFile: recordsFile) { bar.update($0) }
        bar.finish()
        writeStandardError("\(outcome.traced) facts traced, \(outcome.skipped) skipped (the model gets them wrong), \(outcome.resumed) already in "
               + "\(recordsFile.path); \(String(format: "%.0f", outcome.seconds)) s")
        guard shard.count == 1 else {
            print("wrote \(recordsFile.path) (shard \(shard)); when every shard is done: locate trace merge \(out.path) --out \(out.path)")
            return
        }
        let wanted = Set(selection.map(\.id))
        let records = try TraceRecord.read(contentsOf: recordsFile).filter { wanted.contains($0.id) }
        let summary = try writeAverageFigures(records: records, out: out, modelName: modelDisplayName(model.source), command: command)
        printAverageScalars(summary, out: out)
    }
}

/// Combines the shard files of a sharded `locate trace --probes` run. The lead adds it as a
/// subcommand of `locate trace`: `locate trace merge DIR_OR_FILES… --out DIR`.
struct TraceMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard outputs of `locate trace --probes` and draw the average figures.",
        discussion: """
        Reads records files (JSON lines written by `locate trace --probes … --shard i/n`) or every \
        records*.jsonl in the folders given, keeps one record per probe id, and writes \
        DIR/records.jsonl, the average-indirect-effect figures (aie_hidden.png, aie_mlp.png, \
        aie_attn.png, aie_lines.png, each with a JSON sidecar) and DIR/summary.json.
        """)

    @Argument(help: "Records files (.jsonl) or folders holding records*.jsonl.") var inputs: [String]
    @Option(help: "The folder for the merged records, the figures and summary.json.") var out: String

    func run() throws {
        var files: [URL] = []
        for input in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
                throw ValidationError("\(input): no such file or folder")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: input)
                    .filter { $0.hasPrefix("records") && $0.hasSuffix(".jsonl") }.sorted()
                files += names.map { URL(fileURLWithPath: input).appendingPathComponent($0) }
            } else {
                files.append(URL(fileURLWithPath: input))
            }
        }
        guard !files.isEmpty else { throw ValidationError("no records*.jsonl in \(inputs.joined(separator: ", "))") }
        var lists: [[TraceRecord]] = []
        for file in files { lists.append(try TraceRecord.read(contentsOf: file)) }
        let records = TraceRecord.merge(lists)
        if let mismatch = TraceSettings.firstMismatch(in: records) {
            throw ValidationError("the record \"\(mismatch.record.id)\" was traced with \(mismatch.setting) \(mismatch.other), "
                                  + "others with \(mismatch.mine): only shards of one run can be merged")
        }
        let folder = URL(fileURLWithPath: out)
        let merged = folder.appendingPathComponent("records.jsonl")
        var data = Data()
        for record in records { data.append(try record.jsonLine()) }
        try AtomicFile.write(data, to: merged)
        print("merged \(records.count) records from \(files.count) files into \(merged.path)")
        let summary = try writeAverageFigures(records: records, out: folder, modelName: modelDisplayName(records.first?.model ?? ""),
                                              command: reproducingCommand())
        printAverageScalars(summary, out: folder)
    }
}

/// What `summary.json` holds: counts, the facts skipped, the settings and ROME's scalars per kind.
struct AverageSummary: Encodable {
    struct Skipped: Encodable { let id: String; let target: String; let continuation: String }
    struct GroupRows: Encodable { let group: String; let rows: Int }
    struct KindSummary: Encodable {
        let kind: String
        let prompts: Int
        /// Rows pooled per token group, in ROME's row order.
        let rowsPerGroup: [GroupRows]
        let lowScore: Double
        let highScore: Double
        let scalars: AverageIndirectEffect.Scalars
        let effect: [[Double]]
        enum CodingKeys: String, CodingKey {
            case kind, prompts, rowsPerGroup = "rows_per_group", lowScore = "low_score", highScore = "high_score", scalars, effect
        }
    }
    let version = 1
    let model: String
    let command: String
    let probes: Int
    let records: Int
    let missing: Int
    let traced: Int
    let skipped: [Skipped]
    let settings: TraceSettings
    let traceSeconds: Double
    let vmax: Double
    let kinds: [KindSummary]
    enum CodingKeys: String, CodingKey {
        case version, model, command, probes, records, missing, traced, skipped, settings
        case traceSeconds = "trace_seconds", vmax, kinds
    }
}

/// Draws ROME's average-indirect-effect figures (ALGORITHMS.md §1.7) from trace records into
/// `out`: `aie_hidden.png`, `aie_mlp.png`, `aie_attn.png` (one per kind traced; colour scale 0 to
/// the hidden-state plot's maximum, shared), `aie_lines.png` (one panel per kind, a line per
/// token group with its 95 % band), each with a JSON sidecar holding `command`, and
/// `summary.json`. Only facts the model knows are averaged.
/// - Throws: ``TraceBatchError/noCorrectFacts(records:)`` when there is none; plot and file errors.
@discardableResult
func writeAverageFigures(records: [TraceRecord], out: URL, modelName: String, command: String) throws -> AverageSummary {
    let effects = try AverageIndirectEffect.all(records: records)
    guard let first = effects.first else { throw TraceBatchError.noCorrectFacts(records: records.count) }
    let vmax = (effects.first { $0.kind == .hidden } ?? first).maxEffect
    let known = records.filter(\.correct)
    let settings = known.first!.settings
    let extras: [String: SidecarValue] = [
        "model": .string(known.first!.model), "noise_level": .double(settings.noiseLevel), "samples": .int(settings.samples),
        "window": .int(settings.window), "seed": .int(Int(settings.seed)), "records": .int(records.count),
        "prompts": .int(first.promptCount),
    ]
    for effect in effects {
        let kind = TraceKind(rawValue: effect.kind.rawValue)!
        let heatmap = Heatmap.averageIndirectEffect(effects: effect.effect, kind: kind, promptCount: effect.promptCount,
                                                    vmax: vmax, modelName: modelName, window: effect.window)
        var more = extras
        more["rows_per_group"] = .array(effect.counts.map { .int($0) })
        more["low_score"] = .double(effect.lowScore)
        more["high_score"] = .double(effect.highScore)
        more["prompts"] = .int(effect.promptCount)
        try heatmap.write(to: out.appendingPathComponent("aie_\(effect.kind.rawValue).png"), command: command, extras: more)
    }
    // ROME's line plots: tab10 colours in the order [0, 1, 2, 4, 5, 3], ±1.96·std/√n bands
    let colorOrder = [0, 1, 2, 4, 5, 3]
    let panels = effects.map { effect in
        let what: String
        switch effect.kind {
        case .hidden: what = "single hidden vector"
        case .mlp: what = "run of \(effect.window) MLP lookups"
        case .attn: what = "run of \(effect.window) Attn modules"
        }
        return LinePanel(title: "Average indirect effect of a \(what)", series: TokenGroup.allCases.map { group in
            Series.meanWithConfidenceBand(label: group.label, samples: effect.indirectEffectSamples(group),
                                          color: Tab10.color(colorOrder[group.rawValue]))
        })
    }
    let lines = LinePlot(panels: panels, xLabel: "Layer number in \(modelName)", yLabel: "Average indirect effect on p(o)")
    try lines.write(to: out.appendingPathComponent("aie_lines.png"), command: command, extras: extras)

    let probeCount = records.map(\.probeCount).max() ?? records.count
    let summary = AverageSummary(
        model: known.first!.model, command: command, probes: probeCount, records: records.count,
        missing: max(0, probeCount - records.count), traced: known.count,
        skipped: records.filter { !$0.correct }.map { .init(id: $0.id, target: $0.target, continuation: $0.continuation) },
        settings: settings, traceSeconds: records.reduce(0) { $0 + $1.seconds }, vmax: vmax,
        kinds: effects.map { effect in
            AverageSummary.KindSummary(
                kind: effect.kind.rawValue, prompts: effect.promptCount,
                rowsPerGroup: TokenGroup.allCases.map { .init(group: $0.label, rows: effect.counts[$0.rawValue]) },
                lowScore: effect.lowScore, highScore: effect.highScore, scalars: effect.scalars, effect: effect.effect)
        })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    try AtomicFile.write(try encoder.encode(summary) + Data("\n".utf8), to: out.appendingPathComponent("summary.json"))
    return summary
}

/// ROME's printed numbers, one line per kind, and where the files went.
func printAverageScalars(_ summary: AverageSummary, out: URL) {
    print("\(summary.traced) facts averaged (\(summary.skipped.count) skipped: the model gets them wrong"
          + (summary.missing > 0 ? "; \(summary.missing) of \(summary.probes) probes have no record yet" : "") + ")")
    for k in summary.kinds {
        let s = k.scalars
        print(String(format: "%-6@ average total effect %.4f; best AIE at the last subject token %.4f (layer %d), at the last token %.4f (layer %d)",
                     k.kind, s.averageTotalEffect, s.bestLastSubject.value, s.bestLastSubject.layer, s.bestLastToken.value, s.bestLastToken.layer))
    }
    print("wrote \(out.path)/: aie_*.png with sidecars, summary.json")
}

/// "SmolLM2-135M-Instruct" from ".../SmolLM2-135M-Instruct.Q4_1.gguf": the file name without its
/// extension and quantization suffix.
func modelDisplayName(_ source: String) -> String {
    var name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
    if let dot = name.lastIndex(of: "."),
       name[name.index(after: dot)...].range(of: "^(I?Q|B?F)[0-9]", options: .regularExpression) != nil {
        name = String(name[..<dot])
    }
    return name.isEmpty ? "the model" : name
}

private func writeStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A one-line progress bar with ETA on stderr, redrawn in place with a carriage return; plain
/// lines (one per finished probe) when stderr is not a terminal.
final class TraceProgressBar {
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastDone = -1
    private var drawn = false

    func update(_ p: TraceBatch.Progress) {
        let finished = p.done != lastDone
        lastDone = p.done
        if terminal {
            guard finished || Date().timeIntervalSince(lastDraw) > 0.25 else { return }
            lastDraw = Date()
            let width = 24
            let fraction = p.total == 0 ? 1 : min(1, (Double(p.done) + p.currentFraction) / Double(p.total))
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            var line = "[\(bar)] \(p.done)/\(p.total)"
            if p.skipped > 0 { line += ", \(p.skipped) skipped" }
            line += "  \(clock(p.elapsed))"
            if let eta = p.eta { line += ", ETA \(clock(eta))" }
            if let current = p.current { line += "  \(current)" }
            FileHandle.standardError.write(Data(("\r" + line.padding(toLength: max(line.count, 100), withPad: " ", startingAt: 0)).utf8))
            drawn = true
        } else if finished && p.done > p.resumed {
            writeStandardError("\(p.done)/\(p.total) done, \(p.skipped) skipped, \(clock(p.elapsed)) elapsed" + (p.eta.map { ", ETA \(clock($0))" } ?? ""))
        }
    }

    func finish() {
        if terminal && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func clock(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
