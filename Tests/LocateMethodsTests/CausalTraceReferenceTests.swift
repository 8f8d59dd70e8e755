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
@Suite("Causal trace matches ROME")
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
}

