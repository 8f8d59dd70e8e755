import Foundation
import LocateCore
import LocateMethods
import LocateModel
import Testing
import TestSupport

enum MethodsModel {
    static let loaded: Result<Transformer, Error> = Result { try Transformer(contentsOf: Fixtures.defaultModel) }
    static func model() throws -> Transformer {
        try #require(FileManager.default.fileExists(atPath: Fixtures.defaultModel.path),
                     "no model at \(Fixtures.defaultModel.path): run `bash scripts/setup.sh` (or `locate model fetch`)")
        return try loaded.get()
    }
}

/// Causal tracing against ROME's own code run in PyTorch on the same model
/// (`../shared/reference/causal_trace`): same noise, same matrices.
@Suite("Causal trace matches ROME", .realModel)
struct CausalTraceReferenceTests {
    /// Every cell of the hidden, mlp and attn matrices within 1e-4, and the low and high scores, for
    /// c0 (ROME's saved noise) and c1 (noise regenerated from numpy's RandomState(1) stream).
    @Test(arguments: ["c0", "c1"])
    func matricesMatch(_ name: String) throws {
        let model = try MethodsModel.model()
        let meta = try #require(try Fixtures.json("causal_trace/\(name)_hidden.json") as? [String: Any])
        let ids = meta["input_ids"] as! [Int]
        let range = meta["subject_range"] as! [Int]
        let answer = meta["answer_id"] as! Int
        let level = meta["noise_level"] as! Double
        let subject = range[0]..<range[1]
        let noise: CausalTrace.Noise
        if name == "c0" {
            let saved = try Fixtures.npy("causal_trace/c0_noise_float64.npy")
            noise = CausalTrace.Noise(values: saved.doubles, samples: saved.shape[0], level: level)
        } else {
            noise = .rome(level: level, samples: 10, subjectTokens: subject.count, width: model.config.embeddingLength)
        }
        let results = try CausalTrace(model: model).run(CausalTrace.Case(tokens: ids, subject: subject, answer: [answer]), noise: noise)
        for result in results {
            let reference = try Fixtures.npy("causal_trace/\(name)_\(result.kind.rawValue)_scores.npy")
            let kindMeta = try #require(try Fixtures.json("causal_trace/\(name)_\(result.kind.rawValue).json") as? [String: Any])
            #expect(reference.shape == [ids.count, model.layerCount])
            let ours = result.scores.flatMap { $0 }
            #expect(maxAbsDifference(ours, reference.floats) < 1e-4, "\(name) \(result.kind)")
            #expect(abs(Double(result.lowScore) - (kindMeta["low_score"] as! Double)) < 1e-5)
            #expect(abs(Double(result.highScore) - (kindMeta["high_score"] as! Double)) < 1e-5)
        }
    }

    /// The staircase engine and the hook-based reference engine (resumed runs with patch
    /// interventions) give the same matrices: c1's last subject token and last token, every kind,
    /// a two-token answer scored by teacher forcing.
    @Test func enginesAgree() throws {
        let model = try MethodsModel.model()
        let ids = try model.encode("The capital of France is")
        let subject = try model.tokenizer.tokenRange(of: "France", in: "The capital of France is")
        let answer = try model.encode(" Paris.")
        let noise = CausalTrace.Noise.rome(level: 0.35, samples: 4, subjectTokens: subject.count, width: model.config.embeddingLength)
        let traceCase = CausalTrace.Case(tokens: ids, subject: subject, answer: answer)
        let trace = CausalTrace(model: model)
        let positions: Set<Int> = [subject.upperBound - 1, ids.count - 1]
        let fast = try trace.run(traceCase, noise: noise, positions: positions, engine: .staircase)
        let reference = try trace.run(traceCase, noise: noise, positions: positions, engine: .hooks)
        for (a, b) in zip(fast, reference) {
            #expect(maxAbsDifference(a.scores.flatMap { $0 }, b.scores.flatMap { $0 }) < 1e-5, "\(a.kind)")
            #expect(a.lowScore == b.lowScore && a.highScore == b.highScore)
        }
    }
}
