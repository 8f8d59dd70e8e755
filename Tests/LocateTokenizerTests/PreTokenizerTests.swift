@testable import LocateTokenizer
import Testing

@Suite("Pre-tokenizer")
struct PreTokenizerTests {
    static func pieces(_ text: String, _ kind: PreTokenizerKind) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var ranges: [Range<Int>] = []
        PreTokenizerScanner(kind: kind).split(
            scalars: scalars.map(\.value), classes: scalars.map(ScalarClass.of),
            range: 0..<scalars.count, into: &ranges)
        return ranges.map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let smollm: [String]
        let gpt2: [String]?
        init(_ text: String, _ smollm: [String], gpt2: [String]? = nil) {
            self.text = text
            self.smollm = smollm
            self.gpt2 = gpt2
        }
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = [
        Case("Hello world", ["Hello", " world"]),
        Case("  two", [" ", " two"]),
        Case("a   b", ["a", "  ", " b"]),
        Case("x  ", ["x", "  "]),
        Case("a\n\nb", ["a", "\n", "\n", "b"]),
        Case(" \tx", [" ", "\t", "x"]),
        Case("\t\tx", ["\t", "\t", "x"]),
        Case("  \n  ", ["  \n  "]),
        Case("def f(x):\n    return", ["def", " f", "(", "x", "):", "\n   ", " return"]),
        Case("don't we'll I'M", ["don", "'t", " we", "'ll", " I", "'", "M"]),
        Case("'steak 're", ["'s", "teak", " '", "re"]),
        Case("?!'s", ["?!'", "s"]),
        Case("a  ?", ["a", " ", " ?"]),
        Case("abc123 x", ["abc", "1", "2", "3", " x"], gpt2: ["abc", "123", " x"]),
        Case(" 42", [" ", "4", "2"], gpt2: [" 42"]),
        Case("½ and ²", ["½", " and", " ", "²"], gpt2: ["½", " and", " ²"]),
        Case("x²y", ["x", "²", "y"], gpt2: ["x", "²", "y"]),
        Case("٣٤ x", ["٣", "٤", " x"], gpt2: ["٣٤", " x"]),
        Case("a\u{00A0}b", ["a", "\u{00A0}", "b"]),
        Case("a\u{00A0}\u{00A0}b", ["a", "\u{00A0}", "\u{00A0}", "b"]),
        Case("zero\u{200B}width", ["zero", "\u{200B}", "width"]),
        Case("e\u{301} x", ["e", "\u{301}", " x"]),
        Case("a\u{3000}b", ["a", "\u{3000}", "b"]),
        Case("a\u{1C}b", ["a", "\u{1C}", "b"]),
        Case("日本語のテキスト", ["日本語のテキスト"]),
        Case("emoji 😀🎉!", ["emoji", " 😀🎉!"]),
        Case("end ", ["end", " "]),
        Case(" ", [" "]),
    ]

    /// Pieces equal those worked out from the regex by hand (alternatives tried in order, first
    /// match wins; `\s+(?!\S)` backtracks one scalar before a non-space; `\s` as Oniguruma's, so
    /// NBSP and U+3000 are spaces but U+200B and U+001C are not). Guards each alternative: a wrong
    /// whitespace rule shifts spaces between words and changes most ids of indented code.
    @Test(arguments: cases)
    func piecesFollowTheRegex(_ testCase: Case) {
        #expect(Self.pieces(testCase.text, .smollm) == testCase.smollm)
        #expect(Self.pieces(testCase.text, .gpt2) == testCase.gpt2 ?? testCase.smollm)
    }

    /// GGUF `tokenizer.ggml.pre` names map to kinds; an unknown one is an error naming it and the
    /// supported names, not a silent fallback to a different regex.
    @Test func ggufNames() throws {
        #expect(try PreTokenizerKind(ggufName: "smollm") == .smollm)
        #expect(try PreTokenizerKind(ggufName: "gpt2") == .gpt2)
        #expect(try PreTokenizerKind(ggufName: "default") == .gpt2)
        #expect(throws: TokenizerError.unsupportedPreTokenizer("llama-bpe", supported: ["smollm", "gpt2", "gpt-2", "default"])) {
            try PreTokenizerKind(ggufName: "llama-bpe")
        }
        let message = TokenizerError.unsupportedPreTokenizer("qwen2", supported: ["smollm", "gpt2"]).description
        #expect(message.contains("qwen2") && message.contains("smollm"))
    }
}
