import ArgumentParser
import Foundation
import LocateBatch
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
    var shard: Shard = .whole
    var samples: Int = 10
    var noiseLevel: Double
    var window: Int = 10
    var kinds: [CausalTrace.Kind] = CausalTrace.Kind.allCases
    var limit: Int? = nil
    var seed: UInt32 = 1
    /// Start the records file over instead of resuming it (`--force`).
    var force = false
    /// The command line, stored in the figures' sidecars.
    var command: String

    /// The records file of this job inside `out`.
    var recordsFile: URL { out.appendingPathComponent(shard.fileName("records")) }

    func run(model: Transformer) throws {
        let set = try Probe.load(contentsOf: probes)
        Probes.printErrors(set.errors, limit: 20)
        let selection = limit.map { Array(set.probes.prefix(max(0, $0))) } ?? set.probes
        let batch = TraceBatch(model: model, noiseLevel: noiseLevel, samples: samples, window: window, kinds: kinds, seed: seed)
        let outcome = try batch.run(selection, shard: shard, recordsFile: recordsFile, mode: force ? .overwrite : .resume,
                                    progress: ProgressReporter(label: "trace", unit: "facts"))
        FileHandle.standardError.write(Data(("\(outcome.traced) facts traced, \(outcome.skipped) skipped (the model gets them wrong), "
            + "\(outcome.resumed) already in \(recordsFile.path); \(String(format: "%.0f", outcome.seconds)) s\n").utf8))
        guard shard.count == 1 else {
            print("wrote \(recordsFile.path) (shard \(shard)); when every shard is done: locate trace merge \(out.path) --out \(out.path)")
            return
        }
        let summary = try writeAverageFigures(records: outcome.records, out: out, modelName: modelDisplayName(model.source), command: command)
        printAverageScalars(summary, out: out)
    }
}

/// Combines the shard files of a sharded `locate trace --probes` run: `locate trace merge
/// DIR_OR_FILES… --out DIR`.
struct TraceMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard outputs of `locate trace --probes` and draw the average figures.",
        discussion: """
        Reads records files (written by `locate trace --probes … --shard i/n`) or every \
        records*.jsonl in the folders given, refuses files traced with different settings, keeps \
        one record per probe id, and writes DIR/records.jsonl, the average-indirect-effect figures \
        (aie_hidden.png, aie_mlp.png, aie_attn.png, aie_lines.png, each with a JSON sidecar) and \
        DIR/summary.json. Records files of older versions (without a header line) are read too, \
        so merging one file converts it.
        """)

    @Argument(help: "Records files (.jsonl) or folders holding records*.jsonl.") var inputs: [String]
    @Option(help: "The folder for the merged records, the figures and summary.json.") var out: String

    func run() throws {
        let files = try TraceRecordsFile.files(in: inputs, prefix: "records")
        guard !files.isEmpty else { throw ValidationError("no records*.jsonl in \(inputs.joined(separator: ", "))") }
        let folder = URL(fileURLWithPath: out)
        let merged = folder.appendingPathComponent("records.jsonl")
        let records = try TraceRecord.merge(files: files, into: merged)
        print("merged \(records.count) records from \(files.count) files into \(merged.path)")
        let summary = try writeAverageFigures(records: records, out: folder, modelName: modelDisplayName(records.first?.model ?? ""),
                                              command: reproducingCommand())
        printAverageScalars(summary, out: folder)
    }
}

/// Draws ROME's average-indirect-effect figures (ALGORITHMS.md §1.7) from trace records into
/// `out`: `aie_hidden.png`, `aie_mlp.png`, `aie_attn.png` (one per kind traced; colour scale 0 to
/// the hidden-state plot's maximum, shared), `aie_lines.png` (one panel per kind, a line per
/// token group with its 95 % band), each with a JSON sidecar holding `command`, and
/// `summary.json`. Only facts the model knows are averaged.
/// - Throws: ``TraceBatchError/noCorrectFacts(records:)`` when there is none; plot and file errors.
@discardableResult
func writeAverageFigures(records: [TraceRecord], out: URL, modelName: String, command: String) throws -> TraceSummary {
    let summary = try TraceSummary(records: records, command: command)
    let settings = summary.settings
    let extras: [String: SidecarValue] = [
        "model": .string(summary.model), "noise_level": .double(settings.noiseLevel), "samples": .int(settings.samples),
        "window": .int(settings.window), "seed": .int(Int(settings.seed)), "records": .int(summary.records),
        "prompts": .int(summary.effects[0].promptCount),
    ]
    for effect in summary.effects {
        let kind = TraceKind(rawValue: effect.kind.rawValue)!
        let heatmap = Heatmap.averageIndirectEffect(effects: effect.effect, kind: kind, promptCount: effect.promptCount,
                                                    vmax: summary.vmax, modelName: modelName, window: effect.window)
        var more = extras
        more["rows_per_group"] = .array(effect.counts.map { .int($0) })
        more["low_score"] = .double(effect.lowScore)
        more["high_score"] = .double(effect.highScore)
        more["prompts"] = .int(effect.promptCount)
        try heatmap.write(to: out.appendingPathComponent("aie_\(effect.kind.rawValue).png"), command: command, extras: more)
    }
    // ROME's line plots: tab10 colours in the order [0, 1, 2, 4, 5, 3], ±1.96·std/√n bands
    let colorOrder = [0, 1, 2, 4, 5, 3]
    let panels = summary.effects.map { effect in
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
    try AtomicFile.write(try summary.jsonData(), to: out.appendingPathComponent("summary.json"))
    return summary
}

/// ROME's printed numbers, one line per kind, and where the files went.
func printAverageScalars(_ summary: TraceSummary, out: URL) {
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
