import Foundation
import LocateCore

/// The file formats a probe set can be read from; detected from the content.
public enum ProbeFormat: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// One ``Probe`` object per line (the project's own format; blank lines are skipped).
    case jsonl
    /// A JSON array of ``Probe`` objects.
    case json
    /// ROME's `known_1000.json`: `{known_id, subject, attribute, template, prediction, prompt, relation_id}`.
    /// The probe's text is `prompt` (what ROME traces), `attribute` the target.
    case known1000 = "known_1000"
    /// ROME-format CounterFact: `{case_id, requested_rewrite: {prompt "{} …", subject, relation_id,
    /// target_true: {str}}, paraphrase_prompts, …}`; the target is the true object.
    case counterfactROME = "counterfact-rome"
    /// EasyEdit's `counterfact-*.json` (and KnowEdit records of the same shape):
    /// `{case_id?, prompt (subject inside), subject, ground_truth, rephrase_prompt?, …}`.
    case counterfactEasyEdit = "counterfact-easyedit"

    public var description: String { rawValue }
}

/// What a probe file holds: the valid probes, and an error for every record that is not valid
/// (so `locate probes check` can report them all).
public struct ProbeSet: Sendable, Equatable {
    public var format: ProbeFormat
    public var probes: [Probe]
    public var errors: [ProbeError]
    /// Records seen (valid or not; blank JSONL lines are not records).
    public var recordCount: Int

    public init(format: ProbeFormat, probes: [Probe], errors: [ProbeError] = [], recordCount: Int) {
        self.format = format
        self.probes = probes
        self.errors = errors
        self.recordCount = recordCount
    }
}

extension Probe {
    // MARK: Reading

    /// Reads a probe file of any supported format, detected from its content.
    /// - Throws: ``ProbeError`` naming the file, the line or record and the field of the first problem.
    public static func read(contentsOf url: URL) throws(ProbeError) -> [Probe] {
        let set = try load(contentsOf: url)
        if let first = set.errors.first { throw first }
        return set.probes
    }

    /// Reads a probe file of any supported format, collecting an error per bad record instead of
    /// stopping at the first. Throws only when the file as a whole cannot be read or recognised.
    public static func load(contentsOf url: URL) throws(ProbeError) -> ProbeSet {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw ProbeError(file: url.path, problem: .unreadable(reason))
        }
        return try parse(data, file: url.path)
    }

    /// Parses the bytes of a probe file (`file` names it in errors).
    public static func parse(_ data: Data, file: String) throws(ProbeError) -> ProbeSet {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProbeError(file: file, problem: .unreadable("the file is not UTF-8 text"))
        }
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        guard let first = body.first(where: { !$0.isWhitespace }) else {
            return ProbeSet(format: .jsonl, probes: [], recordCount: 0)
        }
        switch first {
        case "{": return parseLines(body, file: file)
        case "[": return try parseArray(Data(body.utf8), file: file)
        default:
            throw ProbeError(file: file, problem: .unknownFormat(
                "expected JSON lines (one object per line) or a JSON array, but the file starts with \"\(first)\""))
        }
    }

    /// The format of a probe file's content.
    public static func detectFormat(of data: Data, file: String) throws(ProbeError) -> ProbeFormat {
        try parse(data, file: file).format
    }

    private static func parseLines(_ text: String, file: String) -> ProbeSet {
        var probes: [Probe] = []
        var errors: [ProbeError] = []
        var seen: [String: ProbeError.Location] = [:]
        var records = 0
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so it is matched as a separator of its own.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            records += 1
            let location = ProbeError.Location.line(lineNumber)
            do throws(ProbeError) {
                let object = try jsonObject(Data(line.utf8))
                let probe = try ownProbe(Fields(object))
                try add(probe, at: location, file: file, to: &probes, seen: &seen)
            } catch {
                errors.append(error.at(file, location))
            }
        }
        return ProbeSet(format: .jsonl, probes: probes, errors: errors, recordCount: records)
    }

    private static func parseArray(_ data: Data, file: String) throws(ProbeError) -> ProbeSet {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ProbeError(file: file, problem: .invalidJSON(jsonReason(error)))
        }
        guard let array = root as? [Any] else {
            throw ProbeError(file: file, problem: .unknownFormat("expected a JSON array"))
        }
        guard let sample = array.first(where: { $0 is [String: Any] }) as? [String: Any] else {
            if array.isEmpty { return ProbeSet(format: .json, probes: [], recordCount: 0) }
            throw ProbeError(file: file, problem: .unknownFormat("the array holds no JSON objects"))
        }
        let format: ProbeFormat
        if sample["requested_rewrite"] != nil {
            format = .counterfactROME
        } else if sample["known_id"] != nil || (sample["attribute"] != nil && sample["prompt"] != nil) {
            format = .known1000
        } else if sample["template"] != nil && sample["target"] != nil {
            format = .json
        } else if sample["ground_truth"] != nil && sample["prompt"] != nil && sample["subject"] != nil {
            format = .counterfactEasyEdit
        } else {
            let keys = sample.keys.sorted().joined(separator: ", ")
            throw ProbeError(file: file, problem: .unknownFormat(
                "the records (fields: \(keys)) are neither probes, known_1000 facts nor CounterFact cases"))
        }
        var probes: [Probe] = []
        var errors: [ProbeError] = []
        var seen: [String: ProbeError.Location] = [:]
        for (index, element) in array.enumerated() {
            let location = ProbeError.Location.record(index)
            do throws(ProbeError) {
                guard let object = element as? [String: Any] else {
                    throw ProbeError(file: file, problem: .wrongType(expected: "a JSON object"))
                }
                let fields = Fields(object)
                let probe: Probe
                switch format {
                case .json, .jsonl: probe = try ownProbe(fields)
                case .known1000: probe = try known1000Probe(fields)
                case .counterfactROME: probe = try romeCounterFactProbe(fields)
                case .counterfactEasyEdit: probe = try easyEditCounterFactProbe(fields, index: index)
                }
                try add(probe, at: location, file: file, to: &probes, seen: &seen)
            } catch {
                errors.append(error.at(file, location))
            }
        }
        return ProbeSet(format: format, probes: probes, errors: errors, recordCount: array.count)
    }

    /// Validates a probe and appends it unless its id was seen before.
    private static func add(_ probe: Probe, at location: ProbeError.Location, file: String,
                            to probes: inout [Probe], seen: inout [String: ProbeError.Location]) throws(ProbeError) {
        if let (field, problem) = probe.problem() {
            throw ProbeError(file: file, location: location, field: field, problem: problem)
        }
        if let first = seen[probe.id] {
            throw ProbeError(file: file, location: location, field: "id", problem: .duplicateID(probe.id, first: first))
        }
        seen[probe.id] = location
        probes.append(probe)
    }

    private static func jsonObject(_ data: Data) throws(ProbeError) -> [String: Any] {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data) } catch {
            throw ProbeError(file: "", problem: .invalidJSON(jsonReason(error)))
        }
        guard let object = value as? [String: Any] else {
            throw ProbeError(file: "", problem: .wrongType(expected: "a JSON object"))
        }
        return object
    }

    private static func jsonReason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }

    // MARK: The formats

    static let ownFields: Set<String> = ["id", "subject", "template", "target", "relation", "paraphrases", "prompt"]

    /// The project's own record: every field checked, unknown fields refused (a misspelt
    /// `paraphrase` would otherwise vanish silently). `prompt` may be present for readers; it must
    /// equal the filled-in template.
    private static func ownProbe(_ f: Fields) throws(ProbeError) -> Probe {
        if let extra = f.object.keys.sorted().first(where: { !ownFields.contains($0) }) {
            throw ProbeError(file: "", field: extra, problem: .unknownField)
        }
        let probe = Probe(id: try f.string("id"), subject: try f.string("subject"), template: try f.string("template"),
                          target: try f.string("target"), relation: try f.string("relation"),
                          paraphrases: try f.optionalStrings("paraphrases"))
        if let prompt = try f.optionalString("prompt"), probe.problem() == nil, prompt != probe.prompt {
            throw ProbeError(file: "", field: "prompt", problem: .invalidValue(
                "\"\(prompt)\" is not the template with the subject filled in (\"\(probe.prompt)\")"))
        }
        return probe
    }

    private static func known1000Probe(_ f: Fields) throws(ProbeError) -> Probe {
        let id = try f.int("known_id")
        return try fromPrompt(id: "known-\(id)", subject: try f.string("subject"), prompt: try f.string("prompt"),
                              target: try f.string("attribute").trimmingCharacters(in: .whitespacesAndNewlines),
                              relation: try f.string("relation_id"), paraphrases: nil)
    }

    private static func romeCounterFactProbe(_ f: Fields) throws(ProbeError) -> Probe {
        let id = try f.int("case_id")
        let rewrite = try f.object("requested_rewrite")
        let truth = try rewrite.object("target_true")
        return Probe(id: "cf-\(id)", subject: try rewrite.string("subject"), template: try rewrite.string("prompt"),
                     target: try truth.string("str").trimmingCharacters(in: .whitespacesAndNewlines),
                     relation: try rewrite.string("relation_id"),
                     paraphrases: try f.optionalStrings("paraphrase_prompts"))
    }

    private static func easyEditCounterFactProbe(_ f: Fields, index: Int) throws(ProbeError) -> Probe {
        let id = try f.optionalInt("case_id").map { "cf-\($0)" } ?? "record-\(index)"
        let target: String
        if let list = f.object["ground_truth"] as? [Any] {
            guard let first = list.first as? String else {
                throw ProbeError(file: "", field: f.path("ground_truth"), problem: .wrongType(expected: "a string or a non-empty list of strings"))
            }
            target = first
        } else {
            target = try f.string("ground_truth")
        }
        return try fromPrompt(id: id, subject: try f.string("subject"), prompt: try f.string("prompt"),
                              target: target.trimmingCharacters(in: .whitespacesAndNewlines), relation: "",
                              paraphrases: try f.optionalString("rephrase_prompt").map { [$0] })
    }

    private static func fromPrompt(id: String, subject: String, prompt: String, target: String, relation: String,
                                   paraphrases: [String]?) throws(ProbeError) -> Probe {
        do {
            return try Probe(id: id, subject: subject, prompt: prompt, target: target, relation: relation, paraphrases: paraphrases)
        } catch {
            throw ProbeError(file: "", field: "subject", problem: error.problem)
        }
    }

    // MARK: Writing

    /// The probe as one line of JSON (no newline): fields in the order id, relation, subject,
    /// template, target, paraphrases (omitted when nil).
    public var jsonLine: String {
        func quoted(_ s: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(s)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
        var parts = [("id", quoted(id)), ("relation", quoted(relation)), ("subject", quoted(subject)),
                     ("template", quoted(template)), ("target", quoted(target))]
        if let paraphrases {
            parts.append(("paraphrases", "[" + paraphrases.map(quoted).joined(separator: ", ") + "]"))
        }
        return "{" + parts.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// Probes as JSON lines, each line ending in a newline.
    public static func jsonLines(_ probes: [Probe]) -> String {
        probes.map { $0.jsonLine + "\n" }.joined()
    }

    /// Writes probes as JSON lines, atomically (temporary file, then rename). Refuses an invalid
    /// probe or a repeated id, so what is written can always be read back.
    public static func write(_ probes: [Probe], to url: URL) throws(ProbeError) {
        var seen: [String: ProbeError.Location] = [:]
        for (index, probe) in probes.enumerated() {
            if let (field, problem) = probe.problem() {
                throw ProbeError(file: url.path, location: .record(index), field: field, problem: problem)
            }
            if let first = seen[probe.id] {
                throw ProbeError(file: url.path, location: .record(index), field: "id", problem: .duplicateID(probe.id, first: first))
            }
            seen[probe.id] = .record(index)
        }
        do { try AtomicFile.write(jsonLines(probes), to: url) } catch {
            throw ProbeError(file: url.path, problem: .unwritable(error.reason))
        }
    }
}

/// Typed access to one JSON object's fields, with errors that name the field's full path.
struct Fields {
    let object: [String: Any]
    let prefix: String

    init(_ object: [String: Any], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    private func value(_ key: String) throws(ProbeError) -> Any {
        guard let v = object[key] else { throw ProbeError(file: "", field: path(key), problem: .missingField) }
        return v
    }

    func string(_ key: String) throws(ProbeError) -> String {
        guard let s = try value(key) as? String else { throw wrong(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws(ProbeError) -> String? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw wrong(key, "a string") }
        return s
    }

    func optionalStrings(_ key: String) throws(ProbeError) -> [String]? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let list = v as? [Any] else { throw wrong(key, "a list of strings") }
        var out: [String] = []
        for item in list {
            guard let s = item as? String else { throw wrong(key, "a list of strings") }
            out.append(s)
        }
        return out
    }

    func int(_ key: String) throws(ProbeError) -> Int {
        guard let n = Self.integer(try value(key)) else { throw wrong(key, "an integer") }
        return n
    }

    func optionalInt(_ key: String) throws(ProbeError) -> Int? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let n = Self.integer(v) else { throw wrong(key, "an integer") }
        return n
    }

    func object(_ key: String) throws(ProbeError) -> Fields {
        guard let o = try value(key) as? [String: Any] else { throw wrong(key, "a JSON object") }
        return Fields(o, prefix: path(key))
    }

    private func wrong(_ key: String, _ expected: String) -> ProbeError {
        ProbeError(file: "", field: path(key), problem: .wrongType(expected: expected))
    }

    /// An integral JSON number.
    private static func integer(_ v: Any) -> Int? {
        if v is String { return nil }
        if let n = v as? NSNumber {
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            return n.intValue
        }
        return v as? Int
    }
}
