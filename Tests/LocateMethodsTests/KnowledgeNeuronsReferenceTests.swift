import Foundation
import LocateCore
import LocateMethods
import LocateModel
import Testing
import TestSupport

/// Integrated-gradient attributions against EleutherAI's knowledge-neurons code run in PyTorch on
/// the same model (`../shared/reference/knowledge_neurons/k0`: 20 linspace steps, the input of
/// `down_proj` at the last token, all 30 layers).
@Suite("Knowledge neurons match the reference", .realModel)
struct KnowledgeNeuronsReferenceTests {
    static let k0: Result<KnowledgeNeurons.Attribution, Error> = Result {
        let model = try MethodsModel.model()
        let meta = try #require(try Fixtures.json("knowledge_neurons/k0.json") as? [String: Any])
        return try KnowledgeNeurons(model: model).attribute(tokens: meta["input_ids"] as! [Int], target: meta["target_id"] as! Int)
    }

    /// Every score within 1e-3 relative to the matrix's largest magnitude, and the clean activations
    /// within 1e-3 relative to their layer's largest.
    @Test func scoresMatch() throws {
        let ours = try Self.k0.get()
        let reference = try Fixtures.npy("knowledge_neurons/k0_ig_scores.npy")
        #expect(reference.shape == [30, 1536])
        let scale = reference.floats.map { abs($0) }.max()!
        let worst = zip(ours.scores, reference.floats).map { abs($0 - $1) }.max()!
        #expect(worst / scale < 1e-3, "max |Δscore| = \(worst) against a largest score of \(scale)")
        let activations = try Fixtures.npy("knowledge_neurons/k0_activations_last_token.npy").floats
        for l in 0..<30 {
            let row = activations[(l * 1536)..<((l + 1) * 1536)]
            let big = row.map { abs($0) }.max()!
            let diff = zip(ours.activations[(l * 1536)..<((l + 1) * 1536)], row).map { abs($0 - $1) }.max()!
            #expect(diff / big < 1e-3, "layer \(l): max |Δa| = \(diff) against \(big)")
        }
    }

    /// The same top-20 neurons in the same order, the same coarse set at 0.3 × max, and p(target).
    @Test func topNeuronsMatch() throws {
        let ours = try Self.k0.get()
        let meta = try #require(try Fixtures.json("knowledge_neurons/k0.json") as? [String: Any])
        let top = (meta["top20"] as! [[String: Any]]).map { KnowledgeNeurons.Neuron(layer: $0["layer"] as! Int, index: $0["neuron"] as! Int) }
        #expect(ours.top(20) == top)
        let coarse = (meta["coarse_neurons_adaptive_threshold_0_3"] as! [[Int]]).map { KnowledgeNeurons.Neuron(layer: $0[0], index: $0[1]) }
        #expect(ours.coarse(threshold: 0.3) == coarse)
        #expect(abs(Double(ours.probability) - (meta["p_target"] as! Double)) < 1e-4)
    }

    /// Completeness: per layer, the scores sum to about p(clean) − p(layer zeroed at the last
    /// position), up to the error of a 20-point Riemann sum (the reference's own check).
    @Test func completenessHolds() throws {
        let ours = try Self.k0.get()
        let meta = try #require(try Fixtures.json("knowledge_neurons/k0.json") as? [String: Any])
        let checks = meta["completeness_check"] as! [[String: Any]]
        for check in checks {
            let l = check["layer"] as! Int
            let sum = Double(ours.layerSum[l])
            #expect(abs(sum - (check["sum_attr"] as! Double)) < 2e-3, "layer \(l)")
        }
    }
}

/// The staircase batch against one resumed gradient run per layer through the hook machinery,
/// for both attributed sites and both Riemann rules.
@Suite("Knowledge neurons: staircase equals layer-by-layer", .realModel)
struct KnowledgeNeuronsEngineTests {
    @Test(arguments: [(KnowledgeNeurons.Site.post, KnowledgeNeurons.Rule.left), (.gate, .linspace)])
    func enginesAgree(site: KnowledgeNeurons.Site, rule: KnowledgeNeurons.Rule) throws {
        let model = try MethodsModel.model()
        let finder = KnowledgeNeurons(model: model)
        let ids = try model.encode("The Eiffel Tower is located in the city of")
        let settings = KnowledgeNeurons.Settings(steps: 4, rule: rule, site: site, layers: [29, 3, 17])
        let fast = try finder.attribute(tokens: ids, target: 7042, settings: settings)
        let slow = try finder.attributeLayerByLayer(tokens: ids, target: 7042, settings: settings)
        #expect(fast.layers == [29, 3, 17])
        let scale = slow.scores.map { abs($0) }.max()!
        #expect(maxAbsDifference(fast.scores, slow.scores) < 1e-3 * scale)
        #expect(maxAbsDifference(fast.activations, slow.activations) < 1e-3 * slow.activations.map { abs($0) }.max()!)
        #expect(fast.top(10) == slow.top(10))
    }

    @Test func rules() {
        #expect(KnowledgeNeurons.Rule.linspace.alphas(steps: 5) == [0, 0.25, 0.5, 0.75, 1])
        #expect(KnowledgeNeurons.Rule.linspace.alphas(steps: 1) == [0])
        #expect(KnowledgeNeurons.Rule.left.alphas(steps: 4) == [0, 0.25, 0.5, 0.75])
    }
}

/// What the found neurons mean: on facts of the project's probe set, suppressing them lowers
/// p(target) more than suppressing as many random neurons of the same layers, and amplifying
/// them raises it more (the README's figure does this over 80 facts).
@Suite("Knowledge neurons beat random neurons", .realModel)
struct KnowledgeNeuronsCheckTests {
    @Test func foundNeuronsMatterMoreThanRandomOnes() throws {
        let model = try MethodsModel.model()
        let probes = try Probe.load(contentsOf: Fixtures.packageRoot.appendingPathComponent("probes/facts.jsonl")).probes
        let finder = KnowledgeNeurons(model: model)
        var found: Float = 0, random: Float = 0
        for probe in [probes[0], probes[40], probes[120]] {
            let ids = try model.encode(probe.prompt)
            let target = model.tokenizer.encode(" " + probe.targetFirstWord).ids[0]
            let a = try finder.attribute(tokens: ids, target: target, settings: KnowledgeNeurons.Settings(steps: 5))
            let neurons = a.coarse(threshold: 0.2)
            #expect(!neurons.isEmpty, "\(probe.id)")
            let check = try finder.check(neurons: neurons, tokens: ids, target: target, seed: 3)
            #expect(check.randomNeurons.count == neurons.count)
            #expect(Set(check.randomNeurons).isDisjoint(with: neurons))
            #expect(Dictionary(grouping: check.randomNeurons, by: \.layer).mapValues(\.count) == Dictionary(grouping: neurons, by: \.layer).mapValues(\.count))
            #expect(check.found.suppressed < check.random.suppressed, "\(probe.id)")
            #expect(check.found.amplified > check.random.amplified, "\(probe.id)")
            found += check.found.suppressedChange; random += check.random.suppressedChange
        }
        #expect(found / 3 < random / 3 - 0.2)
    }

    @Test func refinementKeepsSharedNeurons() {
        typealias N = KnowledgeNeurons.Neuron
        let sets: [[N]] = [[N(layer: 1, index: 2), N(layer: 3, index: 4)], [N(layer: 1, index: 2)], [N(layer: 1, index: 2), N(layer: 5, index: 6)]]
        #expect(KnowledgeNeurons.refine(sets, share: 0.7) == [N(layer: 1, index: 2)])
        #expect(KnowledgeNeurons.refine(sets, share: 0.3) == [N(layer: 1, index: 2), N(layer: 3, index: 4), N(layer: 5, index: 6)])
        #expect(KnowledgeNeurons.refine([], share: 0.5).isEmpty)
    }
}
