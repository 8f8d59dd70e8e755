import Foundation
import LocateBatch

/// One fact of a batch knowledge-neuron run (``NeuronsBatch``): its knowledge neurons, the
/// attribution mass per layer and the suppress/amplify check against random neurons
/// (``KnowledgeNeurons/check(neurons:tokens:target:site:seed:)``). One JSON object per line of
/// a records file.
///
/// A fact the model gets wrong (``correct`` false) is recorded too, without an attribution, so
/// that a resumed run does not check it again and the summary can count it.
public struct NeuronsRecord: Codable, Sendable, Identifiable {
    /// The format version of a record, 2 (version 1, before records files had headers, had no
    /// ``correct`` and left the facts the model gets wrong out).
    public static let currentVersion = 2
    /// The records file's kind and version: "neurons", ``currentVersion``.
    public static let format = RecordsFormat(kind: "neurons", version: currentVersion)

    /// The probe's id and prompt, and its target's first word (the word attributed).
    public let id: String
    public let prompt: String
    public let target: String
    /// The model knows the fact (``knows(_:model:)``); only these facts are attributed.
    public let correct: Bool
    /// The model's greedy continuation that decided ``correct``.
    public let continuation: String
    /// The target with a leading space, as tokens.
    public let answerIDs: [Int]
    /// p(target) of the clean run and the largest attribution score; nil for a fact the model gets wrong.
    public let probability: Float?
    public let maxScore: Float?
    /// The knowledge neurons, [layer, index] each (coarse: score above the threshold × the maximum).
    public let neurons: [[Int]]
    /// Sum of positive scores per attributed layer, and those layers.
    public let layerMass: [Float]?
    public let layers: [Int]?
    /// The neurons suppressed and amplified next to as many random ones.
    public let check: KnowledgeNeurons.Check?

    /// A record; see the properties for the meaning of each argument.
    public init(id: String, prompt: String, target: String, correct: Bool, continuation: String, answerIDs: [Int],
                probability: Float? = nil, maxScore: Float? = nil, neurons: [[Int]] = [], layerMass: [Float]? = nil,
                layers: [Int]? = nil, check: KnowledgeNeurons.Check? = nil) {
        self.id = id; self.prompt = prompt; self.target = target; self.correct = correct; self.continuation = continuation
        self.answerIDs = answerIDs; self.probability = probability; self.maxScore = maxScore; self.neurons = neurons
        self.layerMass = layerMass; self.layers = layers; self.check = check
    }
}

/// What must agree between the records of one neurons records file: its header's settings.
public struct NeuronsSettings: Codable, Sendable, Equatable {
    /// The model's file name.
    public var model: String
    /// Integration steps, Riemann rule and attributed site (``KnowledgeNeurons/Settings``).
    public var steps: Int
    public var rule: KnowledgeNeurons.Rule
    public var site: KnowledgeNeurons.Site
    /// Layers attributed; nil for all.
    public var layers: [Int]?
    /// Coarse neurons score above threshold × the maximum.
    public var threshold: Float
    /// Seed of the random comparison neurons.
    public var seed: UInt64

    /// Settings; see the properties.
    public init(model: String, attribution: KnowledgeNeurons.Settings, threshold: Float, seed: UInt64) {
        self.model = model; self.steps = attribution.steps; self.rule = attribution.rule; self.site = attribution.site
        self.layers = attribution.layers; self.threshold = threshold; self.seed = seed
    }

    /// The attribution settings.
    public var attribution: KnowledgeNeurons.Settings {
        KnowledgeNeurons.Settings(steps: steps, rule: rule, site: site, layers: layers)
    }
}

/// The records file of a batch knowledge-neuron run.
public typealias NeuronsRecordsFile = RecordsFile<NeuronsRecord, NeuronsSettings>
