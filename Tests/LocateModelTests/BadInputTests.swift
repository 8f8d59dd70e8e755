import Foundation
import LocateCore
import LocateModel
import Testing
import TestSupport

/// Bad input is a typed error with a message, never a trap.
@Suite("Bad input", .realModel)
struct BadInputTests {
    @Test func emptyPrompt() throws {
        let model = try ModelFixture.model()
        #expect(throws: ModelError.emptyPrompt) { try model.run("") }
        #expect(throws: ModelError.emptyPrompt) { try model.run(tokens: [[]]) }
    }

    @Test func promptLongerThanContext() throws {
        let model = try ModelFixture.model()
        let ids = Array(repeating: 504, count: model.config.contextLength + 1)
        #expect(throws: ModelError.promptTooLong(tokens: ids.count, context: model.config.contextLength)) { try model.run(tokens: [ids]) }
    }

    @Test func unknownHookName() throws {
        let model = try ModelFixture.model()
        do {
            _ = try model.hook("blocks.6.mlp.hook_pots")
            Issue.record("accepted an unknown hook")
        } catch let error {
            #expect(error == .unknownHookPoint(name: "blocks.6.mlp.hook_pots", suggestion: "blocks.6.mlp.hook_post"))
            #expect(error.description.contains("did you mean \"blocks.6.mlp.hook_post\""))
        }
        #expect(throws: ModelError.self) { try model.hook("blocks.30.hook_resid_post") }
        #expect(HookPoint("blocks.06.hook_resid_post") == nil)
        #expect(HookPoint("blocks.-1.hook_resid_post") == nil)
        #expect(HookPoint("blocks.3.hook_embed") == nil)
        #expect(HookPoint("hook_resid_post") == nil)
    }

    @Test func interventionWithWrongShape() throws {
        let model = try ModelFixture.model()
        let bad = Intervention.add(.mlpOut(2), Tensor(shape: [3], data: [1, 2, 3]))
        #expect(throws: ModelError.self) { try model.run("The capital of France is", RunOptions(interventions: [bad])) }
    }

    @Test func positionOutOfRange() throws {
        let model = try ModelFixture.model()
        let bad = Intervention.zero(.mlpOut(2), positions: .at([40]))
        #expect(throws: ModelError.positionOutOfRange(hook: "blocks.2.hook_mlp_out", position: 40, positions: 5)) {
            try model.run("The capital of France is", RunOptions(interventions: [bad]))
        }
        #expect(throws: ModelError.self) { try model.run(tokens: [[49152]]) }
        #expect(throws: ModelError.self) {
            try model.run("The capital of France is", RunOptions(interventions: [.zero(.mlpOut(2), units: .at([576]))]))
        }
    }

    @Test func patchWithoutSource() throws {
        let model = try ModelFixture.model()
        #expect(throws: ModelError.self) {
            try model.run("The capital of France is", RunOptions(interventions: [.patch(.residPost(1), from: "nowhere")]))
        }
    }

    @Test func malformedInterventionJSON() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Intervention].self, from: Data(#"[{"hook": "blocks.1.hook_mlp_out", "edit": "explode"}]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Intervention].self, from: Data(#"[{"hook": "blocks.1.hook_mlp_outt", "edit": "zero"}]"#.utf8))
        }
    }
}

/// Generation reproduces the reference's greedy continuation.
@Suite("Generation", .realModel)
struct GenerationTests {
    @Test func greedyParis() throws {
        let model = try ModelFixture.model()
        let g = try model.generate("The capital of France is", maxTokens: 12)
        let root = try #require(try Fixtures.json("greedy.json") as? [String: Any])
        let first = try #require((root["results"] as? [[String: Any]])?.first)
        #expect(g.ids == first["greedy_ids"] as? [Int])
        #expect(g.text.hasPrefix(" Paris."))
    }

    @Test func samplingIsSeeded() throws {
        let model = try ModelFixture.model()
        let s = Sampling(temperature: 0.8, topK: 40, topP: 0.95, seed: 42)
        let a = try model.generate("The capital of France is", maxTokens: 8, sampling: s)
        let b = try model.generate("The capital of France is", maxTokens: 8, sampling: s)
        #expect(a.ids == b.ids)
    }
}
