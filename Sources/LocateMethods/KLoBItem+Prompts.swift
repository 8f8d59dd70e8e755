import Foundation

/// KLoB's answer slot: every prompt ends in `" _"`, and the autoregressive prompt is the text
/// before it.
///
///     KLoBSlot.strip("The native language of Norman Rockwell is _")   // "The native language of Norman Rockwell is"
///     KLoBSlot.cloze("The capital of France is")                      // "The capital of France is _"
///
/// Only the last `_` is the slot (one KLoB-u line has a stray `_` word in the middle, which stays
/// part of the text). Whitespace after the slot is allowed.
public enum KLoBSlot {
    public static let marker: Character = "_"

    /// Whether the text's last non-whitespace character is the slot.
    public static func endsWithSlot(_ cloze: String) -> Bool {
        cloze.last(where: { !$0.isWhitespace }) == marker
    }

    /// The prompt before the slot with trailing whitespace removed; nil when the text does not end
    /// in the slot or nothing but whitespace precedes it.
    public static func strip(_ cloze: String) -> String? {
        var text = Substring(cloze)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        guard text.last == marker else { return nil }
        text.removeLast()
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text.contains(where: { !$0.isWhitespace }) ? String(text) : nil
    }

    /// The cloze form of an autoregressive prompt: the prompt, a space, the slot.
    public static func cloze(_ prompt: String) -> String {
        prompt.trimmingCharacters(in: .whitespacesAndNewlines) + " _"
    }
}

/// Two prompts of one item whose located layers should agree: indices into the item's
/// ``KLoBItem/prompts(item:)``.
public struct CandidatePair: Sendable, Equatable, Hashable, Codable {
    public let a: Int
    public let b: Int

    public init(_ a: Int, _ b: Int) {
        self.a = a
        self.b = b
    }
}

/// One prompt to locate: the autoregressive text, the subject (causal tracing corrupts it) and the
/// expected answer.
public struct KLoBPrompt: Sendable, Equatable, Hashable {
    /// What the prompt is within its item.
    public enum Role: Sendable, Equatable, Hashable {
        /// The i-th paraphrase of a klob-c fact.
        case paraphrase(Int)
        /// The i-th prompt of a klob-r item's single fact.
        case single(Int)
        /// A klob-r item's chain prompt.
        case chain
        /// A klob-u line.
        case nonFactual
    }

    /// Unique within a set: `c12.p0`, `r5.s1`, `r5.chain`, `u3`.
    public var id: String
    /// The item's position in its set (0-based).
    public var item: Int
    /// The prompt's position in the item (what ``CandidatePair`` indexes).
    public var index: Int
    public var role: Role
    /// The prompt as the file writes it, ending in `" _"`.
    public var cloze: String
    /// The prompt to run: ``cloze`` without the slot.
    public var text: String
    /// The fact's subject; for klob-u (no fact) the first word of the text.
    public var subject: String
    /// The expected answer (the object; a chain's last object); nil for klob-u, where the answer to
    /// trace is the model's own prediction.
    public var target: String?
    /// The relation, for reports ("" when unknown or for klob-u).
    public var relation: String

    public init(id: String, item: Int, index: Int, role: Role, cloze: String, text: String, subject: String,
                target: String?, relation: String) {
        self.id = id
        self.item = item
        self.index = index
        self.role = role
        self.cloze = cloze
        self.text = text
        self.subject = subject
        self.target = target
        self.relation = relation
    }

    /// The prompt as a ``Probe`` for ``TraceBatch`` or ``knows(_:model:)``.
    /// - Parameter target: the answer to use instead of ``target`` (needed for klob-u prompts,
    ///   e.g. the model's greedy prediction).
    /// - Throws: ``ProbeError`` (file "", no location) when there is no target, or the subject does
    ///   not occur exactly once in the text, or the probe breaks another rule of ``Probe/problem()``.
    public func probe(target: String? = nil) throws(ProbeError) -> Probe {
        guard let answer = (target ?? self.target)?.trimmingCharacters(in: .whitespacesAndNewlines), !answer.isEmpty else {
            throw ProbeError(file: "", field: "target", problem: .invalidValue("prompt \(id) has no answer to locate; pass one"))
        }
        let probe = try Probe(id: id, subject: subject, prompt: text, target: answer, relation: relation)
        if let (field, problem) = probe.problem() { throw ProbeError(file: "", field: field, problem: problem) }
        return probe
    }
}

extension KLoBItem {
    /// The prompts to locate, in this order: klob-c the paraphrases; klob-r the single-fact
    /// prompts, then the chain prompt; klob-u the one line. Slots are stripped; a prompt whose
    /// slot is missing keeps its whole text (``problem()`` reports it).
    /// - Parameter index: the item's position in its set, used in the prompts' ids.
    public func prompts(item index: Int) -> [KLoBPrompt] {
        func text(_ cloze: String) -> String { KLoBSlot.strip(cloze) ?? cloze }
        switch self {
        case .paraphrases(let p):
            return p.prompts.enumerated().map { i, cloze in
                KLoBPrompt(id: "c\(index).p\(i)", item: index, index: i, role: .paraphrase(i), cloze: cloze, text: text(cloze),
                           subject: p.knowledge.subject, target: p.knowledge.object, relation: p.knowledge.relation)
            }
        case .chain(let c):
            let singles = c.singlePrompts.enumerated().map { i, cloze in
                KLoBPrompt(id: "r\(index).s\(i)", item: index, index: i, role: .single(i), cloze: cloze, text: text(cloze),
                           subject: c.singleKnowledge.subject, target: c.singleKnowledge.object, relation: c.singleKnowledge.relation)
            }
            let chain = KLoBPrompt(id: "r\(index).chain", item: index, index: singles.count, role: .chain, cloze: c.chainPrompt,
                                   text: text(c.chainPrompt), subject: c.chain.subject, target: c.chain.object2,
                                   relation: c.chain.relation1 + " → " + c.chain.relation2)
            return singles + [chain]
        case .nonFactual(let u):
            let body = text(u.text)
            let first = body.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? body
            return [KLoBPrompt(id: "u\(index)", item: index, index: 0, role: .nonFactual, cloze: u.text, text: body,
                               subject: first, target: nil, relation: "")]
        }
    }

    /// The prompt pairs whose located layers should agree (Sim_cand's pairs, ALGORITHMS.md §6.4
    /// step 4): klob-c every pair of paraphrases (0,1), (0,2), (1,2); klob-r each single-fact
    /// prompt with the chain prompt (0,n), (1,n), (2,n) where n is the chain prompt's index;
    /// klob-u none.
    public var candidatePairs: [CandidatePair] {
        switch self {
        case .paraphrases(let p):
            let n = p.prompts.count
            return (0 ..< n).flatMap { i in (i + 1 ..< n).map { CandidatePair(i, $0) } }
        case .chain(let c):
            let n = c.singlePrompts.count
            return (0 ..< n).map { CandidatePair($0, n) }
        case .nonFactual:
            return []
        }
    }
}

extension KLoBSet {
    /// Every item's prompts, items in order (ids unique within the set).
    public func prompts() -> [KLoBPrompt] {
        items.enumerated().flatMap { index, item in item.prompts(item: index) }
    }
}
