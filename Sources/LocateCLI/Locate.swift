import ArgumentParser
import Foundation
import LocateCore

@main
struct Locate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Find where a language model stores a fact, on a plain CPU.",
        discussion: """
        The default model is SmolLM2-135M-Instruct (GGUF, Q4_1); `locate model fetch` downloads it once. \
        Every command takes --model PATH to use another GGUF file.
        """,
        version: "0.1.0",
        subcommands: [ModelCommand.self, Tokenize.self, Run.self, Generate.self, Grad.self, Trace.self, Neurons.self, RSimCommand.self, Hooks.self, Probes.self, Bench.self, Fuzz.self, Vocab.self, Lens.self, KLoBCommand.self])

    static func main() {
        BLASKernel.restartWithBestKernelIfNeeded()
        do {
            try Compute.fromEnvironment().adoptOnThisThread()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(64)
        }
        main(nil)
    }
}
