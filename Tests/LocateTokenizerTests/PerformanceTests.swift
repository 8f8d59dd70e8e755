import LocateTokenizer
import Testing

@Suite("Performance")
struct PerformanceTests {
    /// About 10 KB of English prose with numbers and punctuation.
    static let text: String = {
        let paragraph = """
        The Eiffel Tower is located in the city of Paris, on the Champ de Mars beside the Seine. \
        It was completed in 1889 for the World's Fair and is 330 metres tall; for 41 years it was the \
        tallest man-made structure in the world. Gustave Eiffel's company designed and built it, \
        although the engineers Maurice Koechlin and Émile Nouguier drew the first sketches.
        Danielle Darrieux's mother tongue is French. Toko Yasuda plays the guitar, and Megan Rapinoe \
        plays the sport of soccer. SMAP was created in 1988 ("Sports Music Assemble People").

        """
        var text = ""
        var n = 0
        while text.utf8.count < 10_000 {
            text += paragraph.replacingOccurrences(of: "1889", with: String(1889 + n))
            n += 1
        }
        return text
    }()

    /// Encoding ~10 KB stays far below the 50 ms budget even in a debug build, cold (empty word
    /// cache) and warm. Guards against an accidental quadratic step (e.g. re-scanning the text per
    /// token) that would make long prompts or corpus statistics crawl.
    @Test func encodesTenKilobytesQuickly() throws {
        let vocabulary = try TokenizerFixtures.vocabulary()
        let fresh = try Tokenizer(tokens: vocabulary.tokens, merges: vocabulary.merges,
                                  tokenTypes: vocabulary.tokenTypes, preTokenizer: .smollm)
        let clock = ContinuousClock()
        var encoding = fresh.encode("")
        let cold = clock.measure { encoding = fresh.encode(Self.text) }
        let warm = clock.measure { encoding = fresh.encode(Self.text) }
        print("encode \(Self.text.utf8.count) bytes → \(encoding.count) tokens: cold \(cold), warm \(warm)")
        #expect(fresh.decode(encoding.ids) == Self.text)
        #expect(cold < .milliseconds(200), "cold encode took \(cold)")
        #expect(warm < .milliseconds(50), "warm encode took \(warm)")
    }
}
