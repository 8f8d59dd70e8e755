import LocateCore

/// A figure or its sidecar could not be encoded or written. Every case names the file.
public enum PlotError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libpng refused to encode the pixels; `message` is libpng's own (`png_image.message`).
    case pngEncoding(path: String, message: String)
    /// The encoded bytes could not be written (missing permission, full disk, …).
    case fileWrite(path: String, reason: String)
    /// The sidecar could not be encoded as JSON.
    case sidecarEncoding(path: String, message: String)
    /// A sidecar file could not be read or decoded.
    case sidecarReading(path: String, message: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .pngEncoding(let path, _), .fileWrite(let path, _),
             .sidecarEncoding(let path, _), .sidecarReading(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .pngEncoding(let path, let message):
            return "cannot encode \(path) as PNG: libpng says \"\(message)\""
        case .fileWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .sidecarEncoding(let path, let message):
            return "cannot encode the sidecar \(path) as JSON: \(message)"
        case .sidecarReading(let path, let message):
            return "cannot read the sidecar \(path): \(message)\nHINT: a sidecar is the .json written next to a figure's .png by `FigureSidecar.write(to:)`."
        }
    }

    init(_ error: FileWriteError) {
        self = .fileWrite(path: error.path, reason: error.reason)
    }
}
