/// Layout and drawing of a ``LinePlot``.
///
/// Left to right: margin, y label (rotated), y tick labels, the panels (each at least 200 pt
/// wide, wider when its title needs it, 150 pt high or as high as the y label, 14 pt apart), the outside legend, margin.
/// Top to bottom: margin, overall title, panel titles, panels, x tick labels, x labels, margin.
extension LinePlot {
    /// Draws the panels, their shared axes and the legend.
    public func render() -> Canvas {
        let m = FigureMetrics(scale: scale)
        let panelCount = max(1, panels.count)
        let panelWidth = max(m.px(200), (panels.map { m.textWidth($0.title) }.max() ?? 0) + m.px(10))
        let panelHeight = max(m.px(150), m.textWidth(yLabel) + m.px(4))   // the rotated y label fits
        let panelGap = m.px(14)
        let (xLower, xUpper) = xRange
        let (yLower, yUpper) = yRange
        let xTicks = NiceTicks.ticks(lower: xLower, upper: xUpper, maxCount: 6)
        let yTicks = NiceTicks.ticks(lower: yLower, upper: yUpper, maxCount: 6)
        let yTickLabels = NiceTicks.labels(yTicks)
        let xTickLabels = NiceTicks.labels(xTicks)

        // Horizontal extents relative to the first panel's left edge.
        var extent = Extent()
        let panelsRight = panelCount * panelWidth + (panelCount - 1) * panelGap
        extent.include(0, panelsRight)
        var left = -(m.lineWidth / 2 + m.tickLength + m.tickPad + (yTickLabels.map { m.textWidth($0) }.max() ?? 0))
        if !yLabel.isEmpty { left -= m.tickPad * 2 + m.textHeight }
        extent.include(left, 0)
        extent.include(centre: panelsRight / 2, width: m.textWidth(title))
        for index in 0..<panelCount {
            let panelLeft = index * (panelWidth + panelGap)
            extent.include(centre: panelLeft + panelWidth / 2, width: m.textWidth(xLabel))
            for (value, label) in zip(xTicks, xTickLabels) {
                let centre = panelLeft + Int(((value - xLower) / (xUpper - xLower) * Double(panelWidth)).rounded())
                extent.include(centre: centre, width: m.textWidth(label))
            }
        }
        let entries = legendEntries
        let legendSize = legendBoxSize(entries, m)
        if legend == .outsideRight && !entries.isEmpty { extent.include(panelsRight, panelsRight + m.px(10) + legendSize.width) }

        let originX = m.margin - extent.lower
        var panelTop = m.margin
        if !title.isEmpty { panelTop += m.textHeight + m.titleGap }
        if panels.contains(where: { !$0.title.isEmpty }) { panelTop += m.textHeight + m.titleGap }
        panelTop = max(panelTop, m.margin + m.textHeight / 2)   // the top y tick label fits
        let tickLabelTop = panelTop + panelHeight + m.lineWidth / 2 + m.tickLength + m.tickPad
        var bottom = tickLabelTop + m.textHeight
        if !xLabel.isEmpty { bottom += m.tickPad + m.textHeight }
        bottom = max(bottom, panelTop + legendSize.height)
        var canvas = Canvas(width: originX + extent.upper + m.margin, height: bottom + m.margin)

        if !title.isEmpty {
            canvas.drawText(title, x: originX + panelsRight / 2, y: m.margin, scale: m.scale, anchor: .top)
        }
        let map = AxisMap(xLower: xLower, xUpper: xUpper, yLower: yLower, yUpper: yUpper, width: panelWidth, height: panelHeight)
        for index in 0..<panelCount {
            let rect = PixelRect(x: originX + index * (panelWidth + panelGap), y: panelTop, width: panelWidth, height: panelHeight)
            if index < panels.count { canvas.paste(renderData(panels[index], map: map, m: m), x: rect.x, y: rect.y) }
            m.drawFrame(&canvas, rect)
            for (value, label) in zip(yTicks, yTickLabels) {
                m.drawYTick(&canvas, y: rect.y + Int(map.y(value).rounded()), axisX: rect.x - m.lineWidth / 2,
                            label: index == 0 ? label : "")
            }
            for (value, label) in zip(xTicks, xTickLabels) {
                m.drawXTick(&canvas, x: rect.x + Int(map.x(value).rounded()), axisY: rect.maxY + m.lineWidth / 2, label: label)
            }
            if index < panels.count && !panels[index].title.isEmpty {
                canvas.drawText(panels[index].title, x: rect.x + rect.width / 2, y: panelTop - m.titleGap, scale: m.scale, anchor: .bottom)
            }
            canvas.drawText(xLabel, x: rect.x + rect.width / 2, y: tickLabelTop + m.textHeight + m.tickPad, scale: m.scale, anchor: .top)
            switch legend {
            case .upperLeft(let panel) where panel == index:
                drawLegend(&canvas, entries, x: rect.x + m.px(5), y: rect.y + m.px(5), m)
            case .upperRight(let panel) where panel == index:
                drawLegend(&canvas, entries, x: rect.maxX - m.px(5) - legendSize.width, y: rect.y + m.px(5), m)
            default: break
            }
        }
        if legend == .outsideRight {
            drawLegend(&canvas, entries, x: originX + panelsRight + m.px(10), y: panelTop, m)
        }
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, x: originX + left, y: panelTop + panelHeight / 2, scale: m.scale,
                            anchor: TextAnchor(.left, .middle), orientation: .vertical)
        }
        return canvas
    }

    /// Bands and lines of one panel on a canvas the size of the axes, so they are clipped to it.
    func renderData(_ panel: LinePanel, map: AxisMap, m: FigureMetrics) -> Canvas {
        var canvas = Canvas(width: map.width, height: map.height)
        for (index, series) in panel.series.enumerated() {
            guard let band = series.band else { continue }
            for run in finiteRuns(series, band: band) where run.count > 1 {
                let upper = run.map { Point(map.x(series.xValue($0)), map.y(series.y[$0] + band[$0])) }
                let lower = run.reversed().map { Point(map.x(series.xValue($0)), map.y(series.y[$0] - band[$0])) }
                canvas.fillPolygon(upper + lower, color: LinePlot.color(of: series, index: index), opacity: bandOpacity)
            }
        }
        for (index, series) in panel.series.enumerated() {
            let points = (0..<series.pointCount).map { i -> Point in
                let x = series.xValue(i), y = series.y[i]
                return x.isFinite && y.isFinite ? Point(map.x(x), map.y(y)) : Point(.nan, .nan)
            }
            canvas.strokePolyline(points, width: Double(m.px(1.5)), color: LinePlot.color(of: series, index: index))
        }
        return canvas
    }

    /// Maximal runs of consecutive points where x, y and the band are all finite.
    func finiteRuns(_ series: Series, band: [Double]) -> [[Int]] {
        var runs: [[Int]] = [[]]
        for i in 0..<series.pointCount {
            if series.xValue(i).isFinite && series.y[i].isFinite && i < band.count && band[i].isFinite {
                runs[runs.count - 1].append(i)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs
    }

    func legendBoxSize(_ entries: [(label: String, color: RGB)], _ m: FigureMetrics) -> (width: Int, height: Int) {
        guard !entries.isEmpty, legend != .none else { return (0, 0) }
        let labelWidth = entries.map { m.textWidth($0.label) }.max() ?? 0
        return (m.px(5) * 2 + m.px(20) + m.px(5) + labelWidth,
                m.px(5) * 2 + entries.count * (m.textHeight + m.px(2)))
    }

    /// A legend box: a short line in each entry's colour, then its label.
    func drawLegend(_ canvas: inout Canvas, _ entries: [(label: String, color: RGB)], x: Int, y: Int, _ m: FigureMetrics) {
        let size = legendBoxSize(entries, m)
        guard size.width > 0 else { return }
        let box = PixelRect(x: x, y: y, width: size.width, height: size.height)
        canvas.fillRect(box, color: .white, opacity: 0.8)
        canvas.strokeRect(box, thickness: max(1, m.lineWidth / 2), color: .lightGray)
        for (row, entry) in entries.enumerated() {
            let centreY = y + m.px(5) + row * (m.textHeight + m.px(2)) + m.textHeight / 2
            let sampleLeft = Double(x + m.px(5))
            canvas.drawLine(from: Point(sampleLeft, Double(centreY)), to: Point(sampleLeft + Double(m.px(20)), Double(centreY)),
                            width: Double(m.px(1.5)), color: entry.color)
            canvas.drawText(entry.label, x: x + m.px(5) + m.px(20) + m.px(5), y: centreY, scale: m.scale, anchor: .left)
        }
    }
}

/// Data coordinates to continuous pixel coordinates inside one set of axes (origin at the
/// axes' top-left corner, y growing downwards).
struct AxisMap {
    let xLower: Double, xUpper: Double, yLower: Double, yUpper: Double
    let width: Int, height: Int

    func x(_ value: Double) -> Double { (value - xLower) / (xUpper - xLower) * Double(width) }
    func y(_ value: Double) -> Double { Double(height) - (value - yLower) / (yUpper - yLower) * Double(height) }
}
