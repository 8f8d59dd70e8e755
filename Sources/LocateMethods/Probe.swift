import Foundation

/// One fact to locate: a subject, a cloze template that ends right before the object, and the
/// object the model should produce.
///
///     Probe(id: "capital-france", subject: "France", template: "The capital of {} is",
///           target: "Paris", relation: "capital")
///     // prompt: "The capital of France is", expected continuation " Paris"
public struct Probe: Codable, Sendable, Equatable, Hashable {
    /// Unique within a probe set.
    public var id: String
    /// The subject as it appears in the prompt (no surrounding whitespace).
    public var subject: String
    /// The prompt with `{}` (exactly once) where the subject goes.
    public var template: String
    /// The expected object, without a leading space (the model's continuation usually has one).
    public var target: String
    /// What kind of fact this is (`capital`, a Wikidata id such as `P36`, …); may be empty.
    public var relation: String
    /// Other prompts for the same fact, each complete (the subject already written in).
    public var paraphrases: [String]?

    public init(id: String, subject: String, template: String, target: String, relation: String, paraphrases: [String]? = nil) {
        self.id = id
        self.subject = subject
        self.template = template
        self.target = target
        self.relation = relation
        self.paraphrases = paraphrases
    }

    /// The placeholder in a template.
    public static let placeholder = "{}"

    /// The template with the subject filled in.
    public var prompt: String {
        guard let range = template.range(of: Self.placeholder) else { return template }
        return template.replacingCharacters(in: range, with: subject)
    }

    /// The first whitespace-separated word of the target: what ``knows(_:model:)`` compares with
    /// the model's continuation.
    public var targetFirstWord: String {
        String(target.split(whereSeparator: \.isWhitespace).first ?? "")
    }

    /// The first rule this probe breaks, as (field, problem), or nil when it is valid: non-empty
    /// id; subject non-empty, trimmed and without `{}`; template with `{}` exactly once and no
    /// trailing whitespace; target non-empty and trimmed; the subject exactly once in the prompt;
    /// paraphrases non-empty when present.
    public func problem() -> (field: String, problem: ProbeError.Problem)? {
        if id.isEmpty { return ("id", .invalidValue("must not be empty")) }
        if subject.isEmpty { return ("subject", .invalidValue("must not be empty")) }
        if subject.first!.isWhitespace || subject.last!.isWhitespace {
            return ("subject", .invalidValue("must not start or end with whitespace: \"\(subject)\""))
        }
        if subject.contains(Self.placeholder) { return ("subject", .invalidValue("must not contain {}")) }
        let holes = template.components(separatedBy: Self.placeholder).count - 1
        if holes != 1 {
            return ("template", .invalidValue("must contain {} exactly once, found \(holes) in \"\(template)\""))
        }
        if let last = template.last, last.isWhitespace {
            return ("template", .invalidValue("must end right before the object, without trailing whitespace: \"\(template)\""))
        }
        if target.isEmpty { return ("target", .invalidValue("must not be empty")) }
        if target.first!.isWhitespace || target.last!.isWhitespace {
            return ("target", .invalidValue("must not start or end with whitespace: \"\(target)\""))
        }
        let occurrences = Self.count(of: subject, in: prompt)
        if occurrences != 1 {
            return ("subject", .subjectRepeated(subject: subject, prompt: prompt, count: occurrences))
        }
        if let paraphrases, paraphrases.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            return ("paraphrases", .invalidValue("must not contain an empty prompt"))
        }
        return nil
    }

    /// How many times `needle` occurs in `text` (overlapping occurrences counted).
    static func count(of needle: String, in text: String) -> Int {
        guard !needle.isEmpty else { return 0 }
        var n = 0
        var start = text.startIndex
        while let r = text.range(of: needle, range: start ..< text.endIndex) {
            n += 1
            start = text.index(after: r.lowerBound)
        }
        return n
    }

    /// A probe from a full prompt that contains the subject once: the template is the prompt with
    /// the subject replaced by `{}`.
    ///
    /// - Throws: ``ProbeError/Problem/subjectNotInPrompt(subject:prompt:)`` or
    ///   ``ProbeError/Problem/subjectRepeated(subject:prompt:count:)`` (with an empty file name and
    ///   no location; the readers fill those in).
    public init(id: String, subject: String, prompt: String, target: String, relation: String,
                paraphrases: [String]? = nil) throws(ProbeError) {
        guard let range = prompt.range(of: subject), !subject.isEmpty else {
            throw ProbeError(file: "", field: "subject", problem: .subjectNotInPrompt(subject: subject, prompt: prompt))
        }
        let occurrences = Self.count(of: subject, in: prompt)
        guard occurrences == 1 else {
            throw ProbeError(file: "", field: "subject", problem: .subjectRepeated(subject: subject, prompt: prompt, count: occurrences))
        }
        self.init(id: id, subject: subject, template: prompt.replacingCharacters(in: range, with: Self.placeholder),
                  target: target, relation: relation, paraphrases: paraphrases)
    }
}
