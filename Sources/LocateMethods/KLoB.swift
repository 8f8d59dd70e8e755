import Foundation

/// The three subsets of KLoB (Ju et al. 2023, "KLoB: a Benchmark for Assessing Knowledge Locating
/// Methods in Language Models"), named by their file: `klob-c.jsonl`, `klob-r.jsonl`,
/// `klob-u.jsonl` (ALGORITHMS.md §6.2, klob/README.md).
///
/// * `c`: three paraphrased cloze prompts of one fact, ``KLoBParaphraseItem``.
/// * `r`: a fact, a two-hop chain that starts with it, and their prompts, ``KLoBChainItem``.
/// * `u`: a string of random words, ``KLoBNonFactualItem``.
///
/// Which property a subset measures depends on the naming convention: see ``KLoBNaming``.
public enum KLoBSubset: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case c, r, u

    /// The file name the release uses (in lower case): `klob-c.jsonl`, …
    public var fileName: String { "klob-\(rawValue).jsonl" }

    public var description: String { "klob-\(rawValue)" }
}

/// The three properties KLoB tests a locating method for.
public enum KLoBProperty: String, CaseIterable, Codable, Sendable {
    /// Paraphrases of one fact should be located in the same place (measured with RSim).
    case consistency
    /// A fact and a knowledge chain that contains it should be located in overlapping places (RSim).
    case relevance
    /// Scores should not look the same on non-factual text as on facts (measured with RSD).
    case unbiasedness
}

/// Which KLoB file measures which property.
///
/// By content, klob-c (paraphrases of one fact) is the consistency set and klob-r (a fact and a
/// chain containing it) the relevance set. The Comprehensive Study of knowledge editing (Zhang et
/// al. 2024, arXiv 2401.01286, §5.2) says the opposite: "klob-r (designed for measuring
/// consistency) and klob-c (designed for measuring relevance)". `locate` follows the Study by
/// default (``study``) so that its numbers line up with the Study's Figure 8, and offers
/// ``content`` as a switch. klob-u measures unbiasedness under both.
public enum KLoBNaming: String, CaseIterable, Codable, Sendable {
    /// The Comprehensive Study's labels: klob-r → consistency, klob-c → relevance (the default).
    case study
    /// Labels by what the files hold: klob-c → consistency, klob-r → relevance.
    case content

    /// The property a subset measures under this naming.
    public func property(of subset: KLoBSubset) -> KLoBProperty {
        switch (self, subset) {
        case (_, .u): return .unbiasedness
        case (.study, .r), (.content, .c): return .consistency
        case (.study, .c), (.content, .r): return .relevance
        }
    }

    /// The subset that measures a property under this naming.
    public func subset(for property: KLoBProperty) -> KLoBSubset {
        KLoBSubset.allCases.first { self.property(of: $0) == property }!
    }
}
