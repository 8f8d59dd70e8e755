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

/// The 10 reference prompts of `../shared/reference/prompts.json`.
struct ReferencePrompt: Sendable, CustomTestStringConvertible {
    let index: Int
    let prompt: String
    let subject: String
    let inputIDs: [Int]
    let top10: [Int]
    var testDescription: String { "p\(String(format: "%02d", index)) \(prompt)" }

    /// All 10; a missing or malformed fixture throws, which fails every test that takes them as
    /// arguments (a reference test never passes with zero cases).
    static func all() throws -> [ReferencePrompt] {
        guard let root = try Fixtures.json("prompts.json") as? [String: Any],
              let prompts = root["prompts"] as? [[String: Any]] else { throw FixtureError.malformed("prompts.json") }
        let all = try prompts.map { p throws -> ReferencePrompt in
            guard let index = p["index"] as? Int, let prompt = p["prompt"] as? String, let subject = p["subject"] as? String,
                  let ids = p["input_ids"] as? [Int], let top = p["top10"] as? [[String: Any]] else { throw FixtureError.malformed("prompts.json") }
            return ReferencePrompt(index: index, prompt: prompt, subject: subject, inputIDs: ids, top10: top.compactMap { $0["id"] as? Int })
        }
        guard all.count == 10 else { throw FixtureError.malformed("prompts.json (\(all.count) prompts, expected 10)") }
        return all
    }
}


