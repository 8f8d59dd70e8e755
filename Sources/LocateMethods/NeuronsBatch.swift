import Foundation
import LocateBatch
import LocateModel

/// Knowledge neurons over a probe set, one fact at a time, appending a ``NeuronsRecord`` per fact
/// to a records file (``NeuronsRecordsFile``): for each fact the model knows, Dai et al.'s
/// integrated-gradient attribution (``KnowledgeNeurons/attribute(tokens:answer:settings:)``),
/// the coarse neurons, and their check against random neurons.
///
///     let batch = NeuronsBatch(model: model, settings: KnowledgeNeurons.Settings(steps: 20))
///     let outcome = try batch.run(probes, recordsFile: url, progress: ProgressReporter(label: "neurons", unit: "facts"))
///     let summary = NeuronsSummary(records: outcome.records, layerCount: model.layerCount)
///
/// A rerun with the same settings resumes where the last one stopped.
public struct NeuronsBatch: Sendable {
    public let model: Transformer
    /// Attribution settings, the coarse threshold and the seed of the random neurons.
    public var attribution: KnowledgeNeurons.Settings
    public var threshold: Float
    public var seed: UInt64

    /// A batch; see the properties.
    public init(model: Transformer, settings: KnowledgeNeurons.Settings, threshold: Float = 0.2, seed: UInt64 = 1) {
        self.model = model; self.attribution = settings; self.threshold = threshold; self.seed = seed
    }

    /// What this batch writes in its records file's header.
    public var settings: NeuronsSettings {
        NeuronsSettings(model: URL(fileURLWithPath: model.source).lastPathComponent, attribution: attribution,
                        threshold: threshold, seed: seed)
    }

    /// What a run did: the counts and the records of the probes asked for.
    public struct Outcome: Sendable {
        public var fill: FillOutcome
        /// The records of the run's probes in the file (resumed and new), in file order.
        public var records: [NeuronsRecord]
    }

    /// The record of one fact: whether the model knows it and, if so, its neurons and their check.
    public func record(_ probe: Probe) throws -> NeuronsRecord {
        let known = try knows(probe, model: model)
        let answer = model.tokenizer.encode(" " + probe.targetFirstWord).ids
        guard known.known else {
            return NeuronsRecord(id: probe.id, prompt: probe.prompt, target: probe.targetFirstWord, correct: false,
                                 continuation: known.continuation, answerIDs: answer)
        }
        let finder = KnowledgeNeurons(model: model)
        let ids = try model.encode(probe.prompt)
        let a = try finder.attribute(tokens: ids, answer: answer, settings: attribution)
        let found = a.coarse(threshold: threshold)
        let check = try finder.check(neurons: found, tokens: ids, target: answer[0], site: attribution.site, seed: seed)
        return NeuronsRecord(id: probe.id, prompt: probe.prompt, target: probe.targetFirstWord, correct: true,
                             continuation: known.continuation, answerIDs: answer, probability: a.probability,
                             maxScore: a.maxScore, neurons: found.map { [$0.layer, $0.index] }, layerMass: a.layerMass,
                             layers: a.layers, check: check)
    }

    /// Runs every probe not yet in `recordsFile`, appending its record as it finishes.
    /// - Parameters:
    ///   - mode: resume the file (the default) or start it over (`--force`).
    /// - Throws: ``RecordsError`` when the file cannot be read or written or was made with other
    ///   settings; model errors.
    public func run(_ probes: [Probe], recordsFile url: URL, mode: NeuronsRecordsFile.OpenMode = .resume,
                    progress: ProgressReporter? = nil) throws -> Outcome {
        let file = try NeuronsRecordsFile.open(url, format: NeuronsRecord.format, settings: settings, mode: mode)
        let done = file.doneIDs
        let fill = try file.fill(probes, name: \.id, isDone: { done.contains($0.id) }, progress: progress,
                                 skipped: { !$0.correct }) { probe, _ in try record(probe) }
        let wanted = Set(probes.map(\.id))
        return Outcome(fill: fill, records: latestByID(file.records).filter { wanted.contains($0.id) })
    }
}
