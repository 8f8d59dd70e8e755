/// Decodes tokens one at a time (e.g. during generation), emitting only complete characters.
///
/// A token can end in the middle of a multi-byte UTF-8 sequence (emoji and CJK are often split
/// over two or three tokens). ``push(_:)`` holds such an incomplete tail back until the tokens
/// that complete it arrive, so no U+FFFD appears for text that is valid as a whole. The
/// concatenation of every ``push(_:)`` result and ``finish()`` equals
/// ``Tokenizer/decode(_:skipSpecialTokens:)`` of all the ids.
///
/// ```swift
/// var decoder = StreamingDecoder(tokenizer)
/// for id in generated { print(decoder.push(id), terminator: "") }
/// print(decoder.finish())
/// ```
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    public init(_ tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Whether bytes of an unfinished character are being held back.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Adds one token and returns the text that is now complete (possibly "").
    public mutating func push(_ id: Int) -> String {
        tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
        let held = Self.incompleteTailLength(pending)
        guard held < pending.count else { return "" }
        let ready = String(decoding: pending[..<(pending.count - held)], as: UTF8.self)
        pending.removeFirst(pending.count - held)
        return ready
    }

    /// Adds several tokens; the same as concatenating ``push(_:)`` of each.
    public mutating func push(_ ids: [Int]) -> String {
        var text = ""
        for id in ids { text += push(id) }
        return text
    }

    /// Ends the stream: returns what is held back, an incomplete character becoming U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the trailing bytes that are a valid but incomplete UTF-8 sequence, or 0.
    ///
    /// Only a tail that later bytes could complete is held back; invalid bytes are released at
    /// once (they decode to U+FFFD whatever follows). Because the held tail starts at a lead byte,
    /// decoding before and after it separately gives the same text as decoding everything at once.
    static func incompleteTailLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var k = 1
        while k <= min(3, n) {
            let byte = bytes[n - k]
            if byte & 0xC0 == 0x80 { k += 1; continue }
            let needed: Int
            switch byte {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return 0
            }
            guard needed > k else { return 0 }
            if k >= 2 {
                let second = bytes[n - k + 1]
                let valid: ClosedRange<UInt8>
                switch byte {
                case 0xE0: valid = 0xA0...0xBF
                case 0xED: valid = 0x80...0x9F
                case 0xF0: valid = 0x90...0xBF
                case 0xF4: valid = 0x80...0x8F
                default: valid = 0x80...0xBF
                }
                guard valid.contains(second) else { return 0 }
            }
            return k
        }
        return 0
    }
}
