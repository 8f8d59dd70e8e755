import Foundation
import LocateModel
import Testing
import TestSupport
@testable import LocateMethods

/// The default model, loaded once for this file's tests.
private enum ProbeModel {
    static let loaded: Result<Transformer, Error> = Result { try Transformer(contentsOf: Fixtures.defaultModel) }

    static func model() throws -> Transformer {
        try #require(FileManager.default.fileExists(atPath: Fixtures.defaultModel.path),
                     "no model at \(Fixtures.defaultModel.path): run `bash scripts/setup.sh` (or `locate model fetch`)")
        return try loaded.get()
    }
}

/// A fresh folder under the system temporary folder.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("locate-probes-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Parses text as a probe file named `name`.
private func parse(_ text: String, name: String = "test.jsonl") throws -> ProbeSet {
    try Probe.parse(Data(text.utf8), file: name)
}

private let projectFacts = Fixtures.packageRoot.appendingPathComponent("probes/facts.jsonl")
private let projectCandidates = Fixtures.packageRoot.appendingPathComponent("probes/candidates.jsonl")

@Suite("Probe files")
struct ProbeFileTests {
    /// Writing probes as JSONL and reading them back gives the same probes (quotes, backslashes,
    /// non-ASCII text, optional paraphrases), the write is atomic (no temporary file left behind)
    /// and the file is one object per line in a fixed field order.
    @Test func jsonlRoundTrip() throws {
        let probes = [
            Probe(id: "capital-france", subject: "France", template: "The capital of {} is", target: "Paris", relation: "capital"),
            Probe(id: "q\"uote", subject: "Frédéric \"Fritz\" Chopin", template: "{} played the", target: "piano",
                  relation: "instrument", paraphrases: ["Frédéric \"Fritz\" Chopin was a virtuoso of the", "a\\b / c"]),
            Probe(id: "empty-relation", subject: "Mount Fuji", template: "{} is in", target: "Japan", relation: "", paraphrases: []),
        ]
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("set.jsonl")
        try Probe.write(probes, to: url)
        #expect(try Probe.read(contentsOf: url) == probes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["set.jsonl"])
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"id": "capital-france", "relation": "capital", "subject": "France", "template": "The capital of {} is", "target": "Paris"}"#)
        #expect(try parse(String(contentsOf: url, encoding: .utf8)).format == .jsonl)
        #expect(probes[0].prompt == "The capital of France is")
        // Windows line ends: the same probes, and line numbers still count lines.
        let crlf = try parse(Probe.jsonLines(probes).replacingOccurrences(of: "\n", with: "\r\n") + "{}\r\n")
        #expect(crlf.probes == probes)
        #expect(crlf.errors.map(\.line) == [4])
    }

    /// A JSON array of probes is read as well, and the Codable form (what `--json` prints)
    /// decodes back to the same probe.
    @Test func jsonArrayAndCodable() throws {
        let probe = Probe(id: "a", subject: "Japan", template: "The capital of {} is", target: "Tokyo", relation: "capital")
        let data = try JSONEncoder().encode([probe])
        let set = try Probe.parse(data, file: "array.json")
        #expect(set.format == .json)
        #expect(set.probes == [probe])
        #expect(try JSONDecoder().decode([Probe].self, from: data) == [probe])
    }

    /// Writing refuses what could not be read back: an invalid probe or a repeated id.
    @Test func writeRefusesInvalidProbes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.jsonl")
        let good = Probe(id: "x", subject: "France", template: "The capital of {} is", target: "Paris", relation: "capital")
        var twoHoles = good
        twoHoles.template = "{} and {}"
        #expect(throws: ProbeError(file: url.path, location: .record(1), field: "template",
                                   problem: .invalidValue("must contain {} exactly once, found 2 in \"{} and {}\""))) {
            try Probe.write([good, twoHoles], to: url)
        }
        #expect(throws: ProbeError(file: url.path, location: .record(1), field: "id", problem: .duplicateID("x", first: .record(0)))) {
            try Probe.write([good, good], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    /// ROME's known_1000.json: all 1,209 facts, the text is `prompt` (not `template`, which is
    /// sometimes a word shorter) with the subject replaced by {}, the target is `attribute`.
    @Test func knownThousand() throws {
        let set = try Probe.load(contentsOf: Fixtures.data.appendingPathComponent("known_1000/known_1000.json"))
        #expect(set.format == .known1000)
        #expect(set.errors.isEmpty)
        #expect(set.recordCount == 1209)
        #expect(set.probes.count == 1209)
        let first = try #require(set.probes.first)
        #expect(first == Probe(id: "known-0", subject: "Vinson Massif", template: "{} is located in the continent of",
                               target: "Antarctica", relation: "P30"))
        #expect(first.prompt == "Vinson Massif is located in the continent of")
        #expect(Set(set.probes.map(\.relation)).count == 33)
    }

    /// ROME-format CounterFact (EasyEdit's one-hop portability file): the template is
    /// `requested_rewrite.prompt`, the target the true object, paraphrases `paraphrase_prompts`.
    @Test func counterFactROMEFormat() throws {
        let url = Fixtures.data.appendingPathComponent("easyedit_factual/portability/one_hop_counterfact_portability_gpt4.json")
        let set = try Probe.load(contentsOf: url)
        #expect(set.format == .counterfactROME)
        #expect(set.errors.isEmpty)
        #expect(set.probes.count == 1031)
        let first = try #require(set.probes.first)
        #expect(first.id == "cf-4482")
        #expect(first.subject == "Spike Hughes")
        #expect(first.template == "{} originates from")
        #expect(first.target == "London")
        #expect(first.relation == "P19")
        #expect(first.paraphrases?.count == 2)
        #expect(first.paraphrases?.first == "Incumbent Mayor Jim Suttle sought a second term in office. Spike Hughes is native to")
    }

    /// EasyEdit's counterfact-val.json: the subject is inside `prompt`, the target is
    /// `ground_truth`, the paraphrase is `rephrase_prompt`; there is no relation.
    @Test func counterFactEasyEditFormat() throws {
        let url = Fixtures.data.appendingPathComponent("easyedit_factual/counterfact/counterfact-val.json")
        let set = try Probe.load(contentsOf: url)
        #expect(set.format == .counterfactEasyEdit)
        #expect(set.errors.isEmpty)
        #expect(set.probes.count == 1919)
        #expect(set.probes.first == Probe(id: "cf-10", subject: "BBC One", template: "{}, by", target: "BBC", relation: "",
                                          paraphrases: ["BBC One is my favorite product out of everything owned by"]))
    }

    /// Every malformed JSONL line gives an error naming the file, the line and the field; good
    /// lines around them still load; blank lines are skipped but counted for line numbers;
    /// `read` stops at the first error.
    @Test func malformedLines() throws {
        let text = """
        {"id": "ok", "relation": "capital", "subject": "France", "template": "The capital of {} is", "target": "Paris"}
        {"id": "broken", "subject": 
        {"id": "no-target", "relation": "capital", "subject": "Spain", "template": "The capital of {} is"}

        {"id": "two", "relation": "capital", "subject": "Italy", "template": "{} and {}", "target": "Rome"}
        {"id": "num", "relation": "capital", "subject": "Peru", "template": "The capital of {} is", "target": 5}
        {"id": "typo", "relation": "capital", "subject": "Cuba", "template": "The capital of {} is", "target": "Havana", "paraphrase": []}
        {"id": "ok", "relation": "capital", "subject": "Chile", "template": "The capital of {} is", "target": "Santiago"}
        ["not", "an", "object"]
        {"id": "space", "relation": "capital", "subject": "Chad", "template": "The capital of {} is ", "target": "N'Djamena"}
        {"id": "lead", "relation": "capital", "subject": "Mali", "template": "The capital of {} is", "target": " Bamako"}
        {"id": "p", "relation": "capital", "subject": "Togo", "template": "The capital of {} is", "target": "Lomé", "prompt": "The capital of Benin is"}
        """
        let set = try parse(text, name: "bad.jsonl")
        #expect(set.probes.map(\.id) == ["ok"])
        #expect(set.recordCount == 11)
        let found = set.errors.map { "\($0.line ?? -1) \($0.field ?? "-")" }
        #expect(found == ["2 -", "3 target", "5 template", "6 target", "7 paraphrase", "8 id", "9 -", "10 template", "11 target", "12 prompt"])
        #expect(set.errors.allSatisfy { $0.file == "bad.jsonl" })
        #expect(set.errors[1].problem == .missingField)
        #expect(set.errors[3].problem == .wrongType(expected: "a string"))
        #expect(set.errors[4].problem == .unknownField)
        #expect(set.errors[5].problem == .duplicateID("ok", first: .line(1)))
        #expect(set.errors[1].description == "bad.jsonl:3: field \"target\": missing")
        if case .invalidJSON = set.errors[0].problem {} else { Issue.record("line 2 should be invalid JSON: \(set.errors[0])") }

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        do throws(ProbeError) {
            _ = try Probe.read(contentsOf: url)
            Issue.record("reading a malformed file should throw")
        } catch {
            #expect(error.file == url.path)
            #expect(error.line == 2)
        }
    }

    /// Malformed records of the JSON-array formats name the record index and the full field path.
    @Test func malformedRecords() throws {
        let known = """
        [{"known_id": 0, "subject": "Vinson Massif", "attribute": "Antarctica", "prompt": "Vinson Massif is located in the continent of", "relation_id": "P30"},
         {"known_id": "one", "subject": "X", "attribute": "Y", "prompt": "X is", "relation_id": "P1"},
         {"known_id": 2, "subject": "X", "prompt": "X is", "relation_id": "P1"}]
        """
        let k = try parse(known, name: "k.json")
        #expect(k.format == .known1000)
        #expect(k.probes.count == 1)
        #expect(k.errors.map { "\($0.record ?? -1) \($0.field ?? "-")" } == ["1 known_id", "2 attribute"])
        #expect(k.errors[0].description == "k.json record [1]: field \"known_id\": must be an integer")

        let rome = """
        [{"case_id": 1, "requested_rewrite": {"prompt": "{} plays", "subject": "A", "relation_id": "P1", "target_true": {"str": "chess"}}},
         {"case_id": 2, "requested_rewrite": {"prompt": "{} plays", "subject": "B", "relation_id": "P1", "target_true": {"id": "Q1"}}},
         {"case_id": 3, "requested_rewrite": {"prompt": "plays", "subject": "C", "relation_id": "P1", "target_true": {"str": "go"}}}]
        """
        let r = try parse(rome, name: "r.json")
        #expect(r.format == .counterfactROME)
        #expect(r.probes.map(\.id) == ["cf-1"])
        #expect(r.errors.map { "\($0.record ?? -1) \($0.field ?? "-")" } == ["1 requested_rewrite.target_true.str", "2 template"])
    }

    /// A subject that does not occur in its prompt is an error naming both (known_1000 and
    /// EasyEdit formats, and the prompt initializer); one that occurs twice is ambiguous.
    @Test func subjectNotInPrompt() throws {
        let easy = """
        [{"case_id": 7, "prompt": "The mother tongue of Danielle Darrieux is", "subject": "Danielle Darieux", "ground_truth": "French"},
         {"case_id": 8, "prompt": "Paris is Paris in", "subject": "Paris", "ground_truth": "France"}]
        """
        let set = try parse(easy, name: "cf.json")
        #expect(set.format == .counterfactEasyEdit)
        #expect(set.probes.isEmpty)
        #expect(set.errors.count == 2)
        #expect(set.errors[0].problem == .subjectNotInPrompt(subject: "Danielle Darieux", prompt: "The mother tongue of Danielle Darrieux is"))
        #expect(set.errors[0].field == "subject")
        #expect(set.errors[0].record == 0)
        #expect(set.errors[0].description.contains("\"Danielle Darieux\""))
        #expect(set.errors[0].description.contains("\"The mother tongue of Danielle Darrieux is\""))
        #expect(set.errors[1].problem == .subjectRepeated(subject: "Paris", prompt: "Paris is Paris in", count: 2))

        #expect(throws: ProbeError(file: "", field: "subject", problem: .subjectNotInPrompt(subject: "Rome", prompt: "The capital of Italy is"))) {
            try Probe(id: "x", subject: "Rome", prompt: "The capital of Italy is", target: "Rome", relation: "")
        }
        let made = try Probe(id: "x", subject: "Italy", prompt: "The capital of Italy is", target: "Rome", relation: "capital")
        #expect(made.template == "The capital of {} is")
    }

    /// A file that is no probe set, and one that does not exist, give typed errors naming the file.
    @Test func unreadableAndUnknown() throws {
        #expect(throws: ProbeError(file: "x.csv", problem: .unknownFormat(
            "expected JSON lines (one object per line) or a JSON array, but the file starts with \"s\""))) {
            try parse("subject,target\n", name: "x.csv")
        }
        do throws(ProbeError) {
            _ = try Probe.parse(Data(#"[{"a": 1}]"#.utf8), file: "odd.json")
            Issue.record("an array of unknown records should throw")
        } catch {
            if case .unknownFormat = error.problem {} else { Issue.record("unexpected \(error)") }
        }
        #expect(throws: ProbeError(file: "/nonexistent/facts.jsonl", problem: .unreadable("no such file"))) {
            try Probe.read(contentsOf: URL(fileURLWithPath: "/nonexistent/facts.jsonl"))
        }
        #expect(try parse("\n\n").probes.isEmpty)
    }

    /// The project's own set: every fact valid (subject exactly once in its prompt, template with
    /// one {}, prompt not ending in whitespace), at least 100 facts over at least 15 relations,
    /// every fact one of the at least 150 candidates it was filtered from.
    @Test func projectFactsAreValid() throws {
        let facts = try Probe.read(contentsOf: projectFacts)
        let candidates = try Probe.read(contentsOf: projectCandidates)
        #expect(facts.count >= 100)
        #expect(candidates.count >= 150)
        #expect(Set(facts.map(\.relation)).count >= 15)
        for fact in facts {
            #expect(fact.problem() == nil, "\(fact.id)")
            #expect(fact.template.components(separatedBy: "{}").count == 2, "\(fact.id)")
            #expect(fact.prompt.components(separatedBy: fact.subject).count == 2, "\(fact.id)")
            #expect(!fact.prompt.hasSuffix(" "), "\(fact.id)")
        }
        #expect(Set(facts).isSubset(of: Set(candidates)))
    }
}

@Suite("Knowing a fact", .realModel)
struct KnowsTests {
    /// The decision rule without a model: the continuation, stripped, must start with the target's
    /// first word as a whole word; a prefix waits for more tokens; a mismatch decides at once.
    @Test func judgeRule() {
        #expect(judge(" Paris.", word: "Paris", ended: false) == .known)
        #expect(judge(" Paris", word: "Paris", ended: false) == .undecided)
        #expect(judge(" Paris", word: "Paris", ended: true) == .known)
        #expect(judge(" Parisian", word: "Paris", ended: false) == .unknown)
        #expect(judge(" Par", word: "Paris", ended: false) == .undecided)
        #expect(judge(" Par", word: "Paris", ended: true) == .unknown)
        #expect(judge(" the", word: "Paris", ended: false) == .unknown)
        #expect(judge(" ", word: "2017", ended: false) == .undecided)
        #expect(judge(" 201", word: "2017", ended: false) == .undecided)
        #expect(judge(" 2017 by", word: "2017", ended: false) == .known)
        #expect(judge(" 20170", word: "2017", ended: false) == .unknown)
        #expect(judge(" K.", word: "K", ended: false) == .known)
        #expect(judge(" Kr", word: "K", ended: false) == .unknown)
        #expect(Probe(id: "x", subject: "s", template: "{} by", target: "Leonardo da Vinci", relation: "").targetFirstWord == "Leonardo")
    }

    /// Agrees with the PyTorch reference (ORACLE.md §2): "The capital of France is" → " Paris"
    /// (p 0.7725) is known; "Barack Obama was born in" → " the" (p 0.0964) is not known with
    /// target Honolulu; a year (a bare space token, then one token per digit) is matched across
    /// tokens.
    @Test func agreesWithReference() throws {
        let model = try ProbeModel.model()
        let france = try knows(Probe(id: "france", subject: "France", template: "The capital of {} is", target: "Paris", relation: "capital"), model: model)
        #expect(france.known)
        #expect(france.firstTokenID == 7042)
        #expect(france.firstToken == " Paris")
        #expect(abs(france.probability - 0.7725) < 2e-3)
        #expect(france.continuation.hasPrefix(" Paris"))

        let obama = try knows(Probe(id: "obama", subject: "Barack Obama", template: "{} was born in", target: "Honolulu", relation: "birthplace"), model: model)
        #expect(!obama.known)
        #expect(obama.firstTokenID == 260)
        #expect(obama.firstToken == " the")
        #expect(abs(obama.probability - 0.0964) < 2e-3)
        #expect(obama.continuationIDs.count == 1)   // " the" cannot begin "Honolulu": decided at once

        // ORACLE §1: "SMAP was created in" → " 2017 by …" (first token " ", then digits).
        let smap = try knows(Probe(id: "smap", subject: "SMAP", template: "{} was created in", target: "2017", relation: "inception"), model: model)
        #expect(smap.firstTokenID == 216)
        #expect(smap.known)
        #expect(smap.continuation.hasPrefix(" 2017"))
        let wrongYear = try knows(Probe(id: "smap2", subject: "SMAP", template: "{} was created in", target: "2015", relation: "inception"), model: model)
        #expect(!wrongYear.known)
    }

    /// A spread-out sample of 10 facts from probes/facts.jsonl (every ⌊n/10⌋-th) is known by the
    /// default model: the committed file really is the filtered one.
    @Test func sampleOfProjectFactsIsKnown() throws {
        let model = try ProbeModel.model()
        let facts = try Probe.read(contentsOf: projectFacts)
        let step = max(1, facts.count / 10)
        let sample = stride(from: 0, to: facts.count, by: step).prefix(10).map { facts[$0] }
        #expect(sample.count == 10)
        for r in try knows(sample, model: model) {
            #expect(r.known, "\(r.probe.id): \(r.probe.prompt) → \"\(r.continuation)\"")
        }
    }
}
