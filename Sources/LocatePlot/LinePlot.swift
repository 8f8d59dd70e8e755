import Foundation

/// One line of a ``LinePlot``, with an optional shaded band.
public struct Series: Codable, Sendable, Equatable {
    /// The legend entry.
    public var label: String
    /// The x values; `nil` for 0, 1, 2, … (layer numbers).
    public var x: [Double]?
    /// The y values.
    public var y: [Double]
    /// Half-widths of the shaded band, drawn from `y − band` to `y + band`; `nil` for none.
    public var band: [Double]?
    /// The line colour; `nil` for tab10 colour number *index of the series in its panel*.
    public var color: RGB?

    /// A series; see the properties for the meaning of each argument.
    public init(label: String, x: [Double]? = nil, y: [Double], band: [Double]? = nil, color: RGB? = nil) {
        self.label = label; self.x = x; self.y = y; self.band = band; self.color = color
    }

    /// The mean of each sample set with ROME's 95 % band `1.96 · std / √n` (population std,
    /// numpy's default `ddof=0`, as the AIE notebook uses).
    ///
    /// - Parameters:
    ///   - label: the legend entry.
    ///   - x: x values, or `nil` for 0, 1, 2, …
    ///   - samples: `samples[i]` are the observations at point `i`; NaN observations are
    ///     ignored and a point without observations is NaN (a gap).
    ///   - color: the line colour.
    public static func meanWithConfidenceBand(label: String, x: [Double]? = nil, samples: [[Double]],
                                              color: RGB? = nil) -> Series {
        var means: [Double] = [], bands: [Double] = []
        for values in samples {
            let finite = values.filter(\.isFinite)
            guard !finite.isEmpty else { means.append(.nan); bands.append(.nan); continue }
            let n = Double(finite.count)
            let mean = finite.reduce(0, +) / n
            let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            means.append(mean)
            bands.append(1.96 * variance.squareRoot() / n.squareRoot())
        }
        return Series(label: label, x: x, y: means, band: bands, color: color)
    }

    /// The x of point `i`.
    func xValue(_ i: Int) -> Double {
        if let x { return i < x.count ? x[i] : .nan }
        return Double(i)
    }

    /// Number of points drawn: `y.count`, or fewer when `x` is shorter.
    var pointCount: Int { x.map { min($0.count, y.count) } ?? y.count }
}

/// One set of axes in a ``LinePlot``.
public struct LinePanel: Codable, Sendable, Equatable {
    /// Drawn above the panel.
    public var title: String
    /// The lines, drawn in order (bands first).
    public var series: [Series]

    /// A panel with `series`.
    public init(title: String = "", series: [Series]) {
        self.title = title; self.series = series
    }
}

/// Where a ``LinePlot`` draws its legend.
public enum LegendPlacement: Codable, Sendable, Equatable {
    /// No legend.
    case none
    /// Right of the last panel, outside the axes, so it never hides data.
    case outsideRight
    /// Inside panel `panel`, upper-left corner, on a translucent white box.
    case upperLeft(panel: Int)
    /// Inside panel `panel`, upper-right corner, on a translucent white box.
    case upperRight(panel: Int)
}

/// Line plots with shaded bands in one or more panels side by side, sharing the y axis
/// (ROME's 1 × 3 average-indirect-effect figure, ALGORITHMS.md §1.7).
///
///     let plot = LinePlot(panels: [LinePanel(title: "hidden", series: [
///             Series(label: "Last subject token", y: means, band: halfWidths, color: Tab10.color(1))])],
///         xLabel: "Layer number in SmolLM2-135M", yLabel: "Average indirect effect on p(o)")
///
/// Panels share both ranges; y tick labels appear on the first panel only. Each panel gets the
/// x label. Lines are 1.5 pt wide, bands are the line colour at 20 % opacity. Without explicit
/// ``yMin``/``yMax`` the data range (bands included) is padded by 5 % on each side, as is the x
/// range, like matplotlib's default margins. NaN points break the line.
public struct LinePlot: Figure, Equatable {
    /// `.linePlot`.
    public static let kind = FigureKind.linePlot

    /// The panels, left to right.
    public var panels: [LinePanel]
    /// Overall title above the panels (matplotlib's `suptitle`); empty for none.
    public var title: String
    /// Drawn under every panel.
    public var xLabel: String
    /// Drawn rotated left of the first panel.
    public var yLabel: String
    /// Where the legend goes.
    public var legend: LegendPlacement
    /// Lower end of the y axis; `nil` to fit the data.
    public var yMin: Double?
    /// Upper end of the y axis; `nil` to fit the data.
    public var yMax: Double?
    /// Opacity of the bands.
    public var bandOpacity: Double
    /// Pixels per point.
    public var scale: Int

    /// A line plot; see the properties for the meaning of each argument.
    public init(panels: [LinePanel], title: String = "", xLabel: String, yLabel: String,
                legend: LegendPlacement = .outsideRight, yMin: Double? = nil, yMax: Double? = nil,
                bandOpacity: Double = 0.2, scale: Int = 2) {
        self.panels = panels
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.legend = legend
        self.yMin = yMin
        self.yMax = yMax
        self.bandOpacity = bandOpacity
        self.scale = scale
    }

    /// The colour series `index` of a panel is drawn with.
    public static func color(of series: Series, index: Int) -> RGB {
        series.color ?? Tab10.color(index)
    }

    /// The x range shared by all panels, 5 % margin included.
    public var xRange: (lower: Double, upper: Double) {
        var values: [Double] = []
        for panel in panels {
            for series in panel.series {
                for i in 0..<series.pointCount where series.y[i].isFinite { values.append(series.xValue(i)) }
            }
        }
        return LinePlot.padded(values.filter(\.isFinite), lower: nil, upper: nil)
    }

    /// The y range shared by all panels: ``yMin``/``yMax``, else the data and bands with a 5 % margin.
    public var yRange: (lower: Double, upper: Double) {
        var values: [Double] = []
        for panel in panels {
            for series in panel.series {
                for i in 0..<series.pointCount {
                    let y = series.y[i]
                    values.append(y)
                    if let band = series.band, i < band.count, band[i].isFinite { values += [y - band[i], y + band[i]] }
                }
            }
        }
        return LinePlot.padded(values.filter(\.isFinite), lower: yMin, upper: yMax)
    }

    /// `[min, max]` of `values` widened by 5 % each side; explicit ends win; an empty or
    /// single-valued range is widened to something drawable.
    static func padded(_ values: [Double], lower: Double?, upper: Double?) -> (lower: Double, upper: Double) {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if hi <= lo { lo -= max(abs(lo) * 0.1, 0.5); hi += max(abs(hi) * 0.1, 0.5) }
        let margin = (hi - lo) * 0.05
        let resultLower = lower ?? (lo - margin), resultUpper = upper ?? (hi + margin)
        return resultUpper > resultLower ? (resultLower, resultUpper) : (resultLower, resultLower + 1)
    }

    /// Legend entries: every distinct label in panel order, with its colour.
    var legendEntries: [(label: String, color: RGB)] {
        var entries: [(String, RGB)] = []
        for panel in panels {
            for (index, series) in panel.series.enumerated() where !series.label.isEmpty {
                if !entries.contains(where: { $0.0 == series.label }) { entries.append((series.label, LinePlot.color(of: series, index: index))) }
            }
        }
        return entries
    }
}
