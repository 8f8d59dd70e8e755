import Foundation
import LocateCore
import LocateModel
import Testing
import TestSupport

/// The default model, loaded once for the whole test process.
enum ModelFixture {
    static let loaded: Result<Transformer, Error> = Result { try Transformer(contentsOf: Fixtures.defaultModel) }

    static func model() throws -> Transformer {
        try #require(FileManager.default.fileExists(atPath: Fixtures.defaultModel.path),
                     "no model at \(Fixtures.defaultModel.path): run `bash scripts/setup.sh` (or `locate model fetch`)")
        return try loaded.get()
    }
}

/// The 16 reference prompts of `../shared/reference/prompts.json`.
struct ReferencePrompt: Sendable, CustomTestStringConvertible {
    let index: Int
    let prompt: String
    let subject: String
    let inputIDs: [Int]
    let top10: [Int]
    var testDescription: String { "p\(String(format: "%02d", index)) \(prompt)" }

    static let all: [ReferencePrompt] = {
        guard let root = try? Fixtures.json("prompts.json") as? [String: Any],
              let prompts = root["prompts"] as? [[String: Any]] else { return [] }
        return prompts.map { p in
            ReferencePrompt(index: p["index"] as! Int, prompt: p["prompt"] as! String, subject: p["subject"] as! String,
                            inputIDs: p["input_ids"] as! [Int],
                            top10: (p["top10"] as! [[String: Any]]).map { $0["id"] as! Int })
        }
    }()
}


