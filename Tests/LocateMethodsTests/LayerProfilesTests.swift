import Foundation
import LocateCore
import LocateMethods
import LocateModel
import Testing
import TestSupport

/// Per-layer locating profiles: a trace restricted to one token equals that token's row of the
/// full trace, and profiles carry what RSim needs.
@Suite("Layer profiles", .realModel)
struct LayerProfilesTests {
    @Test func restrictedTraceEqualsFullRow() throws {
        let model = try MethodsModel.model()
        let ids = try model.encode("The Eiffel Tower is in")
        let range = try model.tokenizer.tokenRange(of: "Eiffel Tower", in: "The Eiffel Tower is in")
        let noise = CausalTrace.Noise.rome(level: 0.35, samples: 3, subjectTokens: range.count, width: model.config.embeddingLength)
        let c = CausalTrace.Case(tokens: ids, subject: range, answer: [7042])
        let tracer = CausalTrace(model: model)
        let full = try tracer.run(c, noise: noise, kinds: [.hidden])
        let last = range.upperBound - 1
        let one = try tracer.run(c, noise: noise, kinds: [.hidden], positions: [last])
        for (a, b) in zip(full, one) {
            #expect(a.kind == b.kind)
            #expect(maxAbsDifference(a.scores[last], b.scores[last]) < 1e-5)
            #expect(b.scores[last + 1].allSatisfy { $0 == b.lowScore })
        }
    }

    @Test func profilesOfAPrompt() throws {
        let model = try MethodsModel.model()
        let prompt = KLoBPrompt(id: "c0.p0", item: 0, index: 0, role: .paraphrase(0), cloze: "The capital of France is _",
                                text: "The capital of France is", subject: "France", target: "Paris", relation: "capital")
        var locator = LayerLocator(model: model, noiseLevel: 0.35)
        locator.samples = 3
        locator.neuronSettings = KnowledgeNeurons.Settings(steps: 2)
        let p = try locator.profiles(for: prompt, methods: [.traceMLP, .neurons])
        #expect(p.answer == " Paris")
        #expect(p.known == true)
        #expect(p.profile(.traceMLP)?.count == model.layerCount)
        #expect(p.profile(.neurons)?.count == model.layerCount)
        #expect(p.profile(.traceHidden) == nil)
        #expect(p.profile(.neurons)!.allSatisfy { $0 >= 0 })
        #expect(p.locatedAnswer == .prediction)

        // the set's target instead of the prediction: located by teacher forcing, known = false
        let wrong = KLoBPrompt(id: "c0.p1", item: 0, index: 1, role: .paraphrase(1), cloze: "The capital of France is _",
                               text: "The capital of France is", subject: "France", target: "Berlin", relation: "capital")
        locator.answer = .target
        let t = try locator.profiles(for: wrong, methods: [.traceMLP])
        #expect(t.answer == " Berlin")
        #expect(t.known == false)
        #expect(t.locatedAnswer == .target)
        #expect(LayerLocator.sameFirstWord(" Paris.", "paris"))
        #expect(!LayerLocator.sameFirstWord(" Parisian", "Paris"))
    }
}
