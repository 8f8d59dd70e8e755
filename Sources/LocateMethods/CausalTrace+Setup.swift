import Foundation
import LocateCore
import LocateModel

/// Choosing what to trace: the noise level, the answer and the subject's tokens.
extension CausalTrace {
    /// ROME's noise rule: `multiplier` × the standard deviation (unbiased, over all elements) of
    /// the embeddings of each subject encoded on its own, concatenated.
    public func noiseLevel(subjects: [String], multiplier: Double = 3) throws -> Double {
        let D = model.config.embeddingLength
        var sum = 0.0, sumSquares = 0.0, count = 0
        for subject in subjects {
            for id in model.tokenizer.encode(subject).ids {
                for d in 0..<D {
                    let v = Double(model.weights.embedding[id * D + d])
                    sum += v; sumSquares += v * v; count += 1
                }
            }
        }
        guard count > 1 else { throw LocatingError.noNoiseSubjects }
        let mean = sum / Double(count)
        return multiplier * ((sumSquares - Double(count) * mean * mean) / Double(count - 1)).squareRoot()
    }

    public struct Answer: Sendable, Codable {
        public let ids: [Int]
        public let text: String
        /// Why these tokens (for the user), e.g. that the next token was whitespace.
        public let note: String?
    }

    /// The answer to trace: `target` when given (a leading space is added, as ROME and EasyEdit
    /// do, unless it starts with whitespace); otherwise the model's next token; when that token
    /// is only whitespace or punctuation (SmolLM2 answers "SMAP was created in" with " " and then
    /// "2017"), the first whole word of the greedy continuation, scored by teacher forcing.
    public func answer(for prompt: [Int], target: String? = nil) throws -> Answer {
        let tokenizer = model.tokenizer
        if let target {
            let text = target.first?.isWhitespace == true ? target : " " + target
            let ids = tokenizer.encode(text).ids
            guard !ids.isEmpty else { throw LocatingError.emptyAnswer }
            return Answer(ids: ids, text: text, note: nil)
        }
        var tokens = prompt
        var ids: [Int] = []
        func isWordless(_ s: String) -> Bool { !s.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) } }
        for _ in 0..<8 {
            let logits = try model.run(tokens: [tokens]).logits(row: 0)!
            let next = logits.indices.max { logits[$0] < logits[$1] }!
            let piece = tokenizer.decodePiece(next)
            if !ids.isEmpty {
                let soFar = tokenizer.decode(ids)
                // stop at the end of the first word: a new word or punctuation follows
                if !isWordless(soFar) && (piece.first?.isWhitespace == true || isWordless(piece)) { break }
            }
            ids.append(next)
            if ids.count == 1 && !isWordless(piece) { break }
            tokens.append(next)
        }
        let text = tokenizer.decode(ids)
        if ids.count == 1 { return Answer(ids: ids, text: text, note: nil) }
        let first = tokenizer.decodePiece(ids[0])
        return Answer(ids: ids, text: text,
                      note: "the model's next token \"\(first)\" has no letters or digits; tracing the first word of its greedy continuation, \"\(text)\" (\(ids.count) tokens), by teacher forcing")
    }

    /// The token range of `subject` in `prompt` (its first occurrence).
    public func subjectRange(_ subject: String, in prompt: String) throws -> Range<Int> {
        do { return try model.tokenizer.tokenRange(of: subject, in: prompt) } catch {
            throw LocatingError.subjectNotInPrompt(subject: subject, prompt: prompt)
        }
    }

    /// Candidate subjects of a prompt: maximal runs of capitalized words (with the digits and
    /// connecting words between them), else each word.
    public static func subjectCandidates(in prompt: String) -> [String] {
        let words = prompt.split(separator: " ").map(String.init)
        var candidates: [String] = []
        var current: [String] = []
        for word in words {
            if let first = word.first, first.isUppercase || first.isNumber {
                current.append(word.trimmingCharacters(in: .punctuationCharacters))
            } else if !current.isEmpty {
                candidates.append(current.joined(separator: " ")); current = []
            }
        }
        if !current.isEmpty { candidates.append(current.joined(separator: " ")) }
        let kept = candidates.filter { !$0.isEmpty && $0 != "The" && $0 != "A" && $0 != "An" }
        if !kept.isEmpty { return Array(Set(kept)).sorted() }
        return Array(Set(words.map { $0.trimmingCharacters(in: .punctuationCharacters) }.filter { $0.count > 2 })).sorted()
    }

    /// Picks the candidate whose corruption lowers p(answer) the most (one corrupted run each).
    public func detectSubject(prompt: String, tokens: [Int], answer: [Int], noiseLevel: Double, samples: Int = 10,
                              seed: UInt32 = 1) throws -> (subject: String, range: Range<Int>, lowScore: Float)? {
        var best: (String, Range<Int>, Float)? = nil
        for candidate in Self.subjectCandidates(in: prompt) {
            guard let range = try? model.tokenizer.tokenRange(of: candidate, in: prompt), !range.isEmpty else { continue }
            let noise = Noise.rome(level: noiseLevel, samples: samples, subjectTokens: range.count, width: model.config.embeddingLength, seed: seed)
            let low = try corruptedScore(Case(tokens: tokens, subject: range, answer: answer), noise: noise)
            if best == nil || low < best!.2 { best = (candidate, range, low) }
        }
        return best.map { (subject: $0.0, range: $0.1, lowScore: $0.2) }
    }
}
