/// An opaque 8-bit RGB pixel buffer with simple drawing operations.
///
/// The origin is the top-left pixel; x grows to the right and y downwards. Pixel `(x, y)` covers
/// the square `[x, x+1) × [y, y+1)`, so its centre is at `(x + 0.5, y + 0.5)`; the anti-aliased
/// operations (``strokePolyline(_:width:color:opacity:)``, ``fillPolygon(_:color:opacity:)``)
/// take points in these continuous coordinates, the rectangle and text operations take whole
/// pixels. Everything that falls outside the canvas is clipped, never trapped.
///
///     var canvas = Canvas(width: 200, height: 100)
///     canvas.fillRect(x: 10, y: 10, width: 50, height: 20, color: RGB(hex: 0x1F77B4))
///     canvas.drawText("hello", x: 100, y: 50, anchor: .center)
///     try canvas.writePNG(to: URL(fileURLWithPath: "/tmp/hello.png"))
public struct Canvas: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Row-major RGB bytes, `width * 3` per row.
    public internal(set) var pixels: [UInt8]    // (height, width, 3)

    /// A canvas filled with `background`.
    ///
    /// - Parameters:
    ///   - width: width in pixels; negative values are treated as 0.
    ///   - height: height in pixels; negative values are treated as 0.
    ///   - background: the initial colour of every pixel.
    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        let count = self.width * self.height * 3
        if background.r == background.g && background.g == background.b {
            self.pixels = [UInt8](repeating: background.r, count: count)
        } else {
            self.pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var i = 0
                while i < count {
                    buffer[i] = background.r; buffer[i + 1] = background.g; buffer[i + 2] = background.b
                    i += 3
                }
                initialized = count
            }
        }
    }

    /// The colour of pixel `(x, y)`, or `nil` outside the canvas.
    public func pixel(x: Int, y: Int) -> RGB? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets pixel `(x, y)`; does nothing outside the canvas.
    public mutating func setPixel(x: Int, y: Int, color: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
    }

    /// Composites `color` over pixel `(x, y)` with coverage `alpha` in [0, 1].
    public mutating func blendPixel(x: Int, y: Int, color: RGB, alpha: Double) {
        guard alpha > 0, x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels.withUnsafeMutableBufferPointer { Canvas.blend($0, at: i, color: color, alpha: alpha) }
    }

    /// Composites `color` over the pixel whose red byte is at `index`, exactly as
    /// ``RGB/blended(over:alpha:)`` does.
    @inline(__always)
    static func blend(_ pixels: UnsafeMutableBufferPointer<UInt8>, at index: Int, color: RGB, alpha: Double) {
        if alpha >= 1 {
            pixels[index] = color.r; pixels[index + 1] = color.g; pixels[index + 2] = color.b
            return
        }
        let a = max(alpha, 0), keep = 1 - a
        pixels[index] = UInt8((Double(color.r) * a + Double(pixels[index]) * keep).rounded())
        pixels[index + 1] = UInt8((Double(color.g) * a + Double(pixels[index + 1]) * keep).rounded())
        pixels[index + 2] = UInt8((Double(color.b) * a + Double(pixels[index + 2]) * keep).rounded())
    }

    /// Fills the pixel rectangle `[x, x+width) × [y, y+height)`, clipped to the canvas.
    ///
    /// - Parameter opacity: 1 paints over, smaller values blend `color` with what is below.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB, opacity: Double = 1) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1, opacity > 0 else { return }
        if opacity < 1 {
            for yy in y0..<y1 {
                for xx in x0..<x1 { blendPixel(x: xx, y: yy, color: color, alpha: opacity) }
            }
            return
        }
        let rowLength = width * 3
        pixels.withUnsafeMutableBufferPointer { buffer in
            for yy in y0..<y1 {
                var i = yy * rowLength + x0 * 3
                let end = yy * rowLength + x1 * 3
                while i < end {
                    buffer[i] = color.r; buffer[i + 1] = color.g; buffer[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// Fills `rect`, clipped to the canvas.
    public mutating func fillRect(_ rect: PixelRect, color: RGB, opacity: Double = 1) {
        fillRect(x: rect.x, y: rect.y, width: rect.width, height: rect.height, color: color, opacity: opacity)
    }

    /// Copies every pixel of `other` onto this canvas with its top-left corner at `(x, y)`,
    /// clipped to this canvas (used to clip plotted data to the axes).
    public mutating func paste(_ other: Canvas, x: Int, y: Int) {
        let firstColumn = max(0, -x), lastColumn = min(other.width, width - x)   // columns of `other`
        guard firstColumn < lastColumn else { return }
        let rowWidth = width
        pixels.withUnsafeMutableBytes { target in
            other.pixels.withUnsafeBytes { source in
                for row in 0..<other.height {
                    let ty = y + row
                    guard ty >= 0, ty < height else { continue }
                    let from = (row * other.width + firstColumn) * 3
                    let to = (ty * rowWidth + x + firstColumn) * 3
                    let count = (lastColumn - firstColumn) * 3
                    target.baseAddress!.advanced(by: to).copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: count)
                }
            }
        }
    }

    /// Draws the outline of `rect` with a border `thickness` pixels wide, inside the rectangle.
    public mutating func strokeRect(_ rect: PixelRect, thickness: Int = 1, color: RGB) {
        let t = max(1, thickness)
        fillRect(x: rect.x, y: rect.y, width: rect.width, height: t, color: color)
        fillRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t, color: color)
        fillRect(x: rect.x, y: rect.y, width: t, height: rect.height, color: color)
        fillRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height, color: color)
    }
}

/// A rectangle of whole pixels: `[x, x+width) × [y, y+height)`.
public struct PixelRect: Hashable, Codable, Sendable {
    /// Left column.
    public var x: Int
    /// Top row.
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// The rectangle with top-left pixel `(x, y)` and the given size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// One past the right-most column.
    public var maxX: Int { x + width }
    /// One past the bottom row.
    public var maxY: Int { y + height }

    /// Whether pixel `(px, py)` lies inside.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }
}

/// A point in continuous pixel coordinates (see ``Canvas``).
public struct Point: Hashable, Codable, Sendable {
    /// Distance from the canvas's left edge, in pixels.
    public var x: Double
    /// Distance from the canvas's top edge, in pixels.
    public var y: Double
    /// The point `(x, y)`.
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}
