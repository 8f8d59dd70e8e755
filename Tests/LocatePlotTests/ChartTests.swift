import Foundation
import LocatePlot
import Testing

@Suite("Line plots and bar charts")
struct ChartTests {
    /// Synthetic AIE-like curves: six token groups over 30 layers, a bump per group, with a
    /// band, from a fixed formula (no randomness).
    static func sampleLinePlot() -> LinePlot {
        let order = [0, 1, 2, 4, 5, 3]   // ROME's tab10 order for the six groups
        func panel(_ title: String, peakShift: Double) -> LinePanel {
            LinePanel(title: title, series: Heatmap.averageEffectRowLabels.enumerated().map { group, label in
                let peak: Double = Double(group * 4) + peakShift, height: Double = 0.05 + 0.03 * Double(group)
                let y: [Double] = (0..<30).map { l in
                    let z = (Double(l) - peak) / 4
                    return height * exp(-z * z)
                }
                return Series(label: label, y: y, band: y.map { 0.01 + 0.2 * $0 }, color: Tab10.color(order[group]))
            })
        }
        return LinePlot(panels: [panel("Average indirect effect of a single hidden vector", peakShift: 0),
                                 panel("Average indirect effect of a run of 10 MLP lookups", peakShift: 2),
                                 panel("Average indirect effect of a run of 10 Attn modules", peakShift: 6)],
                        xLabel: "Layer number in SmolLM2-135M", yLabel: "Average indirect effect on p(o)")
    }

    static func sampleBarChart() -> BarChart {
        func bump(_ l: Int, centre: Double, width: Double, height: Double) -> Double {
            let z = (Double(l) - centre) / width
            return height * exp(-z * z)
        }
        let mass: [Double] = (0..<30).map { l in 0.02 + bump(l, centre: 8, width: 2.5, height: 0.3) + bump(l, centre: 22, width: 3, height: 0.1) }
        return BarChart(values: mass, labels: (0..<30).map(String.init), title: "Attribution mass per layer",
                        xLabel: "layer", yLabel: "share of attribution", highlighted: [7, 8, 9])
    }

    /// Guards against bands that hide the line or vanish: away from the line but inside the
    /// band, the pixel must be the line colour blended at the band opacity over white; on the
    /// line it must be the opaque line colour.
    @Test func bandIsTranslucentLineColour() {
        let green = Tab10.color(2)
        let plot = LinePlot(panels: [LinePanel(series: [Series(label: "flat", y: [1, 1, 1, 1], band: [0.5, 0.5, 0.5, 0.5], color: green)])],
                            xLabel: "x", yLabel: "y", legend: .none, yMin: 0, yMax: 2)
        let canvas = plot.render()
        // Find the axes: the column through the middle has line pixels; y = 1 is mid-height.
        let column = canvas.width / 2
        let rows = (0..<canvas.height).filter { canvas.pixel(x: column, y: $0) == green }
        #expect(!rows.isEmpty)
        let lineY = rows[rows.count / 2]
        let bandPixel = canvas.pixel(x: column, y: lineY - 40)
        #expect(bandPixel == green.blended(over: .white, alpha: 0.2))
    }

    /// Guards against highlighted bars being drawn in the normal colour (the highlight is the
    /// point of the figure) and against negative bars growing the wrong way.
    @Test func highlightedBarsUseHighlightColour() {
        let chart = BarChart(values: [1, 2, 3, -1], labels: ["a", "b", "c", "d"], title: "t", highlighted: [0])
        let canvas = chart.render()
        var counts: [RGB: Int] = [:]
        for y in 0..<canvas.height { for x in 0..<canvas.width { if let p = canvas.pixel(x: x, y: y) { counts[p, default: 0] += 1 } } }
        #expect((counts[chart.highlightColor] ?? 0) > 1000)
        #expect((counts[chart.color] ?? 0) > (counts[chart.highlightColor] ?? 0))
    }

    /// Renders the sample figures (line plot, bar chart, AIE heatmap) into `$LOCATE_PLOT_CHECK`
    /// to be looked at; guards against layouts that cut text off (the canvas must be wider
    /// than the widest title).
    @Test func sampleFiguresRender() throws {
        let folder = figureCheckFolder()
        let lines = Self.sampleLinePlot()
        let lineCanvas = lines.render()
        #expect(lineCanvas.width > 3 * BitmapFont.fixed6x13.measure(lines.panels[0].title, scale: 2).width)
        try lines.write(to: folder.appendingPathComponent("aie_lines.png"), command: "swift test --filter sampleFiguresRender")
        try Self.sampleBarChart().write(to: folder.appendingPathComponent("bars.png"), command: "swift test --filter sampleFiguresRender")
        let effects = lines.panels[0].series.map(\.y)
        let aie = Heatmap.averageIndirectEffect(effects: effects, kind: .hidden, promptCount: 120, vmax: 0.2, modelName: "SmolLM2-135M")
        try aie.write(to: folder.appendingPathComponent("aie_hidden.png"), command: "swift test --filter sampleFiguresRender")
        let insideLegend = LinePlot(panels: [lines.panels[1]], xLabel: lines.xLabel, yLabel: lines.yLabel, legend: .upperRight(panel: 0))
        try insideLegend.render().writePNG(to: folder.appendingPathComponent("aie_lines_inside_legend.png"))
    }
}
