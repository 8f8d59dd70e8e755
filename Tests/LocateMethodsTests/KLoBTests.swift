import Foundation
import LocateModel
import Testing
import TestSupport
@testable import LocateMethods

/// Parses text as a KLoB file named `test.jsonl`.
private func parse(_ text: String, subset: KLoBSubset? = nil) throws -> KLoBSet {
    try KLoBSet.parse(Data(text.utf8), file: "test.jsonl", subset: subset)
}

private let cLine = #"{"prompts": ["The capital of France is _", "France's capital is _", "France's capital city is _"], "knowledge": ["France", "capital_(P36)", "Paris"]}"#
private let rLine = #"{"single_knowledge": ["Ann Druyan", "spouse", "Carl Sagan"], "knowledge_chain": ["Ann Druyan", "spouse", "Carl Sagan", "employer", "Cornell University"], "single_knowlege_prompts": ["The spouse of Ann Druyan is _", "Ann Druyan is married to _"], "knowlege_chain_prompt": "the employer of the spouse of Ann Druyan is _"}"#

/// Parses like ``KLoBSet/read(contentsOf:subset:)``: the first bad line is thrown.
private func strictParse(_ text: String) throws -> KLoBSet {
    let set = try parse(text)
    if let first = set.errors.first { throw first }
    return set
}

@Suite("KLoB files")
struct KLoBFileTests {
    /// Each subset is told from its first record, and the items read are what the lines say.
    @Test func detectsSubsets() throws {
        let c = try parse(cLine + "\n")
        #expect(c.subset == .c && c.items.count == 1 && c.lines == [1])
        guard case .paraphrases(let p) = c.items[0] else { Issue.record("not a klob-c item"); return }
        #expect(p.knowledge == KLoBFact(subject: "France", relation: "capital_(P36)", object: "Paris"))
        #expect(p.prompts.count == 3)
        let r = try parse(rLine)
        guard case .chain(let chain) = r.items.first else { Issue.record("not a klob-r item"); return }
        #expect(chain.chain.object2 == "Cornell University" && chain.singlePrompts.count == 2)
        let u = try parse("\"alpha beta _\"\n\"gamma _\"\n")
        #expect(u.subset == .u && u.items == [.nonFactual(.init(text: "alpha beta _")), .nonFactual(.init(text: "gamma _"))])
    }

    /// The correct spellings of the release's misspelled keys are read too; both spellings with
    /// the same value are fine, with different values an error.
    @Test func acceptsBothSpellings() throws {
        let correct = rLine.replacingOccurrences(of: "single_knowlege_prompts", with: "single_knowledge_prompts")
            .replacingOccurrences(of: "knowlege_chain_prompt", with: "knowledge_chain_prompt")
        #expect(try parse(correct).items == parse(rLine).items)
        let both = String(rLine.dropLast()) + #", "knowledge_chain_prompt": "the employer of the spouse of Ann Druyan is _"}"#
        #expect(try parse(both).errors.isEmpty)
        let conflicting = String(rLine.dropLast()) + #", "knowledge_chain_prompt": "Ann Druyan's spouse works at _"}"#
        let set = try parse(conflicting)
        #expect(set.errors.first?.field == "knowlege_chain_prompt")
    }

    /// Writing uses the release's keys and order; what is written reads back the same, and a
    /// write refuses items that could not be read back.
    @Test func writeRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("locate-klob-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for text in [cLine, rLine, "\"a \\\"quoted\\\" / word _\""] {
            let items = try parse(text).items
            let url = folder.appendingPathComponent("set.jsonl")
            try KLoBSet.write(items, to: url)
            #expect(try String(contentsOf: url, encoding: .utf8) == text + "\n")
            #expect(try KLoBSet.read(contentsOf: url).items == items)
        }
        let c = try parse(cLine).items[0], r = try parse(rLine).items[0]
        #expect(throws: KLoBError.self) { try KLoBSet.write([c, r], to: folder.appendingPathComponent("mixed.jsonl")) }
        let bad = KLoBItem.nonFactual(.init(text: "no slot"))
        #expect(throws: KLoBError(file: folder.appendingPathComponent("bad.jsonl").path, location: .record(0), field: "(line)",
                                  problem: .noSlot("no slot"))) {
            try KLoBSet.write([bad], to: folder.appendingPathComponent("bad.jsonl"))
        }
    }

    /// One bad line per case: the error names the file, the line (blank lines counted) and the
    /// field, and the good lines around it are still read.
    @Test(arguments: [
        ("{\"prompts\": [\n", 2, nil, "invalid JSON"),
        (#"{"prompts": ["a France _", "b France _"]}"#, 2, "knowledge", "missing"),
        (#"{"prompts": "a France _", "knowledge": ["France", "r", "Paris"]}"#, 2, "prompts", "must be a list of strings"),
        (#"{"prompts": ["a France _", 3], "knowledge": ["France", "r", "Paris"]}"#, 2, "prompts[1]", "must be a string"),
        (#"{"prompts": ["a France _", "b France _"], "knowledge": ["France", "Paris"]}"#, 2, "knowledge", "expected 3 elements, found 2"),
        (#"{"prompts": ["a France _"], "knowledge": ["France", "r", "Paris"]}"#, 2, "prompts", "expected at least 2 elements, found 1"),
        (#"{"prompts": ["a France _", "The capital of France is"], "knowledge": ["France", "r", "Paris"]}"#, 2, "prompts[1]", "answer slot"),
        (#"{"prompts": ["a France _", "  _ "], "knowledge": ["France", "r", "Paris"]}"#, 2, "prompts[1]", "no text before the answer slot"),
        (#"{"prompts": ["a France _", "b France _"], "knowledge": ["", "r", "Paris"]}"#, 2, "knowledge[0]", "must not be empty"),
        (rLine, 2, nil, "a klob-r record in a klob-c file"),
        ("\"random words _\"", 2, nil, "a klob-u record in a klob-c file"),
        ("[1, 2]", 2, nil, "must be a JSON object"),
        (#"{"other": 1}"#, 2, nil, "none of the klob-c fields"),
        ("\n\n" + #"{"prompts": []}"#, 4, "knowledge", "missing"),
    ] as [(String, Int, String?, String)])
    func klobCErrors(line: String, number: Int, field: String?, message: String) throws {
        let set = try parse(cLine + "\n" + line + "\n" + cLine + "\n")
        #expect(set.subset == .c)
        #expect(set.items.count == 2)
        let error = try #require(set.errors.first)
        #expect(set.errors.count == 1)
        #expect(error.line == number)
        #expect(error.field == field)
        #expect(error.description.hasPrefix("test.jsonl:\(number): " + (field.map { "field \"\($0)\": " } ?? "")))
        #expect(error.description.contains(message), "\(error)")
        #expect(throws: error) { _ = try strictParse(cLine + "\n" + line) }
    }

    /// klob-r and klob-u errors, with their fields spelled as the release spells them.
    @Test(arguments: [
        (rLine.replacingOccurrences(of: #""employer", "Cornell University""#, with: #""employer""#), "knowledge_chain", "expected 5 elements, found 4"),
        (rLine.replacingOccurrences(of: #", "knowlege_chain_prompt": "the employer of the spouse of Ann Druyan is _""#, with: ""), "knowlege_chain_prompt", "missing"),
        (rLine.replacingOccurrences(of: #""The spouse of Ann Druyan is _", "Ann Druyan is married to _""#, with: ""), "single_knowlege_prompts", "expected at least 1 elements, found 0"),
        (rLine.replacingOccurrences(of: "Ann Druyan is _\"}", with: "Ann Druyan is\"}"), "knowlege_chain_prompt", "answer slot"),
        (rLine.replacingOccurrences(of: #"["Ann Druyan", "spouse", "Carl Sagan"]"#, with: "\"Ann Druyan\""), "single_knowledge", "must be a list of strings"),
    ])
    func klobRErrors(line: String, field: String, message: String) throws {
        let set = try parse(rLine + "\n" + line + "\n")
        let error = try #require(set.errors.first)
        #expect(set.items.count == 1 && set.errors.count == 1)
        #expect(error.line == 2 && error.field == field)
        #expect(error.description.contains("test.jsonl:2: field \"\(field)\": "))
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func klobUErrors() throws {
        let set = try parse("\"alpha _\"\n\"no slot here\"\n\"\"\n  \n\"_\"\n42\n\"a _ b _\"\r\n\"c _\"")
        #expect(set.subset == .u)
        #expect(set.items.map(\.clozePrompts) == [["alpha _"], ["a _ b _"], ["c _"]])
        #expect(set.lines == [1, 7, 8])
        #expect(set.errors.map(\.line) == [2, 3, 5, 6])
        #expect(set.errors.map(\.problem) == [.noSlot("no slot here"), .noSlot(""), .emptyPrompt, .wrongType(expected: "a JSON string")])
        #expect(set.recordCount == 7)
    }

    /// Files that hold no records, or no record of any subset, are refused as a whole; a file
    /// forced to a subset reports the other records line by line.
    @Test func wholeFileErrors() throws {
        #expect(throws: KLoBError(file: "test.jsonl", problem: .unknownFormat("the file has no records"))) { try parse("\n \n") }
        #expect(throws: KLoBError.self) { try parse("{\"x\": 1}\n") }
        let forced = try parse(cLine + "\n\"words _\"\n", subset: .u)
        #expect(forced.items.count == 1 && forced.errors.first?.problem == .wrongSubset(expected: .u, found: .c))
        // a file whose only record is not JSON: that line's error (the text comes from Foundation)
        let notJSON = #expect(throws: KLoBError.self) { try parse("{bad\n") }
        #expect(notJSON?.line == 1)
        if case .invalidJSON = notJSON?.problem {} else { Issue.record("expected invalid JSON, got \(String(describing: notJSON))") }
        let missing = URL(fileURLWithPath: "/nonexistent/klob-c.jsonl")
        #expect(throws: KLoBError(file: missing.path, problem: .unreadable("no such file"))) { try KLoBSet.read(contentsOf: missing) }
    }

    /// The slot: only a final `_` is one; the text before it, trimmed, is the prompt.
    @Test func slot() {
        #expect(KLoBSlot.strip("The capital of France is _") == "The capital of France is")
        #expect(KLoBSlot.strip("a _ b _  ") == "a _ b")
        #expect(KLoBSlot.strip("a_") == "a")
        #expect(KLoBSlot.strip(" _") == nil)
        #expect(KLoBSlot.strip("no slot") == nil)
        #expect(KLoBSlot.cloze(" The capital of France is ") == "The capital of France is _")
    }

    @Test func naming() {
        #expect(KLoBNaming.study.property(of: .r) == .consistency)
        #expect(KLoBNaming.study.property(of: .c) == .relevance)
        #expect(KLoBNaming.content.property(of: .c) == .consistency)
        #expect(KLoBNaming.content.property(of: .r) == .relevance)
        #expect(KLoBNaming.allCases.allSatisfy { $0.property(of: .u) == .unbiasedness })
        #expect(KLoBNaming.study.subset(for: .consistency) == .r && KLoBNaming.content.subset(for: .consistency) == .c)
    }
}

@Suite("KLoB prompts")
struct KLoBPromptTests {
    /// Items become prompts with subject and answer: klob-c the object, klob-r the single fact's
    /// object and the chain's last object, klob-u no answer and its first word as subject.
    @Test func promptsToLocate() throws {
        let c = try parse(cLine).items[0].prompts(item: 4)
        #expect(c.map(\.id) == ["c4.p0", "c4.p1", "c4.p2"])
        #expect(c.map(\.text) == ["The capital of France is", "France's capital is", "France's capital city is"])
        #expect(c.allSatisfy { $0.subject == "France" && $0.target == "Paris" && $0.item == 4 })
        #expect(c.map(\.index) == [0, 1, 2] && c[1].role == .paraphrase(1))
        let probe = try c[0].probe()
        #expect(probe.template == "The capital of {} is" && probe.target == "Paris" && probe.id == "c4.p0")

        let r = try parse(rLine).items[0].prompts(item: 0)
        #expect(r.map(\.role) == [.single(0), .single(1), .chain])
        #expect(r.map(\.target) == ["Carl Sagan", "Carl Sagan", "Cornell University"])
        #expect(r[2].text == "the employer of the spouse of Ann Druyan is" && r[2].index == 2)
        #expect(try r[2].probe().template == "the employer of the spouse of {} is")

        let u = try parse("\"pumice preministry matureness _\"").items[0].prompts(item: 9)
        #expect(u.count == 1 && u[0].id == "u9" && u[0].subject == "pumice" && u[0].target == nil)
        #expect(throws: ProbeError.self) { try u[0].probe() }
        #expect(try u[0].probe(target: "the").prompt == "pumice preministry matureness")

        let set = KLoBSet(subset: .c, items: try parse(cLine + "\n" + cLine).items)
        #expect(Set(set.prompts().map(\.id)).count == 6)
    }

    /// A prompt whose subject is missing cannot become a probe (causal tracing corrupts the subject).
    @Test func subjectMustBeInPrompt() throws {
        let item = KLoBItem.paraphrases(KLoBParaphraseItem(prompts: ["The capital of France is _", "Its capital is _"],
                                                           knowledge: KLoBFact(subject: "France", relation: "", object: "Paris")))
        let prompts = item.prompts(item: 0)
        #expect(throws: ProbeError.self) { try prompts[1].probe() }
    }
}

private let pararel = Fixtures.data.appendingPathComponent("pararel/data_11.json")
private let portability = Fixtures.data.appendingPathComponent("easyedit_factual/portability")
private let oneHopCounterFact = portability.appendingPathComponent("one_hop_counterfact_portability_gpt4.json")

/// Every item is valid, and every prompt can be located: it makes a probe with its answer.
private func expectLocatable(_ items: [KLoBItem], sourceLocation: SourceLocation = #_sourceLocation) {
    for (index, item) in items.enumerated() {
        #expect(item.problem() == nil, "item \(index)", sourceLocation: sourceLocation)
        for prompt in item.prompts(item: index) {
            #expect(throws: Never.self, "\(prompt.id): \(prompt.text)", sourceLocation: sourceLocation) { _ = try prompt.probe() }
        }
    }
}

@Suite("KLoB data and builders")
struct KLoBDataTests {
    /// The released KLoB-u file reads as it is: 25,470 lines (as many as the file has), each a
    /// klob-u item ending in the slot, including the one line with a stray `_` word inside.
    @Test func realKLoBU() throws {
        let url = Fixtures.data.appendingPathComponent("klob/KLoB-u.jsonl")
        let lineCount = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count
        let set = try KLoBSet.read(contentsOf: url)
        #expect(set.subset == .u && set.errors.isEmpty)
        #expect(set.items.count == lineCount && lineCount == 25_470)
        #expect(set.items.allSatisfy { $0.clozePrompts.allSatisfy { KLoBSlot.endsWithSlot($0) && $0.hasSuffix(" _") } })
        #expect(set.prompts().allSatisfy { !$0.text.isEmpty && !$0.text.hasSuffix("_") })
        #expect(set.prompts().contains { $0.text.contains(" _ ") })
        let passed = try KLoBBuilder.build(.klobU, from: [url], options: .init(limit: 50, seed: 2))
        #expect(passed.items.count == 50 && passed.candidates == 25_470)
        #expect(passed.items.allSatisfy(set.items.contains))
    }

    /// ParaRel: each bag's subject is what its templates share with no other bag; the chosen
    /// paraphrases are the fact's autoregressive prompts, the same for the same seed.
    @Test func paraRelConsistencyItems() throws {
        let bags = try KLoBBuilder.readParaRel(pararel)
        #expect(bags.count == 937)
        let built = try KLoBBuilder.candidates(.pararel, from: [pararel], options: .init(seed: 1))
        #expect(built.records == 937)
        #expect(built.items.count + Set(built.skipped.map(\.record)).count == 937)
        #expect(built.items.count > 900)
        expectLocatable(built.items)
        let facts = KLoBBuilder.paraRelFacts(bags).facts
        for (fact, item) in zip(facts, built.items) {
            guard case .paraphrases(let p) = item else { Issue.record("not a klob-c item"); continue }
            let bag = bags[fact.bag]
            #expect(p.knowledge.subject == fact.subject && p.knowledge.object == bag.object)
            #expect(bag.prompts.allSatisfy { $0.contains(fact.subject) })
            #expect(p.prompts.count == 3)
            // every chosen prompt is a bag prompt with its [MASK] ending replaced by the slot
            for prompt in p.prompts {
                let text = KLoBSlot.strip(prompt)!
                #expect(bag.prompts.contains { KLoBBuilder.autoregressive($0, subject: fact.subject) == text }, "\(prompt)")
            }
        }
        #expect(Set(built.items.compactMap { if case .paraphrases(let p) = $0 { p.knowledge.relation } else { nil } }) == ["capital_(P36)", "capital_of_(P1376)"])
        #expect(try KLoBBuilder.candidates(.pararel, from: [pararel], options: .init(seed: 1)) == built)
        #expect(try KLoBBuilder.candidates(.pararel, from: [pararel], options: .init(seed: 2)).items != built.items)
    }

    /// Subject recovery on made-up bags: a shared first letter ("Pa…") is not taken for template
    /// text, a relation with one bag is skipped, and a bag whose templates disagree is skipped.
    @Test func subjectRecovery() {
        func bag(_ i: Int, _ subject: String, _ object: String, relation: String = "P36(capital)") -> ParaRelBag {
            ParaRelBag(index: i, relation: relation, object: object,
                       prompts: ["The capital of \(subject) is [MASK] .", "\(subject)'s capital is [MASK].", "[MASK] is the capital of \(subject)."])
        }
        var odd = bag(3, "Portugal", "Lisbon")
        odd.prompts[1] = "Spain's capital is [MASK]."
        let (facts, skipped) = KLoBBuilder.paraRelFacts([bag(0, "Paraguay", "Asunción"), bag(1, "Panama", "Panama City"),
                                                          bag(2, "Peru", "Lima", relation: "P1(solo)"), odd])
        #expect(facts.map(\.subject) == ["Paraguay", "Panama"])
        #expect(facts[0].prompts == ["The capital of Paraguay is", "Paraguay's capital is"])
        #expect(skipped.map(\.bag) == [2, 3])
        #expect(KLoBBuilder.klobRelation("P1376(capital of)") == "capital_of_(P1376)")
        #expect(KLoBBuilder.wordPrefix([Array("The Pa"), Array("The Pe")]) == Array("The "))
    }

    /// Portability records map as klob/README.md says: ROME-format CounterFact (the chain through
    /// the new object, the second relation from "Recalled Relation") and KnowEdit.
    @Test func portabilityRelevanceItems() throws {
        let url = oneHopCounterFact
        let records = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        let built = try KLoBBuilder.candidates(.portability, from: [url])
        #expect(built.records == records.count && built.items.count + built.skipped.count == records.count)
        #expect(built.items.count > 1000)
        expectLocatable(built.items)
        let first = records[0], rewrite = first["requested_rewrite"] as! [String: Any], port = first["portability"] as! [String: String]
        guard case .chain(let item) = built.items[0] else { Issue.record("not a klob-r item"); return }
        let newObject = (rewrite["target_new"] as! [String: String])["str"]!
        #expect(item.singleKnowledge == KLoBFact(subject: rewrite["subject"] as! String, relation: rewrite["relation_id"] as! String, object: newObject))
        #expect(item.chain.object2 == port["New Answer"] && item.chain.first == item.singleKnowledge)
        #expect(port["Recalled Relation"]!.contains(", \(item.chain.relation2), "))
        #expect(item.chainPrompt == "Question: \(port["New Question"]!) Answer: _")
        #expect(item.singlePrompts.count == 3)

        let knowEdit = try KLoBBuilder.candidates(.portability, from: [Fixtures.data.appendingPathComponent("knowedit/wiki_counterfact/train_cf.json")])
        #expect(knowEdit.items.count > 100)
        expectLocatable(knowEdit.items)
        #expect(knowEdit.skipped.contains { $0.kind == "no portability" })
        #expect(KLoBBuilder.secondRelation("(Washington, D.C., capital of, United States)", object1: "Washington, D.C.") == "capital of")
        #expect(KLoBBuilder.secondRelation("(Philadelphia, known for, cheesesteaks)", object1: "Philly") == "known for")
        #expect(KLoBBuilder.secondRelation("no triple", object1: "x") == nil)
        #expect(throws: KLoBError.self) { try KLoBBuilder.candidates(.portability, from: [pararel]) }
    }

    /// True chains: CounterFact's true country joined with its ParaRel capital.
    @Test func trueChains() throws {
        let built = try KLoBBuilder.candidates(.chains, from: [oneHopCounterFact, pararel])
        #expect(built.items.count > 50)
        expectLocatable(built.items)
        let capitals = Dictionary(KLoBBuilder.paraRelFacts(try KLoBBuilder.readParaRel(pararel)).facts
            .filter { $0.relation.hasPrefix("P36") }.map { ($0.subject, $0.object) }, uniquingKeysWith: { a, _ in a })
        for item in built.items {
            guard case .chain(let c) = item else { Issue.record("not a klob-r item"); continue }
            #expect(capitals[c.chain.object1] == c.chain.object2)
            #expect(c.chain.relation2 == "capital_(P36)" && c.chainPrompt.hasPrefix("The capital of the country"))
        }
        #expect(throws: KLoBError.self) { try KLoBBuilder.candidates(.chains, from: [oneHopCounterFact]) }
    }

    /// `limit` keeps a seeded sample in source order; a filter is asked only until the limit is
    /// reached, and what it refuses is counted.
    @Test func limitAndFilter() throws {
        let all = try KLoBBuilder.candidates(.pararel, from: [pararel], options: .init(seed: 9)).items
        let a = try KLoBBuilder.build(.pararel, from: [pararel], options: .init(limit: 5, seed: 9))
        #expect(a.items.count == 5 && a.checked == 0 && a.rejected == 0)
        #expect(try KLoBBuilder.build(.pararel, from: [pararel], options: .init(limit: 5, seed: 9)) == a)
        let positions = a.items.compactMap { all.firstIndex(of: $0) }
        #expect(positions.count == 5 && positions == positions.sorted())
        var asked = 0
        let filtered = try KLoBBuilder.build(.pararel, from: [pararel], options: .init(limit: 3, seed: 9)) { item in
            asked += 1
            guard case .paraphrases(let p) = item else { return false }
            return p.knowledge.relation == "capital_of_(P1376)"
        }
        #expect(filtered.items.count == 3 && filtered.checked == asked && filtered.rejected == asked - 3)
    }
}

/// The default model, loaded once for this file's model test.
private enum KLoBModel {
    static let loaded: Result<Transformer, Error> = Result { try Transformer(contentsOf: Fixtures.defaultModel) }
}

@Suite("KLoB model filter", .realModel)
struct KLoBKnownTests {
    /// The filter keeps an item only when the model answers every prompt: two phrasings of a
    /// well-known capital pass; adding a phrasing the model gets wrong ("France's capital is" →
    /// " New"), or a wrong object, fails; klob-u has nothing to check.
    @Test func keepsKnownFacts() throws {
        try #require(FileManager.default.fileExists(atPath: Fixtures.defaultModel.path),
                     "no model at \(Fixtures.defaultModel.path): run `bash scripts/setup.sh` (or `locate model fetch`)")
        let model = try KLoBModel.loaded.get()
        func item(_ prompts: [String], _ object: String) -> KLoBItem {
            .paraphrases(KLoBParaphraseItem(prompts: prompts, knowledge: KLoBFact(subject: "France", relation: "capital_(P36)", object: object)))
        }
        let both = ["The capital of France is _", "The capital city of France is _"]
        #expect(try item(both, "Paris").isKnown(by: model))
        #expect(try !item(both + ["France's capital is _"], "Paris").isKnown(by: model))
        #expect(try !item(both, "Berlin").isKnown(by: model))
        #expect(throws: KLoBError.self) { try KLoBItem.nonFactual(.init(text: "alpha beta _")).isKnown(by: model) }
    }
}
