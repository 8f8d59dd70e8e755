import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel
import LocatePlot

/// One fact of `locate neurons --probes`: its knowledge neurons and their check.
struct NeuronsRecord: Codable {
    let id: String
    let prompt: String
    let target: String
    let answerIDs: [Int]
    let probability: Float
    let maxScore: Float
    let neurons: [[Int]]
    /// Sum of positive scores per attributed layer.
    let layerMass: [Float]
    let layers: [Int]
    let check: KnowledgeNeurons.Check
}

/// `locate neurons --probes FILE [--limit N] --out DIR`: every fact the model knows, appended to
/// DIR/records.jsonl (a rerun resumes), then DIR/summary.json and two figures.
struct NeuronsProbesJob {
    let command: Neurons
    let file: String

    func run() throws {
        guard command.prompt == nil else { throw ValidationError("give either a prompt or --probes FILE, not both") }
        let model = try command.options.load()
        let finder = KnowledgeNeurons(model: model)
        let settings = try command.settings(layerCount: model.layerCount)
        let set = try Probe.load(contentsOf: URL(fileURLWithPath: file))
        Probes.printErrors(set.errors, limit: 20)
        let selection = command.limit.map { Array(set.probes.prefix(max(0, $0))) } ?? set.probes
        guard !selection.isEmpty else {
            throw ValidationError("\(file) holds no valid probes (\(set.errors.count) invalid records, listed above); see probes/README.md for the format")
        }
        let folder = URL(fileURLWithPath: command.out ?? "neurons/probes")
        let recordsURL = folder.appendingPathComponent("records.jsonl")
        var records = try readRecords(recordsURL)
        let done = Set(records.map(\.id))
        var lines = Data()
        if let existing = try? Data(contentsOf: recordsURL) { lines = existing }
        var skipped = 0
        let start = Date()
        for (i, probe) in selection.enumerated() where !done.contains(probe.id) {
            let known = try knows(probe, model: model)
            guard known.known else { skipped += 1; continue }
            let ids = try model.encode(probe.prompt)
            let answer = model.tokenizer.encode(" " + probe.targetFirstWord).ids
            let a = try finder.attribute(tokens: ids, answer: answer, settings: settings)
            let found = a.coarse(threshold: command.threshold)
            let check = try finder.check(neurons: found, tokens: ids, target: answer[0], site: settings.site, seed: command.seed)
            let record = NeuronsRecord(id: probe.id, prompt: probe.prompt, target: probe.targetFirstWord, answerIDs: answer,
                                       probability: a.probability, maxScore: a.maxScore, neurons: found.map { [$0.layer, $0.index] },
                                       layerMass: a.layerMass, layers: a.layers, check: check)
            records.append(record)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            lines.append(try encoder.encode(record)); lines.append(0x0A)
            try AtomicFile.write(lines, to: recordsURL)
            let elapsed = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "\r%d/%d facts, %d skipped, %.0f s  %@", i + 1, selection.count, skipped,
                                                       elapsed, probe.id.padding(toLength: 30, withPad: " ", startingAt: 0)).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let wanted = Set(selection.map(\.id))
        guard records.contains(where: { wanted.contains($0.id) }) else {
            print("no fact of \(file) is known by the model (\(skipped) skipped): nothing to summarize")
            return
        }
        try summarize(records.filter { wanted.contains($0.id) }, skipped: skipped, folder: folder, model: model)
    }

    private func readRecords(_ url: URL) throws -> [NeuronsRecord] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        var out: [NeuronsRecord] = []
        for (n, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            do { out.append(try JSONDecoder().decode(NeuronsRecord.self, from: Data(line))) } catch {
                throw ValidationError("\(url.path) line \(n + 1) is not a neurons record (\(error)); move the file away to start over")
            }
        }
        return out
    }

    struct Summary: Encodable {
        let facts: Int
        let skippedThisRun: Int
        let factsWithNeurons: Int
        let meanNeurons: Double
        let meanSuppressedChangeFound: Double
        let meanSuppressedChangeRandom: Double
        let meanAmplifiedChangeFound: Double
        let meanAmplifiedChangeRandom: Double
        /// Facts where suppressing the found neurons lowers p(target) more than suppressing random ones.
        let shareFoundLowerThanRandom: Double
        let neuronsPerLayer: [Int]
    }

    private func summarize(_ records: [NeuronsRecord], skipped: Int, folder: URL, model: Transformer) throws {
        let with = records.filter { !$0.neurons.isEmpty }
        func mean(_ f: (NeuronsRecord) -> Float) -> Double { with.isEmpty ? .nan : with.reduce(0) { $0 + Double(f($1)) } / Double(with.count) }
        var perLayer = [Int](repeating: 0, count: model.layerCount)
        for r in records { for n in r.neurons { perLayer[n[0]] += 1 } }
        let summary = Summary(
            facts: records.count, skippedThisRun: skipped, factsWithNeurons: with.count,
            meanNeurons: records.isEmpty ? .nan : Double(records.reduce(0) { $0 + $1.neurons.count }) / Double(records.count),
            meanSuppressedChangeFound: mean { $0.check.found.suppressedChange }, meanSuppressedChangeRandom: mean { $0.check.random.suppressedChange },
            meanAmplifiedChangeFound: mean { $0.check.found.amplifiedChange }, meanAmplifiedChangeRandom: mean { $0.check.random.amplifiedChange },
            shareFoundLowerThanRandom: with.isEmpty ? .nan : Double(with.filter { $0.check.found.suppressed < $0.check.random.suppressed }.count) / Double(with.count),
            neuronsPerLayer: perLayer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(summary), to: folder.appendingPathComponent("summary.json"))
        let cmd = reproducingCommand()
        let extras: [String: SidecarValue] = ["facts": .int(with.count), "model": .string(model.source)]
        let effects = BarChart(values: [summary.meanSuppressedChangeFound, summary.meanSuppressedChangeRandom,
                                        summary.meanAmplifiedChangeFound, summary.meanAmplifiedChangeRandom].map { 100 * $0 },
                               labels: ["found ×0", "random ×0", "found ×2", "random ×2"],
                               title: "Change of p(target) over \(with.count) facts, knowledge neurons vs random neurons",
                               xLabel: "operation on the neurons (×0 / ×2)", yLabel: "mean change of p(target), %",
                               highlighted: [0, 2])
        try effects.write(to: folder.appendingPathComponent("effects.png"), command: cmd, extras: extras)
        let layers = BarChart(values: perLayer.map(Double.init), labels: (0..<model.layerCount).map(String.init),
                              title: "Knowledge neurons per layer over \(records.count) facts", xLabel: "layer", yLabel: "neurons")
        try layers.write(to: folder.appendingPathComponent("layers.png"), command: cmd, extras: extras)
        print("\(records.count) facts (\(with.count) with knowledge neurons, \(String(format: "%.1f", summary.meanNeurons)) per fact on average)")
        print(String(format: "mean change of p(target): suppress found %+.1f%%, random %+.1f%%; amplify found %+.1f%%, random %+.1f%%",
                     100 * summary.meanSuppressedChangeFound, 100 * summary.meanSuppressedChangeRandom,
                     100 * summary.meanAmplifiedChangeFound, 100 * summary.meanAmplifiedChangeRandom))
        print(String(format: "suppressing the found neurons lowers p(target) more than random neurons on %.0f%% of facts", 100 * summary.shareFoundLowerThanRandom))
        print("wrote \(folder.path)/records.jsonl, summary.json, effects.png, layers.png")
    }
}
