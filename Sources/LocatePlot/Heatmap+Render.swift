/// Layout and drawing of a ``Heatmap``.
///
/// Pixel layout, left to right: margin, y label (rotated, when set), row labels right-aligned,
/// ticks, the grid (220 pt wide, or 2 pt per column above 110 columns), a gap, the colour bar
/// (8 pt) with ticks and labels on its right, margin. Top to bottom: margin, title, the grid
/// (at least 150 pt, 17 pt per row beyond, and as high as the y label), x ticks and labels (the colour-bar title on the same
/// line, under the bar), x label, margin. The figure widens until every text fits.
extension Heatmap {
    /// The grid's pixel rectangle inside ``render()``'s canvas and the canvas size, without
    /// drawing (tests use it to sample cell centres).
    public var layout: HeatmapLayout { makeLayout() }

    /// Draws the heatmap as laid out by ``layout``.
    public func render() -> Canvas {
        let plan = makeLayout()
        let m = FigureMetrics(scale: scale)
        var canvas = Canvas(width: plan.canvasWidth, height: plan.canvasHeight)
        let grid = plan.grid
        let rows = shape.rows

        // Cells; NaN stays blank.
        for row in 0..<rows {
            for column in 0..<values[row].count {
                let value = values[row][column]
                guard !value.isNaN else { continue }
                canvas.fillRect(plan.cell(row: row, column: column), color: colormap.color(normalized(value)))
            }
        }
        m.drawFrame(&canvas, grid)

        // Row labels and ticks at row centres.
        for row in 0..<rows {
            m.drawYTick(&canvas, y: plan.rowCentre(row), axisX: grid.x - m.lineWidth / 2, label: displayLabel(row: row))
        }
        // Column ticks at cell centres, every xTickStep.
        for column in tickColumns {
            m.drawXTick(&canvas, x: plan.columnCentre(column), axisY: grid.maxY + m.lineWidth / 2,
                        label: String(column + firstColumnNumber))
        }
        let tickLabelTop = grid.maxY + m.lineWidth / 2 + m.tickLength + m.tickPad

        // Title, x label, y label.
        canvas.drawText(title, x: grid.x + grid.width / 2, y: m.margin, scale: m.scale, anchor: .top)
        canvas.drawText(xLabel, x: grid.x + grid.width / 2, y: tickLabelTop + m.textHeight + m.tickPad, scale: m.scale, anchor: .top)
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, x: plan.yLabelLeft, y: grid.y + grid.height / 2, scale: m.scale,
                            anchor: TextAnchor(.left, .middle), orientation: .vertical)
        }

        // Colour bar: one colour per pixel row, low at the bottom.
        let bar = plan.colorbar
        let (lower, upper) = colorRange
        for y in 0..<bar.height {
            let t = (Double(bar.height - 1 - y) + 0.5) / Double(bar.height)
            canvas.fillRect(x: bar.x, y: bar.y + y, width: bar.width, height: 1, color: colormap.color(t))
        }
        m.drawFrame(&canvas, bar)
        let ticks = colorbarTicks
        for (value, label) in zip(ticks, NiceTicks.labels(ticks)) {
            let fraction = upper > lower ? (value - lower) / (upper - lower) : 0
            let y = bar.maxY - Int((fraction * Double(bar.height)).rounded())
            m.drawRightTick(&canvas, y: y, axisX: bar.maxX + m.lineWidth / 2, label: label)
        }
        canvas.drawText(colorbarTitle, x: bar.x + bar.width / 2, y: tickLabelTop, scale: m.scale, anchor: .top)
        return canvas
    }

    /// Columns that get a labelled tick.
    var tickColumns: [Int] {
        guard xTickStep > 0 else { return [] }
        return Array(stride(from: 0, to: shape.columns, by: xTickStep))
    }

    /// Nice values inside the colour range, for the colour bar.
    var colorbarTicks: [Double] {
        let (lower, upper) = colorRange
        return NiceTicks.ticks(lower: lower, upper: upper, maxCount: 5)
    }

    func makeLayout() -> HeatmapLayout {
        let m = FigureMetrics(scale: scale)
        let (rows, columns) = shape
        let gridWidth = columns > 110 ? m.px(2) * columns : m.px(220)
        let gridHeight = max(m.px(150), m.px(17) * rows, m.textWidth(yLabel) + m.px(4))
        let barWidth = m.px(8)

        // Horizontal extents relative to the grid's left edge.
        var extent = Extent()
        extent.include(0, gridWidth)
        let labelWidth = (0..<rows).map { m.textWidth(displayLabel(row: $0)) }.max() ?? 0
        var left = -(m.lineWidth / 2 + m.tickLength + m.tickPad + labelWidth)
        if !yLabel.isEmpty { left -= m.tickPad * 2 + m.textHeight }
        extent.include(left, 0)
        extent.include(centre: gridWidth / 2, width: m.textWidth(title))
        extent.include(centre: gridWidth / 2, width: m.textWidth(xLabel))
        var tickLabelRight = 0
        for column in tickColumns {
            let centre = Int(((Double(column) + 0.5) * Double(gridWidth) / Double(max(columns, 1))).rounded())
            let width = m.textWidth(String(column + firstColumnNumber))
            extent.include(centre: centre, width: width)
            tickLabelRight = max(tickLabelRight, centre - width / 2 + width)
        }
        // The bar sits far enough right that its title, centred under it, clears the grid and
        // the last x tick label.
        let titleWidth = m.textWidth(colorbarTitle)
        let clearance = max(gridWidth + m.px(6), tickLabelRight + m.px(8)) + titleWidth / 2 - barWidth / 2
        let barLeft = max(gridWidth + m.px(12), clearance)
        let tickLabels = NiceTicks.labels(colorbarTicks)
        let barLabelWidth = tickLabels.map { m.textWidth($0) }.max() ?? 0
        extent.include(barLeft, barLeft + barWidth + m.lineWidth + m.tickLength + m.tickPad + barLabelWidth)
        extent.include(centre: barLeft + barWidth / 2, width: titleWidth)

        let originX = m.margin - extent.lower
        // The top colour-bar label reaches half a text line above the grid.
        let gridTop = m.margin + (title.isEmpty ? m.textHeight / 2 : m.textHeight + m.titleGap)
        let tickLabelTop = gridTop + gridHeight + m.lineWidth / 2 + m.tickLength + m.tickPad
        var bottom = tickLabelTop + m.textHeight
        if !xLabel.isEmpty { bottom += m.tickPad + m.textHeight }
        let canvasHeight = bottom + m.margin
        return HeatmapLayout(
            grid: PixelRect(x: originX, y: gridTop, width: gridWidth, height: gridHeight),
            colorbar: PixelRect(x: originX + barLeft, y: gridTop, width: barWidth, height: gridHeight),
            rows: rows, columns: columns, yLabelLeft: originX + left,
            canvasWidth: originX + extent.upper + m.margin, canvasHeight: canvasHeight)
    }
}

/// Where a ``Heatmap``'s parts land on its canvas.
public struct HeatmapLayout: Sendable, Equatable {
    /// The cells' area.
    public let grid: PixelRect
    /// The colour bar's gradient.
    public let colorbar: PixelRect
    /// Number of rows of cells.
    public let rows: Int
    /// Number of columns of cells.
    public let columns: Int
    /// Left edge of the rotated y label.
    let yLabelLeft: Int
    /// Width of the rendered canvas.
    public let canvasWidth: Int
    /// Height of the rendered canvas.
    public let canvasHeight: Int

    /// Left pixel edge of `column` (column `columns` gives the right edge of the grid).
    public func columnEdge(_ column: Int) -> Int {
        grid.x + Int((Double(column) * Double(grid.width) / Double(max(columns, 1))).rounded())
    }

    /// Top pixel edge of `row` (row `rows` gives the bottom of the grid).
    public func rowEdge(_ row: Int) -> Int {
        grid.y + Int((Double(row) * Double(grid.height) / Double(max(rows, 1))).rounded())
    }

    /// The pixels of one cell; neighbouring cells share no pixel and leave no gap.
    public func cell(row: Int, column: Int) -> PixelRect {
        let x0 = columnEdge(column), y0 = rowEdge(row)
        return PixelRect(x: x0, y: y0, width: columnEdge(column + 1) - x0, height: rowEdge(row + 1) - y0)
    }

    /// The pixel column through the centre of `column`.
    public func columnCentre(_ column: Int) -> Int { (columnEdge(column) + columnEdge(column + 1)) / 2 }

    /// The pixel row through the centre of `row`.
    public func rowCentre(_ row: Int) -> Int { (rowEdge(row) + rowEdge(row + 1)) / 2 }
}
