import LocateTokenizer
import Testing

@Suite("Streaming decoder")
struct StreamingDecoderTests {
    static let texts = [
        "emoji 😀🎉 and a family 👨‍👩‍👧‍👦 with a flag 🇫🇷",
        "日本語のテキスト、中文测试、한국어",
        "Plain ASCII only.",
        "é\u{301} Привет 🎉",
    ]

    /// Pushing ids one by one emits exactly the text: no U+FFFD for characters split across tokens,
    /// nothing lost or duplicated, and each chunk is a prefix extension. Guards generated text
    /// printed during generation.
    @Test(arguments: texts)
    func streamingEmitsExactlyTheText(_ text: String) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let ids = tokenizer.encode(text).ids
        var decoder = StreamingDecoder(tokenizer)
        var output = ""
        var heldBack = 0
        for id in ids {
            let chunk = decoder.push(id)
            #expect(!chunk.contains("\u{FFFD}"))
            if chunk.isEmpty { heldBack += 1 }
            output += chunk
            #expect(text.utf8.starts(with: output.utf8))
        }
        output += decoder.finish()
        #expect(output == text)
        if text.unicodeScalars.contains(where: { $0.value > 0xFFFF }) { #expect(heldBack > 0) }
    }

    /// An incomplete character at the end becomes U+FFFD on finish, as whole-sequence decoding
    /// does; the stream and `decode` agree on any id sequence.
    @Test func finishFlushesIncompleteBytes() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let ids = tokenizer.encode("ok 😀").ids
        let cut = Array(ids.dropLast())
        var decoder = StreamingDecoder(tokenizer)
        let streamed = decoder.push(cut)
        #expect(decoder.hasPendingBytes)
        let tail = decoder.finish()
        #expect(streamed + tail == tokenizer.decode(cut))
        #expect(tail == "\u{FFFD}")
        #expect(!decoder.hasPendingBytes)
    }

    /// Invalid bytes are not held back forever: a lone continuation byte is released at once.
    @Test func invalidBytesAreReleased() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let continuation = try #require(tokenizer.id(for: "Ģ"))  // byte 0x80 alone
        var decoder = StreamingDecoder(tokenizer)
        #expect(decoder.push(continuation) == "\u{FFFD}")
        #expect(!decoder.hasPendingBytes)
    }
}
