/// Where a text box sits relative to its anchor point.
///
/// Alignment always refers to the box as it appears on the canvas, also for rotated text: a
/// y-axis label anchored `.center`/`.middle` is centred on the point both ways.
public struct TextAnchor: Hashable, Sendable {
    /// Which x of the box the anchor is: its left edge, centre or right edge.
    public enum Horizontal: Hashable, Sendable { case left, center, right }
    /// Which y of the box the anchor is: its top edge, middle or bottom edge.
    public enum Vertical: Hashable, Sendable { case top, middle, bottom }
    /// Horizontal placement.
    public var horizontal: Horizontal
    /// Vertical placement.
    public var vertical: Vertical

    /// An anchor from its two placements.
    public init(_ horizontal: Horizontal, _ vertical: Vertical) {
        self.horizontal = horizontal; self.vertical = vertical
    }

    // The usual combinations.

    /// The anchor is the box's top-left corner.
    public static let topLeft = TextAnchor(.left, .top)
    /// The anchor is the middle of the box's top edge.
    public static let top = TextAnchor(.center, .top)
    /// The anchor is the box's top-right corner.
    public static let topRight = TextAnchor(.right, .top)
    /// The anchor is the middle of the box's left edge.
    public static let left = TextAnchor(.left, .middle)
    /// The anchor is the box's centre.
    public static let center = TextAnchor(.center, .middle)
    /// The anchor is the middle of the box's right edge.
    public static let right = TextAnchor(.right, .middle)
    /// The anchor is the middle of the box's bottom edge.
    public static let bottom = TextAnchor(.center, .bottom)
}

/// The direction text reads in.
public enum TextOrientation: Hashable, Sendable {
    /// Left to right.
    case horizontal
    /// Bottom to top, tops of the letters facing left (matplotlib's y-axis label).
    case vertical
}

/// Text drawing with a ``BitmapFont``.
extension Canvas {
    /// The canvas box that ``drawText(_:x:y:font:scale:color:anchor:orientation:bold:)`` fills
    /// for the same arguments; all ink lies inside it.
    public static func textBox(_ text: String, x: Int, y: Int, font: BitmapFont = .fixed6x13, scale: Int = 2,
                               anchor: TextAnchor = .topLeft, orientation: TextOrientation = .horizontal,
                               bold: Bool = false) -> PixelRect {
        let size = font.measure(text, scale: scale, bold: bold)
        let (w, h) = orientation == .horizontal ? (size.width, size.height) : (size.height, size.width)
        let left: Int
        switch anchor.horizontal {
        case .left: left = x
        case .center: left = x - w / 2
        case .right: left = x - w
        }
        let top: Int
        switch anchor.vertical {
        case .top: top = y
        case .middle: top = y - h / 2
        case .bottom: top = y - h
        }
        return PixelRect(x: left, y: top, width: w, height: h)
    }

    /// Draws `text` with `font` magnified `scale` times.
    ///
    /// Characters the font lacks are drawn as its fallback box (see ``BitmapFont``).
    ///
    /// - Parameters:
    ///   - text: the string to draw.
    ///   - x: anchor point, x.
    ///   - y: anchor point, y.
    ///   - font: the bitmap font.
    ///   - scale: integer magnification; 2 draws a 6×13 font as 12×26 pixels.
    ///   - color: ink colour.
    ///   - anchor: which point of the text box lies at `(x, y)`.
    ///   - orientation: horizontal, or rotated 90° counter-clockwise.
    ///   - bold: draw each glyph twice, one pixel apart.
    /// - Returns: the box the text occupies, equal to ``textBox(_:x:y:font:scale:anchor:orientation:bold:)``.
    @discardableResult
    public mutating func drawText(_ text: String, x: Int, y: Int, font: BitmapFont = .fixed6x13, scale: Int = 2,
                                  color: RGB = .black, anchor: TextAnchor = .topLeft,
                                  orientation: TextOrientation = .horizontal, bold: Bool = false) -> PixelRect {
        let box = Canvas.textBox(text, x: x, y: y, font: font, scale: scale, anchor: anchor,
                                 orientation: orientation, bold: bold)
        let s = max(1, scale)
        // Text-space size: width along the reading direction.
        let lineWidth = orientation == .horizontal ? box.width : box.height
        for (index, character) in text.enumerated() {
            let rows = font.rows(for: character)
            for (gy, bits) in rows.enumerated() where bits != 0 {
                for gx in 0..<font.cellWidth where bits & (0x80 >> UInt8(gx)) != 0 {
                    let tx0 = (index * font.cellWidth + gx) * s
                    let ty0 = gy * s
                    let inkWidth = s + (bold ? 1 : 0)
                    for dy in 0..<s {
                        for dx in 0..<inkWidth {
                            let tx = tx0 + dx, ty = ty0 + dy
                            switch orientation {
                            case .horizontal:
                                setPixel(x: box.x + tx, y: box.y + ty, color: color)
                            case .vertical:
                                setPixel(x: box.x + ty, y: box.y + (lineWidth - 1 - tx), color: color)
                            }
                        }
                    }
                }
            }
        }
        return box
    }
}
