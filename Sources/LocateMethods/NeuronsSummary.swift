import Foundation

/// What a batch knowledge-neuron run adds up to (`summary.json` of `locate neurons --probes`):
/// how often suppressing (×0) and amplifying (×2) the found neurons moves p(target), against as
/// many random neurons of the same layers, and how the neurons spread over layers.
public struct NeuronsSummary: Encodable, Sendable {
    /// Facts the model knows (attributed), and those it gets wrong (recorded, not attributed).
    public let facts: Int
    public let skipped: Int
    /// Facts the model knows with at least one knowledge neuron (the means are over these).
    public let factsWithNeurons: Int
    /// Knowledge neurons per known fact.
    public let meanNeurons: Double
    /// Mean relative change of p(target): found and random neurons, suppressed and amplified.
    public let meanSuppressedChangeFound: Double
    public let meanSuppressedChangeRandom: Double
    public let meanAmplifiedChangeFound: Double
    public let meanAmplifiedChangeRandom: Double
    /// Facts where suppressing the found neurons lowers p(target) more than suppressing random ones.
    public let shareFoundLowerThanRandom: Double
    /// Knowledge neurons per layer over all facts, [L].
    public let neuronsPerLayer: [Int]

    /// The summary of `records` of a model with `layerCount` layers.
    public init(records: [NeuronsRecord], layerCount: Int) {
        let known = records.filter(\.correct)
        let checked = known.compactMap { record in record.check.flatMap { record.neurons.isEmpty ? nil : $0 } }
        func mean(_ f: (KnowledgeNeurons.Check) -> Float) -> Double {
            checked.isEmpty ? .nan : checked.reduce(0) { $0 + Double(f($1)) } / Double(checked.count)
        }
        var perLayer = [Int](repeating: 0, count: layerCount)
        for record in known { for n in record.neurons where n.first.map({ (0..<layerCount).contains($0) }) == true { perLayer[n[0]] += 1 } }
        facts = known.count
        skipped = records.count - known.count
        factsWithNeurons = checked.count
        meanNeurons = known.isEmpty ? .nan : Double(known.reduce(0) { $0 + $1.neurons.count }) / Double(known.count)
        meanSuppressedChangeFound = mean { $0.found.suppressedChange }
        meanSuppressedChangeRandom = mean { $0.random.suppressedChange }
        meanAmplifiedChangeFound = mean { $0.found.amplifiedChange }
        meanAmplifiedChangeRandom = mean { $0.random.amplifiedChange }
        shareFoundLowerThanRandom = checked.isEmpty ? .nan
            : Double(checked.filter { $0.found.suppressed < $0.random.suppressed }.count) / Double(checked.count)
        neuronsPerLayer = perLayer
    }

    /// `summary.json`: pretty-printed, keys sorted, non-finite numbers as strings.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
