import Foundation
import LocateCore
import LocateModel
import Testing
import TestSupport

/// Gradients against PyTorch autograd on the default model (`../shared/reference/gradients`).
/// Tolerance: relative error = max |ours − torch| / max |torch| < 1e-3 per array.
@Suite("Gradients match autograd", .realModel)
struct GradientReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var testDescription: String { name }
    }

    static let cases = ["g0_logprob_next", "g1_logprob_next", "g3_logprob_seq", "g4_kl_delta"].map(Case.init)

    static func relativeError(_ ours: [Float], _ reference: [Float]) -> Float {
        maxAbsDifference(ours, reference) / max(reference.map(abs).max() ?? 0, 1e-30)
    }

    @Test(arguments: cases)
    func matchesAutograd(_ c: Case) throws {
        let model = try ModelFixture.model()
        let meta = try #require(try Fixtures.json("gradients/\(c.name).json") as? [String: Any])
        let arrays = try NPZ.read(Fixtures.reference.appendingPathComponent("gradients/\(c.name).npz"))
        let ids = meta["input_ids"] as! [Int]
        let mlpLayers = meta["mlp_layers"] as! [Int], residLayers = meta["resid_layers"] as! [Int]
        let wLayer = meta["w_layer"] as! Int
        let last = ids.count - 1
        var hooks = mlpLayers.map { HookPoint.mlpPost($0) } + residLayers.map { HookPoint.residPost($0) }
        var options = RunOptions()
        let objective: Objective
        switch meta["objective"] as! String {
        case "logprob_next":
            objective = .logProb(of: meta["answer_id"] as! Int, position: last)
        case let o where o.hasPrefix("logprob_seq"):
            objective = .sequenceLogProb(target: meta["target_ids"] as! [Int], promptLength: (meta["prompt_ids"] as! [Int]).count)
        default:   // KL(p_δ ‖ p_clean) with δ added at blocks.5.hook_mlp_out, position 3
            let delta = try #require(arrays["delta"]).floats
            let clean = try model.run(tokens: [ids])
            objective = .kl(reference: clean.logProbabilities()!, position: last)
            options.interventions = [.add(.mlpOut(5), Tensor(shape: [delta.count], data: delta), positions: .at([meta["delta_position"] as! Int]))]
            hooks.append(.mlpOut(5))
        }
        let g = try model.gradient(tokens: [ids], objective: objective, at: hooks, weights: [.mlpOut(wLayer)], options: options)
        let j = try #require(arrays["J"]).doubles[0]
        #expect(abs(Double(g.value) - j) < 1e-4 * max(1, abs(j)), "J \(g.value) vs \(j)")
        for l in mlpLayers {
            let ours = try #require(g.activations[.mlpPost(l)]).data
            #expect(Self.relativeError(ours, try #require(arrays["grad_mlp_post_\(l)"]).floats) < 1e-3, "mlp_post \(l)")
        }
        for l in residLayers {
            let ours = try #require(g.activations[.residPost(l)]).data
            #expect(Self.relativeError(ours, try #require(arrays["grad_resid_post_\(l)"]).floats) < 1e-3, "resid_post \(l)")
        }
        let wGrad = try #require(g.weights[.mlpOut(wLayer)])
        #expect(wGrad.shape == [576, 1536])
        #expect(Self.relativeError(wGrad.data, try #require(arrays["grad_W_out_\(wLayer)"]).floats) < 1e-3, "W_out")
        if let ref = arrays["grad_delta"] {
            let ours = try #require(g.addedVectorGradient(at: .mlpOut(5), positions: [meta["delta_position"] as! Int]))
            #expect(Self.relativeError(ours, ref.floats) < 1e-3, "delta")
        }
    }
}
