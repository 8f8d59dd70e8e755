import Foundation

extension KLoBBuilder {
    /// klob-c items from a probe file whose facts have paraphrases: ROME-format CounterFact (the
    /// rewrite prompt with the subject filled in, then `paraphrase_prompts`; the true object),
    /// EasyEdit's `counterfact-*.json` (`prompt`, then `rephrase_prompt`; `ground_truth`), or the
    /// project's own JSONL with `paraphrases`. The first `maxPrompts` distinct prompts in which the
    /// subject occurs once are kept; facts with fewer than two are skipped. Knowledge is
    /// `[subject, relation id as in the file, object]`.
    /// - Throws: ``KLoBError`` when the file cannot be read or is not a probe file; invalid records
    ///   are skipped with their message.
    public static func paraphraseItems(probes url: URL, maxPrompts: Int = 3) throws(KLoBError) -> KLoBCandidates {
        let set: ProbeSet
        do { set = try Probe.load(contentsOf: url) } catch { throw KLoBError(error) }
        var out = KLoBCandidates(records: set.recordCount, skipped: set.errors.map {
            KLoBSkip(file: url.path, record: $0.record ?? $0.line, kind: "invalid record", reason: $0.description)
        })
        for probe in set.probes {
            let clozes = ([probe.prompt] + (probe.paraphrases ?? [])).map(KLoBSlot.cloze)
            let usable = locatablePrompts(clozes, subject: probe.subject, limit: maxPrompts)
            guard usable.prompts.count >= KLoBParaphraseItem.minimumPrompts else {
                out.skipped.append(KLoBSkip(file: url.path, record: nil, kind: "too few prompts",
                                            reason: "\(probe.id): \(usable.prompts.count) usable prompt(s)" + (usable.refused.map { "; \($0)" } ?? "")))
                continue
            }
            let knowledge = KLoBFact(subject: probe.subject, relation: probe.relation, object: probe.target)
            out.items.append(.paraphrases(KLoBParaphraseItem(prompts: usable.prompts, knowledge: knowledge)))
        }
        return out
    }
}
