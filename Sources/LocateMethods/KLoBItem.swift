import Foundation

/// A knowledge triple as KLoB writes it: `[subject, "relation_(Pxx)", object]`.
public struct KLoBFact: Sendable, Equatable, Hashable, Codable {
    /// The subject as the prompts write it.
    public var subject: String
    /// KLoB's `name_(Pxx)` form (`native_(P103)`); any string is accepted, including empty.
    public var relation: String
    /// The answer the prompts ask for.
    public var object: String

    public init(subject: String, relation: String, object: String) {
        self.subject = subject
        self.relation = relation
        self.object = object
    }

    /// The triple as the JSON array holds it.
    public var array: [String] { [subject, relation, object] }
}

/// A two-hop knowledge chain `[s, r1, o1, r2, o2]`: (s, r1, o1) and then (o1, r2, o2).
public struct KLoBChain: Sendable, Equatable, Hashable, Codable {
    /// s, the subject of the chain prompt.
    public var subject: String
    /// r1 and o1: the first hop, the single fact.
    public var relation1: String
    public var object1: String
    /// r2 and o2: the second hop; o2 answers the chain prompt.
    public var relation2: String
    public var object2: String

    public init(subject: String, relation1: String, object1: String, relation2: String, object2: String) {
        self.subject = subject
        self.relation1 = relation1
        self.object1 = object1
        self.relation2 = relation2
        self.object2 = object2
    }

    /// The first hop, (s, r1, o1).
    public var first: KLoBFact { KLoBFact(subject: subject, relation: relation1, object: object1) }

    /// The chain as the JSON array holds it.
    public var array: [String] { [subject, relation1, object1, relation2, object2] }
}

/// A klob-c line: paraphrased cloze prompts of one fact, each ending in `" _"`.
///
///     {"prompts": ["The native language of Norman Rockwell is _", …],
///      "knowledge": ["Norman Rockwell", "native_(P103)", "English"]}
public struct KLoBParaphraseItem: Sendable, Equatable, Hashable {
    /// The cloze prompts as written in the file (KLoB has 3; at least ``minimumPrompts``).
    public var prompts: [String]
    /// The fact every prompt asks for.
    public var knowledge: KLoBFact

    /// A paraphrase item needs two prompts to compare.
    public static let minimumPrompts = 2

    public init(prompts: [String], knowledge: KLoBFact) {
        self.prompts = prompts
        self.knowledge = knowledge
    }
}

/// A klob-r line: a fact, a knowledge chain that starts with it, prompts for the fact and one
/// prompt for the chain. The release spells two keys `knowlege`; both spellings are read.
///
///     {"single_knowledge": ["Ann Druyan", "spouse", "Carl Sagan"],
///      "knowledge_chain": ["Ann Druyan", "spouse", "Carl Sagan", "employer", "Cornell University"],
///      "single_knowlege_prompts": ["The spouse of Ann Druyan is _", …],
///      "knowlege_chain_prompt": "the employer of the spouse of Ann Druyan is _"}
public struct KLoBChainItem: Sendable, Equatable, Hashable {
    /// (s, r1, o1), asked by ``singlePrompts``.
    public var singleKnowledge: KLoBFact
    /// (s, r1, o1, r2, o2), asked by ``chainPrompt``.
    public var chain: KLoBChain
    /// Cloze prompts of ``singleKnowledge`` (KLoB has 3; at least 1).
    public var singlePrompts: [String]
    /// The cloze prompt of the whole chain; its answer is ``KLoBChain/object2``.
    public var chainPrompt: String

    public init(singleKnowledge: KLoBFact, chain: KLoBChain, singlePrompts: [String], chainPrompt: String) {
        self.singleKnowledge = singleKnowledge
        self.chain = chain
        self.singlePrompts = singlePrompts
        self.chainPrompt = chainPrompt
    }
}

/// A klob-u line: a JSON string of random English words ending in `" _"` (a non-factual input).
public struct KLoBNonFactualItem: Sendable, Equatable, Hashable {
    /// The line's string, ending in the slot.
    public var text: String

    public init(text: String) {
        self.text = text
    }
}

/// One record of any KLoB subset.
public enum KLoBItem: Sendable, Equatable, Hashable {
    /// A klob-c record.
    case paraphrases(KLoBParaphraseItem)
    /// A klob-r record.
    case chain(KLoBChainItem)
    /// A klob-u record.
    case nonFactual(KLoBNonFactualItem)

    /// The subset whose file holds this kind of record.
    public var subset: KLoBSubset {
        switch self {
        case .paraphrases: return .c
        case .chain: return .r
        case .nonFactual: return .u
        }
    }

    /// Every cloze prompt of the item, in the order of ``KLoBItem/prompts(item:)``.
    public var clozePrompts: [String] {
        switch self {
        case .paraphrases(let p): return p.prompts
        case .chain(let c): return c.singlePrompts + [c.chainPrompt]
        case .nonFactual(let u): return [u.text]
        }
    }

    /// The first rule the item breaks, as (field, problem), or nil when it is valid: enough
    /// prompts, every prompt ends in the `_` slot with text before it, and the subject and the
    /// answers are not empty. The field is the JSON key with an index (`prompts[1]`), spelled as
    /// the release spells it.
    public func problem() -> (field: String, problem: KLoBError.Problem)? {
        func cloze(_ text: String, _ field: String) -> (String, KLoBError.Problem)? {
            if KLoBSlot.strip(text) != nil { return nil }
            return (field, KLoBSlot.endsWithSlot(text) ? .emptyPrompt : .noSlot(text))
        }
        func filled(_ value: String, _ field: String) -> (String, KLoBError.Problem)? {
            value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? (field, .invalidValue("must not be empty")) : nil
        }
        switch self {
        case .paraphrases(let p):
            if p.prompts.count < KLoBParaphraseItem.minimumPrompts {
                return ("prompts", .wrongCount(expected: "at least \(KLoBParaphraseItem.minimumPrompts)", found: p.prompts.count))
            }
            for (i, prompt) in p.prompts.enumerated() {
                if let e = cloze(prompt, "prompts[\(i)]") { return e }
            }
            return filled(p.knowledge.subject, "knowledge[0]") ?? filled(p.knowledge.object, "knowledge[2]")
        case .chain(let c):
            if c.singlePrompts.isEmpty {
                return (KLoBKeys.singlePrompts, .wrongCount(expected: "at least 1", found: 0))
            }
            for (i, prompt) in c.singlePrompts.enumerated() {
                if let e = cloze(prompt, "\(KLoBKeys.singlePrompts)[\(i)]") { return e }
            }
            return cloze(c.chainPrompt, KLoBKeys.chainPrompt)
                ?? filled(c.singleKnowledge.subject, "single_knowledge[0]") ?? filled(c.singleKnowledge.object, "single_knowledge[2]")
                ?? filled(c.chain.subject, "knowledge_chain[0]") ?? filled(c.chain.object2, "knowledge_chain[4]")
        case .nonFactual(let u):
            return cloze(u.text, "(line)")
        }
    }
}

/// The JSON keys of KLoB records, as the release spells them, and the correct spellings also
/// accepted on reading.
public enum KLoBKeys {
    public static let prompts = "prompts"
    public static let knowledge = "knowledge"
    public static let singleKnowledge = "single_knowledge"
    public static let chain = "knowledge_chain"
    /// Misspelled in the release; ``singlePromptsCorrect`` is accepted too.
    public static let singlePrompts = "single_knowlege_prompts"
    public static let singlePromptsCorrect = "single_knowledge_prompts"
    /// Misspelled in the release; ``chainPromptCorrect`` is accepted too.
    public static let chainPrompt = "knowlege_chain_prompt"
    public static let chainPromptCorrect = "knowledge_chain_prompt"
}
