/// Sizes shared by all figures, in pixels for a given scale (pixels per point).
///
/// Points follow matplotlib's defaults where a bitmap font allows: 0.8 pt axis lines, 3.5 pt
/// ticks, 3.5 pt between a tick and its label, text one 6×13 font cell per point (close to
/// matplotlib's 10 pt text). The scale is clamped to 1…8 so a bad value cannot ask for a
/// gigantic canvas.
struct FigureMetrics {
    let scale: Int
    let font: BitmapFont = .fixed6x13

    init(scale: Int) { self.scale = min(max(1, scale), 8) }

    /// Converts points to whole pixels.
    func px(_ points: Double) -> Int { Int((points * Double(scale)).rounded()) }

    var lineWidth: Int { max(1, px(0.8)) }
    var tickLength: Int { px(3.5) }
    var tickPad: Int { px(3.5) }
    var margin: Int { px(8) }
    var textHeight: Int { font.cellHeight * scale }
    var titleGap: Int { px(6) }

    func textWidth(_ text: String) -> Int { font.measure(text, scale: scale).width }

    /// Outline of the axes: `rect` is the data area, the line straddles its border.
    func drawFrame(_ canvas: inout Canvas, _ rect: PixelRect, color: RGB = .black) {
        let lw = lineWidth
        let outer = PixelRect(x: rect.x - lw / 2, y: rect.y - lw / 2, width: rect.width + lw, height: rect.height + lw)
        canvas.strokeRect(outer, thickness: lw, color: color)
    }

    /// A tick below the axes at column `x`, and its label under it.
    func drawXTick(_ canvas: inout Canvas, x: Int, axisY: Int, label: String) {
        let lw = lineWidth
        canvas.fillRect(x: x - lw / 2, y: axisY, width: lw, height: tickLength + lw / 2, color: .black)
        canvas.drawText(label, x: x, y: axisY + tickLength + tickPad, scale: scale, anchor: .top)
    }

    /// A tick left of the axes at row `y`, and its right-aligned label.
    func drawYTick(_ canvas: inout Canvas, y: Int, axisX: Int, label: String) {
        let lw = lineWidth
        canvas.fillRect(x: axisX - tickLength - lw / 2, y: y - lw / 2, width: tickLength + lw / 2, height: lw, color: .black)
        canvas.drawText(label, x: axisX - tickLength - tickPad, y: y, scale: scale, anchor: .right)
    }

    /// A tick right of the axes at row `y`, and its left-aligned label (colour bars).
    func drawRightTick(_ canvas: inout Canvas, y: Int, axisX: Int, label: String) {
        let lw = lineWidth
        canvas.fillRect(x: axisX, y: y - lw / 2, width: tickLength + lw / 2, height: lw, color: .black)
        canvas.drawText(label, x: axisX + tickLength + tickPad, y: y, scale: scale, anchor: .left)
    }
}

/// A horizontal extent relative to the axes' left edge, used to find how wide a figure must be
/// so that nothing is cut off (the job of matplotlib's `bbox_inches="tight"`).
struct Extent {
    var lower = 0
    var upper = 0

    mutating func include(_ from: Int, _ to: Int) {
        lower = min(lower, from); upper = max(upper, to)
    }

    /// Includes a box of `width` centred on `centre`.
    mutating func include(centre: Int, width: Int) {
        include(centre - width / 2, centre - width / 2 + width)
    }
}
