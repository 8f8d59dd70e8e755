import Foundation
import LocateCore

/// One ParaRel bag as the knowledge-neurons release stores it (`data_11.json`): paraphrased cloze
/// prompts of one fact, each a triple `[prompt with "[MASK]", object, "Pxx(relation name)"]`. The
/// subject is not stored; ``KLoBBuilder/paraRelFacts(_:)`` recovers it.
public struct ParaRelBag: Sendable, Equatable {
    /// Position in the file (0-based).
    public var index: Int
    /// `P36(capital)`.
    public var relation: String
    public var object: String
    public var prompts: [String]

    public init(index: Int, relation: String, object: String, prompts: [String]) {
        self.index = index
        self.relation = relation
        self.object = object
        self.prompts = prompts
    }
}

/// A ParaRel fact with its subject recovered and its autoregressive prompts (those whose
/// `[MASK]` is at the end), in template order.
public struct ParaRelFact: Sendable, Equatable {
    /// The bag's position in the file.
    public var bag: Int
    /// ParaRel's form, `P36(capital)`.
    public var relation: String
    /// Recovered from the templates.
    public var subject: String
    public var object: String
    /// Prompts with the `[MASK]` (and what follows it) removed: `The capital of Azerbaijan is`.
    public var prompts: [String]
}

extension KLoBBuilder {
    /// The mask token of ParaRel prompts.
    public static let paraRelMask = "[MASK]"

    /// Reads a ParaRel file: a JSON array of bags, each a list of `[prompt, object, relation]`.
    /// - Throws: ``KLoBError`` at the bag's record index, with a field such as `[3][1]`, when a bag
    ///   is not a non-empty list of string triples or its triples disagree on object or relation.
    public static func readParaRel(_ url: URL) throws(KLoBError) -> [ParaRelBag] {
        let root = try readJSON(url)
        guard let bags = root as? [Any] else { throw KLoBError(file: url.path, problem: .unknownFormat("expected a JSON array of bags")) }
        var out: [ParaRelBag] = []
        for (index, element) in bags.enumerated() {
            func fail(_ field: String?, _ problem: KLoBError.Problem) -> KLoBError {
                KLoBError(file: url.path, location: .record(index), field: field, problem: problem)
            }
            guard let bag = element as? [Any], !bag.isEmpty else { throw fail(nil, .wrongType(expected: "a non-empty list of [prompt, object, relation]")) }
            var prompts: [String] = []
            var object = "", relation = ""
            for (j, entry) in bag.enumerated() {
                guard let triple = entry as? [Any] else { throw fail("[\(j)]", .wrongType(expected: "a list [prompt, object, relation]")) }
                guard triple.count == 3 else { throw fail("[\(j)]", .wrongCount(expected: "3", found: triple.count)) }
                let strings = triple.compactMap { $0 as? String }
                guard strings.count == 3 else {
                    let bad = triple.firstIndex { !($0 is String) }!
                    throw fail("[\(j)][\(bad)]", .wrongType(expected: "a string"))
                }
                if j == 0 { object = strings[1]; relation = strings[2] }
                if strings[1] != object { throw fail("[\(j)][1]", .invalidValue("object \"\(strings[1])\" differs from the bag's \"\(object)\"")) }
                if strings[2] != relation { throw fail("[\(j)][2]", .invalidValue("relation \"\(strings[2])\" differs from the bag's \"\(relation)\"")) }
                prompts.append(strings[0])
            }
            out.append(ParaRelBag(index: index, relation: relation, object: object, prompts: prompts))
        }
        return out
    }

    /// Recovers each bag's subject and keeps its autoregressive prompts.
    ///
    /// The bags of one relation fill the same templates in the same order, so for template j the
    /// text shared by every bag's j-th prompt (the longest common prefix and suffix, cut back to a
    /// word boundary) is the template, and what remains in a bag's prompt is its subject. The
    /// subject must come out the same from every template of the bag; a relation needs at least two
    /// bags. A prompt is autoregressive when `[MASK]`, followed by nothing but `.`, `?`, `!` or
    /// spaces, ends it and the subject occurs once before it.
    /// - Returns: the facts in bag order, and the bags skipped with the reason.
    public static func paraRelFacts(_ bags: [ParaRelBag]) -> (facts: [ParaRelFact], skipped: [(bag: Int, kind: String, reason: String)]) {
        var facts: [ParaRelFact] = []
        var skipped: [(bag: Int, kind: String, reason: String)] = []
        let byRelation = Dictionary(grouping: bags, by: \.relation)
        var templates: [String: (prefixes: [[Character]], suffixes: [[Character]])] = [:]
        for (relation, group) in byRelation where group.count >= 2 {
            let width = group.map(\.prompts.count).max() ?? 0
            var prefixes: [[Character]] = [], suffixes: [[Character]] = []
            for j in 0 ..< width {
                let column = group.compactMap { $0.prompts.indices.contains(j) ? Array($0.prompts[j]) : nil }
                prefixes.append(wordPrefix(column))
                suffixes.append(Array(wordPrefix(column.map { Array($0.reversed()) }).reversed()))
            }
            templates[relation] = (prefixes, suffixes)
        }
        var seen: [String: Int] = [:]
        for bag in bags {
            guard let (prefixes, suffixes) = templates[bag.relation] else {
                skipped.append((bag.index, "single bag", "the relation \(bag.relation) has one bag: its subject cannot be told from the template"))
                continue
            }
            var subjects: [String] = []
            for (j, prompt) in bag.prompts.enumerated() {
                let chars = Array(prompt)
                guard chars.count > prefixes[j].count + suffixes[j].count else { continue }
                subjects.append(String(chars[prefixes[j].count ..< chars.count - suffixes[j].count]).trimmingCharacters(in: .whitespaces))
            }
            let distinct = Array(Set(subjects)).sorted()
            guard distinct.count == 1, let subject = distinct.first, !subject.isEmpty, !subject.contains(paraRelMask) else {
                skipped.append((bag.index, "no subject", "the templates disagree on the subject: \(distinct.map { "\"\($0)\"" }.joined(separator: ", "))"))
                continue
            }
            let key = bag.relation + "\u{0}" + subject
            if let first = seen[key] {
                skipped.append((bag.index, "duplicate", "the same fact as bag [\(first)]: (\(subject), \(bag.relation))"))
                continue
            }
            seen[key] = bag.index
            let prompts = bag.prompts.compactMap { autoregressive($0, subject: subject) }
            facts.append(ParaRelFact(bag: bag.index, relation: bag.relation, subject: subject, object: bag.object, prompts: prompts))
        }
        return (facts, skipped)
    }

    /// klob-c items from a ParaRel file: per fact, a seeded choice of up to `maxPrompts` of its
    /// autoregressive prompts (kept in template order; one stream seeded with `seed`, drawn in bag
    /// order), with knowledge `[subject, "name_(Pxx)", object]`. Facts with fewer than two such
    /// prompts are skipped.
    public static func paraphraseItems(paraRel url: URL, maxPrompts: Int = 3, seed: UInt64 = 1) throws(KLoBError) -> KLoBCandidates {
        let bags = try readParaRel(url)
        let (facts, skippedBags) = paraRelFacts(bags)
        var out = KLoBCandidates(records: bags.count, skipped: skippedBags.map {
            KLoBSkip(file: url.path, record: $0.bag, kind: $0.kind, reason: $0.reason)
        })
        let rng = RandomSource(seed: seed)
        for fact in facts {
            let clozes = fact.prompts.map(KLoBSlot.cloze)
            let usable = locatablePrompts(clozes, subject: fact.subject, limit: clozes.count)
            guard usable.prompts.count >= KLoBParaphraseItem.minimumPrompts else {
                out.skipped.append(KLoBSkip(file: url.path, record: fact.bag, kind: "too few prompts",
                                            reason: "\(usable.prompts.count) prompt(s) end in [MASK]" + (usable.refused.map { "; \($0)" } ?? "")))
                continue
            }
            let chosen = SeededSample.choose(maxPrompts, from: usable.prompts.count, using: rng).map { usable.prompts[$0] }
            let knowledge = KLoBFact(subject: fact.subject, relation: klobRelation(fact.relation), object: fact.object)
            out.items.append(.paraphrases(KLoBParaphraseItem(prompts: chosen, knowledge: knowledge)))
        }
        return out
    }

    /// ParaRel's `P36(capital)` in KLoB's form, `capital_(P36)` (spaces become underscores); a
    /// relation without a parenthesised name is returned unchanged.
    public static func klobRelation(_ paraRel: String) -> String {
        guard let open = paraRel.firstIndex(of: "("), paraRel.hasSuffix(")") else { return paraRel }
        let id = paraRel[..<open].trimmingCharacters(in: .whitespaces)
        let name = paraRel[paraRel.index(after: open) ..< paraRel.index(before: paraRel.endIndex)]
            .trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "_")
        return name.isEmpty ? id : "\(name)_(\(id))"
    }

    /// The prompt before a final `[MASK]`, trimmed, when the subject occurs in it once.
    static func autoregressive(_ prompt: String, subject: String) -> String? {
        guard let mask = prompt.range(of: paraRelMask, options: .backwards) else { return nil }
        guard prompt[mask.upperBound...].allSatisfy({ $0.isWhitespace || ".?!".contains($0) }) else { return nil }
        let before = prompt[..<mask.lowerBound].trimmingCharacters(in: .whitespaces)
        guard !before.contains(paraRelMask), Probe.count(of: subject, in: before) == 1 else { return nil }
        return before
    }

    /// The longest common prefix of the sequences, cut back so that it does not end inside a word
    /// (its last character is not a letter or digit).
    static func wordPrefix(_ sequences: [[Character]]) -> [Character] {
        guard var prefix = sequences.first else { return [] }
        for s in sequences.dropFirst() {
            var n = 0
            while n < prefix.count && n < s.count && prefix[n] == s[n] { n += 1 }
            prefix.removeLast(prefix.count - n)
        }
        while let last = prefix.last, last.isLetter || last.isNumber { prefix.removeLast() }
        return prefix
    }

    /// A JSON file's root value.
    static func readJSON(_ url: URL) throws(KLoBError) -> Any {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw KLoBError(file: url.path, problem: .unreadable(reason))
        }
        do { return try JSONSerialization.jsonObject(with: data) } catch {
            let ns = error as NSError
            throw KLoBError(file: url.path, problem: .invalidJSON((ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription))
        }
    }
}
