/// How text is cut into words before BPE runs on each word.
///
/// Both kinds use the GPT-2 pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// implemented here as a hand-written scanner over Unicode scalars (see ``PreTokenizerScanner``).
public enum PreTokenizerKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// SmolLM / SmolLM2 (`tokenizer.ggml.pre = "smollm"`): every Unicode number (`\p{N}`) is first
    /// isolated as its own piece, then the GPT-2 pattern runs on each remaining piece separately.
    /// Equals Hugging Face `Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)]`.
    case smollm
    /// The GPT-2 pattern alone (`tokenizer.ggml.pre = "gpt2"`, `"gpt-2"` or `"default"`;
    /// Hugging Face `ByteLevel(add_prefix_space=false, use_regex=true)`).
    case gpt2

    /// The GGUF `tokenizer.ggml.pre` names accepted, and the kind each one selects.
    public static let ggufNames: [(name: String, kind: PreTokenizerKind)] = [
        ("smollm", .smollm), ("gpt2", .gpt2), ("gpt-2", .gpt2), ("default", .gpt2),
    ]

    /// The kind for a GGUF `tokenizer.ggml.pre` value.
    /// - Throws: ``TokenizerError/unsupportedPreTokenizer(_:supported:)`` naming the value and the supported names.
    public init(ggufName name: String) throws(TokenizerError) {
        guard let match = Self.ggufNames.first(where: { $0.name == name }) else {
            throw .unsupportedPreTokenizer(name, supported: Self.ggufNames.map(\.name))
        }
        self = match.kind
    }

    public var description: String { rawValue }
}

/// The character classes the GPT-2 pattern distinguishes.
enum ScalarClass: UInt8, Sendable {
    /// `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo.
    case letter
    /// `\p{N}`: Nd, Nl, No.
    case number
    /// U+0020, the only character the optional ` ?` prefix accepts.
    case asciiSpace
    /// Other `\s` characters as Oniguruma (the regex engine of HF `tokenizers`) defines them in
    /// Unicode mode: U+0009…U+000D, U+0085, and categories Zs, Zl, Zp. U+200B (Cf) is not one.
    case space
    /// Everything else (`[^\s\p{L}\p{N}]`): punctuation, symbols, marks, controls, format characters.
    case other

    var isWhitespace: Bool { self == .asciiSpace || self == .space }

    private static let asciiTable: [ScalarClass] = (0..<128).map { classify(slow: Unicode.Scalar(UInt8($0))) }

    /// The class of a scalar; ASCII goes through a table.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        scalar.value < 128 ? asciiTable[Int(scalar.value)] : classify(slow: scalar)
    }

    private static func classify(slow scalar: Unicode.Scalar) -> ScalarClass {
        switch scalar.value {
        case 0x20: return .asciiSpace
        case 0x09...0x0D, 0x85: return .space
        default: break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return .space
        default:
            return .other
        }
    }
}

/// Splits a run of scalars into pre-tokens (words), reproducing the regex semantics exactly.
///
/// The input is the scalar values and their classes; the output is ranges of scalar indices.
/// Pieces always tile the input: every scalar belongs to exactly one piece.
struct PreTokenizerScanner: Sendable {
    let kind: PreTokenizerKind

    /// Appends the pieces of `scalars[range]` to `pieces`.
    func split(scalars: [UInt32], classes: [ScalarClass], range: Range<Int>, into pieces: inout [Range<Int>]) {
        switch kind {
        case .gpt2:
            splitGPT2(scalars: scalars, classes: classes, range: range, into: &pieces)
        case .smollm:
            // Digits(individual_digits): each \p{N} scalar is isolated; the runs between them are
            // split by the GPT-2 pattern on their own, so e.g. the space before a digit ends its run.
            var runStart = range.lowerBound
            for i in range where classes[i] == .number {
                if runStart < i {
                    splitGPT2(scalars: scalars, classes: classes, range: runStart..<i, into: &pieces)
                }
                pieces.append(i..<(i + 1))
                runStart = i + 1
            }
            if runStart < range.upperBound {
                splitGPT2(scalars: scalars, classes: classes, range: runStart..<range.upperBound, into: &pieces)
            }
        }
    }

    /// The GPT-2 pattern. At each position the alternatives are tried in order and the first that
    /// matches wins (regex alternation is ordered, not longest-match); the text end is `range.upperBound`.
    func splitGPT2(scalars: [UInt32], classes: [ScalarClass], range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            let length = contractionLength(scalars: scalars, at: i, end: end)
                ?? runLength(classes: classes, at: i, end: end)
                ?? whitespaceLength(classes: classes, at: i, end: end)
            pieces.append(i..<(i + length))
            i += length
        }
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive, no word boundary required).
    @inline(__always)
    private func contractionLength(scalars: [UInt32], at i: Int, end: Int) -> Int? {
        guard scalars[i] == 0x27, i + 1 < end else { return nil }
        switch scalars[i + 1] {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v → "re", "ve"
            return i + 2 < end && scalars[i + 2] == 0x65 ? 3 : nil
        case 0x6C:  // l → "ll"
            return i + 2 < end && scalars[i + 2] == 0x6C ? 3 : nil
        default: return nil
        }
    }

    /// ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020 and a run of one class.
    /// The class is that of the first scalar after the optional space.
    @inline(__always)
    private func runLength(classes: [ScalarClass], at i: Int, end: Int) -> Int? {
        var j = i
        if classes[i] == .asciiSpace {
            guard i + 1 < end, !classes[i + 1].isWhitespace else { return nil }
            j = i + 1
        } else if classes[i].isWhitespace {
            return nil
        }
        let runClass = classes[j]
        j += 1
        while j < end && classes[j] == runClass { j += 1 }
        return j - i
    }

    /// `\s+(?!\S)|\s+`: a whitespace run that reaches the end is taken whole; one followed by a
    /// non-space gives its last scalar back (so `"  word"` → `" "`, `" word"`), unless the run is a
    /// single scalar, which the plain `\s+` then takes alone.
    @inline(__always)
    private func whitespaceLength(classes: [ScalarClass], at i: Int, end: Int) -> Int {
        var j = i + 1
        while j < end && classes[j].isWhitespace { j += 1 }
        let run = j - i
        if j == end || run == 1 { return run }
        return run - 1
    }
}
