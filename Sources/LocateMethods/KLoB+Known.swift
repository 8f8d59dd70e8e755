import Foundation
import LocateModel

extension KLoBItem {
    /// Whether the model answers every prompt of the item correctly by ``knows(_:model:)`` (its
    /// greedy continuation starts with the answer's first word): klob-c every paraphrase with the
    /// object; klob-r every single-fact prompt with o1 and the chain prompt with o2. KLoB kept only
    /// facts its model (Llama-2-7b, 8-shot) answered correctly; this is the zero-shot analogue for
    /// the model at hand. Stops at the first prompt the model gets wrong.
    /// - Throws: ``KLoBError`` for a klob-u item (it has no answer to check); ``ProbeError`` when a
    ///   prompt cannot be a probe (the subject not exactly once in it); model errors.
    public func isKnown(by model: Transformer) throws -> Bool {
        guard subset != .u else {
            throw KLoBError(file: "", problem: .invalidValue("klob-u lines are not facts: there is no answer to check"))
        }
        for prompt in prompts(item: 0) {
            if try !knows(prompt.probe(), model: model).known { return false }
        }
        return true
    }
}
