import Foundation
import LocateCore

extension KLoBItem {
    /// The item as one line of the release's JSONL (no newline), keys in the release's order and
    /// spelling: klob-c `{"prompts", "knowledge"}`; klob-r `{"single_knowledge", "knowledge_chain",
    /// "single_knowlege_prompts", "knowlege_chain_prompt"}`; klob-u a JSON string.
    public var jsonLine: String {
        func list(_ values: [String]) -> String { "[" + values.map(Self.quoted).joined(separator: ", ") + "]" }
        switch self {
        case .paraphrases(let p):
            return "{\"\(KLoBKeys.prompts)\": \(list(p.prompts)), \"\(KLoBKeys.knowledge)\": \(list(p.knowledge.array))}"
        case .chain(let c):
            return "{\"\(KLoBKeys.singleKnowledge)\": \(list(c.singleKnowledge.array)), \"\(KLoBKeys.chain)\": \(list(c.chain.array)), "
                + "\"\(KLoBKeys.singlePrompts)\": \(list(c.singlePrompts)), \"\(KLoBKeys.chainPrompt)\": \(Self.quoted(c.chainPrompt))}"
        case .nonFactual(let u):
            return Self.quoted(u.text)
        }
    }

    /// A string as a JSON literal (slashes and non-ASCII text left as they are).
    static func quoted(_ s: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(s)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

extension KLoBSet {
    /// Items as JSON lines, each ending in a newline.
    public static func jsonLines(_ items: [KLoBItem]) -> String {
        items.map { $0.jsonLine + "\n" }.joined()
    }

    /// Writes items as a KLoB JSONL file, atomically (temporary file, then rename). Refuses items of
    /// mixed subsets and invalid items, so what is written can always be read back.
    /// - Throws: ``KLoBError`` with the item's 0-based index as a record location.
    public static func write(_ items: [KLoBItem], to url: URL) throws(KLoBError) {
        if let first = items.first {
            for (index, item) in items.enumerated() {
                if item.subset != first.subset {
                    throw KLoBError(file: url.path, location: .record(index), problem: .wrongSubset(expected: first.subset, found: item.subset))
                }
                if let (field, problem) = item.problem() {
                    throw KLoBError(file: url.path, location: .record(index), field: field, problem: problem)
                }
            }
        }
        do { try AtomicFile.write(jsonLines(items), to: url) } catch {
            throw KLoBError(file: url.path, problem: .unwritable(error.reason))
        }
    }
}
