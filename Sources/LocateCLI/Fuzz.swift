import ArgumentParser
import Foundation
import LocateFormats

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mutate GGUF headers and check that every mutation parses or fails with a typed error.",
        subcommands: [GGUF.self])

    struct GGUF: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gguf", abstract: "Fuzz the GGUF reader.")
        @OptionGroup var options: ModelOptions
        @Option(help: "Mutations to try.") var iterations = 20_000
        @Option(help: "Seed of the mutation stream.") var seed: UInt64 = 1

        func run() throws {
            let url = try options.url()
            let data = try Data(contentsOf: url, options: .alwaysMapped)
            let start = Date()
            let report = GGUFFuzz.run(seed: seed, iterations: iterations, base: [UInt8](data))
            print("\(iterations) mutations of \(url.lastPathComponent) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(report)")
        }
    }
}
