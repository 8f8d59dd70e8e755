import ArgumentParser
import Foundation
import LocateCore
import LocateModel
import LocateStore

/// `--model PATH`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A GGUF model file (default: the fetched SmolLM2-135M-Instruct, or $LOCATE_MODEL).")
    var model: String?

    @Option(name: .long, help: "Threads to compute with (default: every core, or $LOCATE_THREADS).")
    var threads: Int?

    func validate() throws {
        if let threads { _ = try compute(threads) }
    }

    /// The thread count asked for, checked.
    private func compute(_ threads: Int) throws -> Compute {
        do { return try Compute(threads: threads) } catch { throw ValidationError("--threads: \(error)") }
    }

    func url() throws -> URL {
        try ModelStore().resolve(model)
    }

    func load() throws -> Transformer {
        if let threads { try compute(threads).adoptOnThisThread() }
        let url = try url()
        return try Transformer(contentsOf: url)
    }
}

/// Prints an Encodable as pretty JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A token as text that stays readable in a terminal (newlines and tabs escaped).
func visible(_ text: String) -> String {
    var out = ""
    for ch in text.unicodeScalars {
        switch ch {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}
