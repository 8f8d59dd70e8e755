import Foundation

/// Which figure type a sidecar describes.
public enum FigureKind: String, Codable, Sendable, CaseIterable {
    case heatmap, linePlot = "line_plot", barChart = "bar_chart"
}

/// A figure: a `Codable` value holding the numbers it plots, which renders itself to a
/// ``Canvas`` and can be written as a PNG plus a JSON sidecar.
///
///     let figure = BarChart(values: [0.1, 0.5, 0.2], labels: ["0", "1", "2"], title: "mass")
///     try figure.write(to: URL(fileURLWithPath: "figures/mass.png"),
///                      command: "locate neurons --out figures/mass.png")
///     // figures/mass.png and figures/mass.json
public protocol Figure: Codable, Sendable {
    /// The sidecar's `kind`.
    static var kind: FigureKind { get }
    /// The title drawn at the top (for a multi-panel line plot, the overall title).
    var title: String { get }
    /// The x-axis label.
    var xLabel: String { get }
    /// The y-axis label.
    var yLabel: String { get }
    /// Draws the figure. Never traps on odd data: NaN values are left out, ragged rows are
    /// padded, missing labels are blank.
    func render() -> Canvas
}

extension Figure {
    /// The sidecar for this figure.
    ///
    /// - Parameters:
    ///   - command: the exact command line that reproduces the figure.
    ///   - extras: anything else worth keeping (model, seed, prompt, …).
    public func sidecar(command: String, extras: [String: SidecarValue] = [:]) -> FigureSidecar {
        FigureSidecar(figure: self, command: command, extras: extras)
    }

    /// Renders the figure and writes `url` (a `.png`) and its sidecar (same name, `.json`),
    /// both atomically.
    ///
    /// - Parameters:
    ///   - url: the PNG's path; the sidecar goes to ``FigureSidecar/sidecarURL(forPNG:)``.
    ///   - command: the exact command line that reproduces the figure, stored in the sidecar.
    ///   - extras: further values for the sidecar.
    /// - Throws: ``PlotError`` naming the file that failed.
    public func write(to url: URL, command: String, extras: [String: SidecarValue] = [:]) throws(PlotError) {
        try render().writePNG(to: url)
        try sidecar(command: command, extras: extras).write(to: FigureSidecar.sidecarURL(forPNG: url))
    }
}
