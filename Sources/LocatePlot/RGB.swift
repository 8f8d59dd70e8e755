/// An opaque 8-bit sRGB colour.
///
/// Figures are drawn on an opaque white ``Canvas``; translucency is a property of a drawing
/// operation (its `opacity`), not of the colour.
public struct RGB: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Red.
    public var r: UInt8
    /// Green.
    public var g: UInt8
    /// Blue.
    public var b: UInt8

    /// A colour from its three 8-bit channels.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// A colour from a `0xRRGGBB` literal, as in matplotlib's `'#1f77b4'`.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    /// `#rrggbb`.
    public var description: String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for channel in [r, g, b] {
            text.append(digits[Int(channel >> 4)]); text.append(digits[Int(channel & 0xF)])
        }
        return text
    }

    /// `self` composited over `background` with coverage `alpha` in [0, 1].
    @inlinable
    public func blended(over background: RGB, alpha: Double) -> RGB {
        if alpha >= 1 { return self }
        let a = max(alpha, 0), keep = 1 - a
        return RGB(UInt8((Double(r) * a + Double(background.r) * keep).rounded()),
                   UInt8((Double(g) * a + Double(background.g) * keep).rounded()),
                   UInt8((Double(b) * a + Double(background.b) * keep).rounded()))
    }

    /// `#ffffff`, the background.
    public static let white = RGB(255, 255, 255)
    /// `#000000`, text and axes.
    public static let black = RGB(0, 0, 0)
    /// The grey matplotlib uses for grid lines and legend frames (`#cccccc`).
    public static let lightGray = RGB(hex: 0xCCCCCC)
}

extension RGB {
    /// Decodes `"#rrggbb"` (as written by ``encode(to:)``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard text.count == 7, text.hasPrefix("#"), let value = UInt32(text.dropFirst(), radix: 16) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a colour as \"#rrggbb\", got \"\(text)\"")
        }
        self.init(hex: value)
    }

    /// Encodes as `"#rrggbb"`, the form matplotlib accepts.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// matplotlib's default categorical palette `tab10` (`'#1f77b4'`, `'#ff7f0e'`, …), in order.
public enum Tab10 {
    /// The ten colours: blue, orange, green, red, purple, brown, pink, grey, olive, cyan.
    public static let colors: [RGB] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map { RGB(hex: $0) }

    /// The `i`-th colour, cycling after ten.
    public static func color(_ i: Int) -> RGB {
        colors[((i % colors.count) + colors.count) % colors.count]
    }
}
