import LocateTokenizer
import Testing

/// Edge cases beyond the 50 reference cases. The expected ids were produced with Hugging Face
/// `tokenizers` 0.23.3 (the reference's version) from the same GGUF vocabulary and merges, with
/// the reference pre-tokenizer `Sequence[Digits(individual_digits), ByteLevel(use_regex)]` and the
/// 17 control tokens added as special tokens.
@Suite("Edge cases against HF tokenizers")
struct EdgeCaseTests {
    struct HFCase: Sendable, CustomTestStringConvertible {
        let text: String
        let ids: [Int]
        init(_ text: String, _ ids: [Int]) {
            self.text = text
            self.ids = ids
        }
        var testDescription: String { text.debugDescription }
    }

    static let cases: [HFCase] = [
        HFCase("a\u{4}b", [81, 82]),
        HFCase("ab\u{4}cd", [369, 13133]),
        HFCase("!\u{4}!", [10095]),
        HFCase("..\u{4}.", [2026]),
        HFCase("?\u{13}?\u{14}?", [16693, 47]),
        HFCase("\u{1C}\u{1D}\u{1E}\u{1F}", [213, 214, 215]),
        HFCase("x\u{85}y", [104, 141, 223, 105]),
        HFCase("x\u{2028} y", [104, 321, 118, 329]),
        HFCase("\u{FEFF}Hello", [186, 136, 140, 19556]),
        HFCase("a\u{3000}\u{3000}b", [81, 12109, 218, 12109, 218, 82]),
        HFCase("  \u{9} \u{A} x", [256, 197, 3717, 1792]),
        HFCase("I'M he'S 'll'", [57, 23, 61, 384, 23, 67, 637, 764, 23]),
        HFCase("3\u{BD}\u{D7}2\u{B2}=\u{216B}", [35, 16738, 20628, 34, 19133, 45, 173, 223, 121]),
        HFCase("\u{1D400}\u{1D401} \u{1D7D9}\u{1D7DA}", [45100, 218, 45100, 219, 216, 23159, 249, 243, 23159, 249, 244]),
        HFCase("e\u{301}\u{301} x", [85, 151, 219, 151, 219, 1792]),
        HFCase("\u{D}\u{A}\u{D}\u{A}  y", [18682, 216, 329]),
        HFCase("tab\u{9}\u{9}\u{9}z", [15999, 1656, 197, 106]),
        HFCase("<|im_start|><|im_end|>", [1, 2]),
        HFCase("<|im_star", [44, 108, 306, 79, 16079]),
        HFCase("x<|endoftext|>y", [104, 0, 105]),
        HFCase("\u{7F}\u{0}", [217, 190]),
        HFCase("a \u{A0} b", [81, 3351, 250, 278]),
    ]

    /// Ids equal HF's for control bytes the vocabulary lacks (dropped, and their neighbours may
    /// merge across them: "!\u{4}!" → "!!"), NEL / line and paragraph separators, BOM, ideographic
    /// space, mixed whitespace runs, upper-case contractions, non-ASCII numbers, astral letters and
    /// digits, stacked combining marks and partial special-token text. A regex-semantics slip in any
    /// of these would only show up on unusual input, far from where it was introduced.
    @Test(arguments: cases)
    func idsMatchHFTokenizers(_ testCase: HFCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.encode(testCase.text, parseSpecial: true).ids == testCase.ids)
    }

    /// A token merged across a dropped byte covers it, and the drop is reported.
    @Test func mergeAcrossDroppedByteCoversIt() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let encoding = tokenizer.encode("!\u{4}!")
        #expect(encoding.byteOffsets == [0..<3])
        #expect(encoding.droppedByteOffsets == [1])
    }
}
