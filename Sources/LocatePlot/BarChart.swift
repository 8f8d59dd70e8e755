/// A bar chart, e.g. attribution mass per layer, with some bars highlighted.
///
///     let chart = BarChart(values: massPerLayer, labels: (0..<30).map(String.init),
///                          title: "Attribution mass per layer", xLabel: "layer", yLabel: "mass",
///                          highlighted: [5, 6])
///
/// Bars grow from 0 (up or down), 80 % of their slot wide, in ``color``, highlighted ones in
/// ``highlightColor``. The y axis always includes 0 and is padded 5 % away from it. When labels
/// would overlap, only every k-th bar gets a tick and a label. NaN values draw no bar.
public struct BarChart: Figure, Equatable {
    /// `.barChart`.
    public static let kind = FigureKind.barChart

    /// One value per bar, left to right.
    public var values: [Double]
    /// One label per bar; missing labels are blank.
    public var labels: [String]
    /// Drawn above the axes.
    public var title: String
    /// Drawn under the bar labels.
    public var xLabel: String
    /// Drawn rotated left of the y tick labels.
    public var yLabel: String
    /// Indices of the bars drawn in ``highlightColor``, ascending.
    public var highlighted: [Int]
    /// Colour of ordinary bars.
    public var color: RGB
    /// Colour of the bars in ``highlighted``.
    public var highlightColor: RGB
    /// Pixels per point.
    public var scale: Int

    /// A bar chart.
    ///
    /// - Parameters:
    ///   - values: bar heights.
    ///   - labels: x tick labels, one per bar.
    ///   - title: drawn above the axes.
    ///   - xLabel: drawn under the tick labels.
    ///   - yLabel: drawn rotated on the left.
    ///   - highlighted: bars to draw in `highlightColor`.
    ///   - color: normal bars (tab10 blue).
    ///   - highlightColor: highlighted bars (tab10 orange).
    ///   - scale: pixels per point.
    public init(values: [Double], labels: [String], title: String, xLabel: String = "", yLabel: String = "",
                highlighted: Set<Int> = [], color: RGB = Tab10.color(0), highlightColor: RGB = Tab10.color(1),
                scale: Int = 2) {
        self.values = values
        self.labels = labels
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.highlighted = highlighted.sorted()
        self.color = color
        self.highlightColor = highlightColor
        self.scale = scale
    }

    /// The y range drawn: includes 0, padded 5 % on the side(s) away from 0.
    public var yRange: (lower: Double, upper: Double) {
        let finite = values.filter(\.isFinite)
        var lower = min(0, finite.min() ?? 0), upper = max(0, finite.max() ?? 1)
        if upper <= lower { upper = lower + 1 }
        let margin = (upper - lower) * 0.05
        if lower < 0 { lower -= margin }
        if upper > 0 { upper += margin }
        return (lower, upper)
    }
}

extension BarChart {
    /// Draws the chart: the axes 220 pt wide (8 pt per bar beyond 27 bars) and 150 pt high,
    /// y ticks at nice numbers, bar labels under every k-th bar.
    public func render() -> Canvas {
        let m = FigureMetrics(scale: scale)
        let count = values.count
        let gridWidth = max(m.px(220), count * m.px(8))
        let gridHeight = max(m.px(150), m.textWidth(yLabel) + m.px(4))   // the rotated y label fits
        // Slots: bar i is centred on i; the x range is [-0.7, count − 0.3].
        let xLower = -0.7, xUpper = Double(max(count, 1)) - 0.3
        let (yLower, yUpper) = yRange
        let map = AxisMap(xLower: xLower, xUpper: xUpper, yLower: yLower, yUpper: yUpper, width: gridWidth, height: gridHeight)
        let yTicks = NiceTicks.ticks(lower: yLower, upper: yUpper, maxCount: 6)
        let yTickLabels = NiceTicks.labels(yTicks)
        let barLabels = (0..<count).map { $0 < labels.count ? labels[$0] : "" }
        let slot = Double(gridWidth) / (xUpper - xLower)
        let widest = barLabels.map { m.textWidth($0) }.max() ?? 0
        let labelStride = max(1, Int((Double(widest + m.px(6)) / slot).rounded(.up)))

        var extent = Extent()
        extent.include(0, gridWidth)
        var left = -(m.lineWidth / 2 + m.tickLength + m.tickPad + (yTickLabels.map { m.textWidth($0) }.max() ?? 0))
        if !yLabel.isEmpty { left -= m.tickPad * 2 + m.textHeight }
        extent.include(left, 0)
        extent.include(centre: gridWidth / 2, width: m.textWidth(title))
        extent.include(centre: gridWidth / 2, width: m.textWidth(xLabel))
        for i in stride(from: 0, to: count, by: labelStride) {
            extent.include(centre: Int(map.x(Double(i))), width: m.textWidth(barLabels[i]))
        }
        let originX = m.margin - extent.lower
        // The top y label reaches half a text line above the grid.
        let gridTop = m.margin + (title.isEmpty ? m.textHeight / 2 : m.textHeight + m.titleGap)
        let grid = PixelRect(x: originX, y: gridTop, width: gridWidth, height: gridHeight)
        let tickLabelTop = grid.maxY + m.lineWidth / 2 + m.tickLength + m.tickPad
        var bottom = tickLabelTop + m.textHeight
        if !xLabel.isEmpty { bottom += m.tickPad + m.textHeight }
        var canvas = Canvas(width: originX + extent.upper + m.margin, height: bottom + m.margin)

        let zero = Double(grid.y) + map.y(0)
        let highlightedSet = Set(highlighted)
        for (i, value) in values.enumerated() where value.isFinite {
            let left = Double(grid.x) + map.x(Double(i) - 0.4), right = Double(grid.x) + map.x(Double(i) + 0.4)
            let top = Double(grid.y) + map.y(value)
            let y0 = Int(min(top, zero).rounded()), y1 = Int(max(top, zero).rounded())
            let x0 = Int(left.rounded()), x1 = Int(right.rounded())
            canvas.fillRect(x: x0, y: max(y0, grid.y), width: max(1, x1 - x0), height: min(y1, grid.maxY) - max(y0, grid.y),
                            color: highlightedSet.contains(i) ? highlightColor : color)
        }
        if yLower < 0 {
            canvas.fillRect(x: grid.x, y: Int(zero.rounded()) - m.lineWidth / 4, width: grid.width, height: max(1, m.lineWidth / 2), color: .black)
        }
        m.drawFrame(&canvas, grid)
        for (value, label) in zip(yTicks, yTickLabels) {
            m.drawYTick(&canvas, y: grid.y + Int(map.y(value).rounded()), axisX: grid.x - m.lineWidth / 2, label: label)
        }
        for i in stride(from: 0, to: count, by: labelStride) {
            m.drawXTick(&canvas, x: grid.x + Int(map.x(Double(i)).rounded()), axisY: grid.maxY + m.lineWidth / 2, label: barLabels[i])
        }
        canvas.drawText(title, x: grid.x + grid.width / 2, y: m.margin, scale: m.scale, anchor: .top)
        canvas.drawText(xLabel, x: grid.x + grid.width / 2, y: tickLabelTop + m.textHeight + m.tickPad, scale: m.scale, anchor: .top)
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, x: originX + left, y: grid.y + grid.height / 2, scale: m.scale,
                            anchor: TextAnchor(.left, .middle), orientation: .vertical)
        }
        return canvas
    }
}
