import Foundation

/// The pieces of a klob-r item before its prompts are checked.
struct ChainParts {
    var subject: String
    var relation1: String
    var object1: String
    var relation2: String
    var object2: String
    /// Prompts or questions for the single fact, most canonical first.
    var singleTexts: [String]
    /// The chain's prompt or question.
    var chainText: String
}

extension KLoBBuilder {
    /// klob-r items from EasyEdit/KnowEdit portability records. Three record shapes are read
    /// (klob/README.md has the full mapping):
    ///
    /// * ROME-format CounterFact with `portability` (`one_hop_counterfact_portability_gpt4.json`,
    ///   `counterfact_distracting_neighbor.json`): single fact (subject, `relation_id`,
    ///   `target_new.str`); its prompts the rewrite prompt and `paraphrase_prompts`; chain
    ///   (…, r2 from `Recalled Relation`, `New Answer`); chain prompt from `New Question`.
    /// * zsRE MEND with `portability` (`one_hop_zsre_mend_eval_portability_gpt4.json`): single fact
    ///   (subject, "", `alt`) asked by `src` and `rephrase`; the chain as above.
    /// * KnowEdit (`ZsRE-test-all.json`, `train_cf.json`, `recent_train.json`): single fact
    ///   (subject, "", `target_new`) asked by `prompt` and `rephrase_prompt`; chain (…, "", the first
    ///   `portability.Reasoning` entry's `ground_truth`) asked by its `prompt`.
    ///
    /// The portability chains go through the *edit's new object*: they are true after the edit,
    /// not before, so an unedited model knows neither hop's fact as written (``KLoBSource/chains``
    /// builds true chains). Questions become `"Question: … Answer: _"`
    /// (``cloze(fromPromptOrQuestion:)``). Prompts in which the subject does not occur exactly once
    /// are dropped; a record without a usable single prompt or chain prompt is skipped.
    public static func chainItems(portability url: URL, maxPrompts: Int = 3) throws(KLoBError) -> KLoBCandidates {
        guard let records = try readJSON(url) as? [Any] else {
            throw KLoBError(file: url.path, problem: .unknownFormat("expected a JSON array of portability records"))
        }
        var out = KLoBCandidates(records: records.count)
        var recognised = 0
        for (index, element) in records.enumerated() {
            func skip(_ kind: String, _ reason: String) {
                out.skipped.append(KLoBSkip(file: url.path, record: index, kind: kind, reason: reason))
            }
            let parts: ChainParts?
            do throws(KLoBError) {
                guard let object = element as? [String: Any] else { throw KLoBError(file: "", problem: .wrongType(expected: "a JSON object")) }
                let f = Fields(object)
                if object["requested_rewrite"] != nil {
                    recognised += 1
                    parts = try lift { () throws(ProbeError) in try romePortability(f) }
                } else if object["src"] != nil {
                    recognised += 1
                    parts = try lift { () throws(ProbeError) in try zsrePortability(f) }
                } else if object["prompt"] != nil, object["subject"] != nil {
                    recognised += 1
                    parts = try lift { () throws(ProbeError) in try knowEditPortability(f) }
                } else {
                    throw KLoBError(file: "", problem: .unknownFormat("fields \(object.keys.sorted().joined(separator: ", "))"))
                }
            } catch {
                skip("invalid record", error.at(url.path, .record(index)).description)
                continue
            }
            guard let parts else {
                skip("no portability", "the record has no two-hop question")
                continue
            }
            switch assemble(parts, maxPrompts: maxPrompts) {
            case .success(let item): out.items.append(.chain(item))
            case .failure(let failure): skip(failure.kind, failure.reason)
            }
        }
        if recognised == 0 && !records.isEmpty {
            throw KLoBError(file: url.path, problem: .unknownFormat(
                "the records are neither ROME-format CounterFact, zsRE MEND nor KnowEdit records with portability"))
        }
        return out
    }

    /// A klob-r item from its parts: cloze forms, prompts that cannot be located dropped.
    static func assemble(_ p: ChainParts, maxPrompts: Int) -> Result<KLoBChainItem, AssemblyFailure> {
        let singles = locatablePrompts(p.singleTexts.map(cloze(fromPromptOrQuestion:)), subject: p.subject, limit: maxPrompts)
        guard !singles.prompts.isEmpty else {
            return .failure(AssemblyFailure(kind: "no single prompt", reason: singles.refused ?? "no prompt for the single fact"))
        }
        let chainPrompt = cloze(fromPromptOrQuestion: p.chainText)
        if let reason = unlocatable(chainPrompt, subject: p.subject) {
            return .failure(AssemblyFailure(kind: "chain prompt", reason: reason))
        }
        for (name, value) in [("subject", p.subject), ("first object", p.object1), ("chain answer", p.object2)]
        where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .failure(AssemblyFailure(kind: "empty field", reason: "the \(name) is empty"))
        }
        let single = KLoBFact(subject: p.subject, relation: p.relation1, object: p.object1)
        let chain = KLoBChain(subject: p.subject, relation1: p.relation1, object1: p.object1, relation2: p.relation2, object2: p.object2)
        return .success(KLoBChainItem(singleKnowledge: single, chain: chain, singlePrompts: singles.prompts, chainPrompt: chainPrompt))
    }

    struct AssemblyFailure: Error {
        var kind: String
        var reason: String
    }

    /// The second relation of a `Recalled Relation` triple `"(o1, r2, o2)"`: the text between the
    /// known first object (or the first comma) and the last comma; nil when it has no such shape.
    static func secondRelation(_ recalled: String, object1: String) -> String? {
        var text = recalled.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("("), text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix(object1 + ", ") {
            text = String(text.dropFirst(object1.count + 2))
        } else if let comma = text.range(of: ", ") {
            text = String(text[comma.upperBound...])
        } else {
            return nil
        }
        guard let last = text.range(of: ", ", options: .backwards) else { return nil }
        let relation = text[..<last.lowerBound].trimmingCharacters(in: .whitespaces)
        return relation.isEmpty ? nil : relation
    }

    private static func lift<T>(_ body: () throws(ProbeError) -> T) throws(KLoBError) -> T {
        do { return try body() } catch { throw KLoBError(error) }
    }

    /// The `New Question` / `New Answer` pair of an EasyEdit portability object, or nil when absent.
    private static func question(_ f: Fields) throws(ProbeError) -> (question: String, answer: String, recalled: String?)? {
        guard f.object["portability"] != nil else { return nil }
        let p = try f.object("portability")
        return (try p.string("New Question"), try p.string("New Answer"), try p.optionalString("Recalled Relation"))
    }

    private static func romePortability(_ f: Fields) throws(ProbeError) -> ChainParts? {
        let rewrite = try f.object("requested_rewrite")
        let subject = try rewrite.string("subject")
        let template = try rewrite.string("prompt")
        let object1 = try rewrite.object("target_new").string("str").trimmingCharacters(in: .whitespaces)
        guard let q = try question(f) else { return nil }
        let prompt = template.replacingOccurrences(of: Probe.placeholder, with: subject)
        return ChainParts(subject: subject, relation1: try rewrite.string("relation_id"), object1: object1,
                          relation2: q.recalled.flatMap { secondRelation($0, object1: object1) } ?? "",
                          object2: q.answer, singleTexts: [prompt] + (try f.optionalStrings("paraphrase_prompts") ?? []),
                          chainText: q.question)
    }

    private static func zsrePortability(_ f: Fields) throws(ProbeError) -> ChainParts? {
        let object1 = try f.string("alt")
        guard let q = try question(f) else { return nil }
        return ChainParts(subject: try f.string("subject"), relation1: "", object1: object1,
                          relation2: q.recalled.flatMap { secondRelation($0, object1: object1) } ?? "",
                          object2: q.answer, singleTexts: [try f.string("src")] + [try f.optionalString("rephrase")].compactMap { $0 },
                          chainText: q.question)
    }

    private static func knowEditPortability(_ f: Fields) throws(ProbeError) -> ChainParts? {
        let object1 = try f.string("target_new")
        guard f.object["portability"] != nil else { return nil }
        let portability = try f.object("portability")
        guard let reasoning = portability.object["Reasoning"] as? [Any], let first = reasoning.first else { return nil }
        guard let entry = first as? [String: Any] else {
            throw ProbeError(file: "", field: portability.path("Reasoning[0]"), problem: .wrongType(expected: "a JSON object"))
        }
        let e = Fields(entry, prefix: portability.path("Reasoning[0]"))
        guard let answer = firstString(entry["ground_truth"]) else {
            throw ProbeError(file: "", field: e.path("ground_truth"), problem: .wrongType(expected: "a string or a (nested) list of strings"))
        }
        return ChainParts(subject: try f.string("subject"), relation1: "", object1: object1, relation2: "", object2: answer,
                          singleTexts: [try f.string("prompt")] + [try f.optionalString("rephrase_prompt")].compactMap { $0 },
                          chainText: try e.string("prompt"))
    }

    /// The first string of a string or a nested list of strings (KnowEdit's alias lists).
    static func firstString(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let list = value as? [Any] { return list.lazy.compactMap { firstString($0) }.first }
        return nil
    }
}
