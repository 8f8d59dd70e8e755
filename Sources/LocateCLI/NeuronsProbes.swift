import ArgumentParser
import Foundation
import LocateBatch
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// `locate neurons --probes FILE [--limit N] --out DIR`: every fact of the probe set through
/// ``NeuronsBatch``, appended to DIR/records.jsonl (a rerun resumes), then DIR/summary.json
/// (``NeuronsSummary``) and two figures.
struct NeuronsProbesJob {
    let command: Neurons
    let file: String

    func run() throws {
        guard command.prompt == nil else { throw ValidationError("give either a prompt or --probes FILE, not both") }
        let model = try command.options.load()
        let set = try Probe.load(contentsOf: URL(fileURLWithPath: file))
        Probes.printErrors(set.errors, limit: 20)
        let selection = command.limit.map { Array(set.probes.prefix(max(0, $0))) } ?? set.probes
        guard !selection.isEmpty else {
            throw ValidationError("\(file) holds no valid probes (\(set.errors.count) invalid records, listed above); see probes/README.md for the format")
        }
        let folder = URL(fileURLWithPath: command.out ?? "neurons/probes")
        let batch = NeuronsBatch(model: model, settings: try command.settings(layerCount: model.layerCount),
                                 threshold: command.threshold, seed: command.seed)
        let outcome = try batch.run(selection, recordsFile: folder.appendingPathComponent("records.jsonl"),
                                    mode: command.force ? .overwrite : .resume, progress: ProgressReporter(label: "neurons", unit: "facts"))
        let summary = NeuronsSummary(records: outcome.records, layerCount: model.layerCount)
        guard summary.facts > 0 else {
            print("no fact of \(file) is known by the model (\(summary.skipped) skipped): nothing to summarize")
            return
        }
        try write(summary, folder: folder, model: model)
    }

    private func write(_ summary: NeuronsSummary, folder: URL, model: Transformer) throws {
        try AtomicFile.write(try summary.jsonData(), to: folder.appendingPathComponent("summary.json"))
        let cmd = reproducingCommand()
        let extras: [String: SidecarValue] = ["facts": .int(summary.factsWithNeurons), "model": .string(model.source)]
        let effects = BarChart(values: [summary.meanSuppressedChangeFound, summary.meanSuppressedChangeRandom,
                                        summary.meanAmplifiedChangeFound, summary.meanAmplifiedChangeRandom].map { 100 * $0 },
                               labels: ["found ×0", "random ×0", "found ×2", "random ×2"],
                               title: "Change of p(target) over \(summary.factsWithNeurons) facts, knowledge neurons vs random neurons",
                               xLabel: "operation on the neurons (×0 / ×2)", yLabel: "mean change of p(target), %",
                               highlighted: [0, 2])
        try effects.write(to: folder.appendingPathComponent("effects.png"), command: cmd, extras: extras)
        let layers = BarChart(values: summary.neuronsPerLayer.map(Double.init), labels: (0..<model.layerCount).map(String.init),
                              title: "Knowledge neurons per layer over \(summary.facts) facts", xLabel: "layer", yLabel: "neurons")
        try layers.write(to: folder.appendingPathComponent("layers.png"), command: cmd, extras: extras)
        print("\(summary.facts) facts (\(summary.factsWithNeurons) with knowledge neurons, \(String(format: "%.1f", summary.meanNeurons)) per fact on average; "
              + "\(summary.skipped) skipped: the model gets them wrong)")
        print(String(format: "mean change of p(target): suppress found %+.1f%%, random %+.1f%%; amplify found %+.1f%%, random %+.1f%%",
                     100 * summary.meanSuppressedChangeFound, 100 * summary.meanSuppressedChangeRandom,
                     100 * summary.meanAmplifiedChangeFound, 100 * summary.meanAmplifiedChangeRandom))
        print(String(format: "suppressing the found neurons lowers p(target) more than random neurons on %.0f%% of facts", 100 * summary.shareFoundLowerThanRandom))
        print("wrote \(folder.path)/records.jsonl, summary.json, effects.png, layers.png")
    }
}
