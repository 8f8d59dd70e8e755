import Foundation
import LocateCore

/// The JSON written next to every figure (`x.png` → `x.json`): what was plotted, with the exact
/// numbers, and the command that reproduces it.
///
/// Exactly one of ``heatmap``, ``linePlot`` and ``barChart`` is set, according to ``kind``; it
/// is the complete figure description, so ``render()`` redraws the PNG from the sidecar alone.
/// ``title``, ``xLabel`` and ``yLabel`` repeat the figure's for readers of the JSON.
///
/// Non-finite numbers are written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` by
/// ``encoder``; decode with ``decoder`` when the data may hold them (a plain `JSONDecoder`
/// reads finite data).
public struct FigureSidecar: Codable, Sendable, Equatable {
    /// Format version of this file, 1.
    public var version: Int
    /// Which of ``heatmap``, ``linePlot``, ``barChart`` holds the figure.
    public var kind: FigureKind
    /// The figure's title.
    public var title: String
    /// The figure's x-axis label.
    public var xLabel: String
    /// The figure's y-axis label.
    public var yLabel: String
    /// The exact command line that reproduces the figure.
    public var command: String
    /// Open-ended context: model, seed, prompt, noise level, …
    public var extras: [String: SidecarValue]
    /// The figure when ``kind`` is `.heatmap`.
    public var heatmap: Heatmap?
    /// The figure when ``kind`` is `.linePlot`.
    public var linePlot: LinePlot?
    /// The figure when ``kind`` is `.barChart`.
    public var barChart: BarChart?

    /// The current ``version``.
    public static let currentVersion = 1

    /// The sidecar of `figure`.
    public init(figure: some Figure, command: String, extras: [String: SidecarValue] = [:]) {
        version = FigureSidecar.currentVersion
        kind = type(of: figure).kind
        title = figure.title
        xLabel = figure.xLabel
        yLabel = figure.yLabel
        self.command = command
        self.extras = extras
        heatmap = figure as? Heatmap
        linePlot = figure as? LinePlot
        barChart = figure as? BarChart
    }

    /// The figure the sidecar describes, or `nil` when the entry for ``kind`` is missing.
    public var figure: (any Figure)? {
        switch kind {
        case .heatmap: if let heatmap { return heatmap }
        case .linePlot: if let linePlot { return linePlot }
        case .barChart: if let barChart { return barChart }
        }
        return nil
    }

    /// Redraws the figure, or `nil` when the sidecar has no figure of its ``kind``.
    public func render() -> Canvas? { figure?.render() }

    /// `x.png` → `x.json` in the same folder.
    public static func sidecarURL(forPNG url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("json")
    }

    /// Pretty-printed, sorted keys, non-finite numbers as strings.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// Accepts what ``encoder`` writes.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Writes the sidecar as JSON, atomically.
    ///
    /// - Throws: ``PlotError/sidecarEncoding(path:message:)`` or ``PlotError/fileWrite(path:reason:)``.
    public func write(to url: URL) throws(PlotError) {
        let data: Data
        do { data = try FigureSidecar.encoder.encode(self) } catch {
            throw .sidecarEncoding(path: url.path, message: String(describing: error))
        }
        do { try AtomicFile.write(data + Data("\n".utf8), to: url) } catch { throw PlotError(error) }
    }

    /// Reads a sidecar written by ``write(to:)``.
    ///
    /// - Throws: ``PlotError/sidecarReading(path:message:)``.
    public static func read(from url: URL) throws(PlotError) -> FigureSidecar {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .sidecarReading(path: url.path, message: error.localizedDescription)
        }
        do { return try decoder.decode(FigureSidecar.self, from: data) } catch {
            throw .sidecarReading(path: url.path, message: String(describing: error))
        }
    }
}
