import Foundation

extension KLoBBuilder {
    /// Chain prompts for a first hop whose object is a country, keyed by the first hop's Wikidata
    /// relation: (KLoB relation name, template with `{}` for the subject). The second hop is the
    /// country's capital (ParaRel P36).
    public static let capitalChainTemplates: [String: (name: String, template: String)] = [
        "P17": ("country", "The capital of the country where {} is located is"),
        "P27": ("country_of_citizenship", "The capital of the country of citizenship of {} is"),
        "P495": ("country_of_origin", "The capital of the country of origin of {} is"),
    ]

    /// klob-r items from true two-hop chains: each ROME-format CounterFact fact (s, r1, o1) whose
    /// relation has a template in ``capitalChainTemplates`` and whose true object o1 is the subject
    /// of a ParaRel P36 fact (o1, capital, o2) becomes single knowledge (s, r1, o1) asked by the
    /// rewrite prompt and `paraphrase_prompts`, chain (s, r1, o1, capital, o2) asked by the
    /// template. Unlike the portability chains both hops are true, so a model can know them.
    /// - Parameter urls: one or more ParaRel files (JSON arrays of bags) and one or more
    ///   ROME-format CounterFact files, in any order; cases repeated across files (same
    ///   `case_id`) are read once.
    /// - Throws: ``KLoBError`` when a file cannot be read, or when no ParaRel or no CounterFact
    ///   file is among them.
    public static func chainItems(files urls: [URL], maxPrompts: Int = 3) throws(KLoBError) -> KLoBCandidates {
        var capitals: [String: (capital: String, relation: String)] = [:]
        var ambiguous = Set<String>()
        var probes: [(file: String, probe: Probe)] = []
        var seen = Set<String>()
        var out = KLoBCandidates()
        var paraRelFiles = 0
        for url in urls {
            if let root = try readJSON(url) as? [Any], root.first is [Any] {
                paraRelFiles += 1
                let facts = paraRelFacts(try readParaRel(url)).facts
                for fact in facts where fact.relation.hasPrefix("P36") {
                    // a country with two different capitals in the file is ambiguous: dropped
                    if let known = capitals[fact.subject], known.capital != fact.object { ambiguous.insert(fact.subject) }
                    capitals[fact.subject] = (fact.object, klobRelation(fact.relation))
                }
                continue
            }
            let set: ProbeSet
            do { set = try Probe.load(contentsOf: url) } catch { throw KLoBError(error) }
            guard set.format == .counterfactROME else {
                throw KLoBError(file: url.path, problem: .unknownFormat(
                    "chains need ROME-format CounterFact (with relation ids) and ParaRel files; this is \(set.format)"))
            }
            out.records += set.recordCount
            out.skipped += set.errors.map { KLoBSkip(file: url.path, record: $0.record, kind: "invalid record", reason: $0.description) }
            for probe in set.probes where seen.insert(probe.id).inserted { probes.append((url.path, probe)) }
        }
        guard paraRelFiles > 0, paraRelFiles < urls.count else {
            throw KLoBError(file: urls.map(\.path).joined(separator: ", "), problem: .invalidValue(
                "chains need a ParaRel file (for the capitals) and at least one ROME-format CounterFact file"))
        }
        for (file, probe) in probes {
            func skip(_ kind: String, _ reason: String) {
                out.skipped.append(KLoBSkip(file: file, record: nil, kind: kind, reason: "\(probe.id): \(reason)"))
            }
            guard let template = capitalChainTemplates[probe.relation] else {
                skip("no chain template", "relation \(probe.relation) has no chain template")
                continue
            }
            guard let capital = capitals[probe.target], !ambiguous.contains(probe.target) else {
                skip("no capital", "\"\(probe.target)\" has " + (capitals[probe.target] == nil ? "no capital in ParaRel" : "two capitals in ParaRel"))
                continue
            }
            let relation1 = "\(template.name)_(\(probe.relation))"
            let parts = ChainParts(subject: probe.subject, relation1: relation1, object1: probe.target,
                                   relation2: capital.relation, object2: capital.capital,
                                   singleTexts: [probe.prompt] + (probe.paraphrases ?? []),
                                   chainText: template.template.replacingOccurrences(of: Probe.placeholder, with: probe.subject))
            switch assemble(parts, maxPrompts: maxPrompts) {
            case .success(let item): out.items.append(.chain(item))
            case .failure(let failure): skip(failure.kind, failure.reason)
            }
        }
        return out
    }
}
