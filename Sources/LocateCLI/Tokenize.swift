import ArgumentParser
import Foundation
import LocateFormats
import LocateTokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show how the model's tokenizer splits a text.")

    @Argument(help: "The text to tokenize.") var text: String
    @OptionGroup var options: ModelOptions
    @Flag(help: "Match special tokens such as <|im_start|> written in the text.") var special = false
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Row: Encodable { let index: Int; let id: Int; let token: String; let text: String; let utf8: [Int] }

    func run() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(contentsOf: options.url()))
        let encoding = tokenizer.encode(text, parseSpecial: special)
        let rows = encoding.ids.indices.map { i in
            Row(index: i, id: encoding.ids[i], token: tokenizer.token(for: encoding.ids[i]) ?? "?",
                text: encoding.text(ofToken: i), utf8: [encoding.byteOffsets[i].lowerBound, encoding.byteOffsets[i].upperBound])
        }
        if json { try printJSON(rows); return }
        print("\(rows.count) tokens")
        for r in rows {
            print("\(String(r.index).padding(toLength: 4, withPad: " ", startingAt: 0)) \(String(r.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \"\(visible(r.text))\"")
        }
    }
}
