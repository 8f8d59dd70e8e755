import CPNG
import Foundation
import LocateCore

/// PNG output through libpng's simplified `png_image` API (no `setjmp`; errors come back as a
/// return value of 0 and a message in `png_image.message`, see SWIFTPROBE.md §2).
extension Canvas {
    /// The canvas encoded as an 8-bit RGB PNG.
    ///
    /// - Parameter path: the file the bytes are meant for, only used in the error.
    /// - Throws: ``PlotError/pngEncoding(path:message:)`` with libpng's message.
    public func encodePNG(path: String = "<memory>") throws(PlotError) -> Data {
        guard width > 0, height > 0 else {
            throw .pngEncoding(path: path, message: "a PNG needs at least one pixel, the canvas is \(width)×\(height)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        let stride = Int32(width * 3)

        // One pass into a buffer larger than any PNG of these pixels can be (stored deflate
        // blocks: the raw bytes, a filter byte per row, a few bytes per block and chunk); if
        // libpng still asks for more, it reports the size and a second pass uses it.
        let raw = width * height * 3
        var size = png_alloc_size_t(raw + height + raw / 100 + 4096)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var written = encode(into: &bytes, size: &size, image: &image, stride: stride)
        if written == 0 && Int(size) > bytes.count {
            bytes = [UInt8](repeating: 0, count: Int(size))
            image.warning_or_error = 0
            written = encode(into: &bytes, size: &size, image: &image, stride: stride)
        }
        guard written != 0 else { throw .pngEncoding(path: path, message: Canvas.message(of: image)) }
        return Data(bytes.prefix(Int(size)))
    }

    private func encode(into bytes: inout [UInt8], size: inout png_alloc_size_t, image: inout png_image, stride: Int32) -> Int32 {
        bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, stride, nil)
            }
        }
    }

    /// Encodes the canvas as PNG and writes it atomically (`AtomicFile`), creating the folder.
    ///
    /// - Parameter url: the destination `.png`.
    /// - Throws: ``PlotError/pngEncoding(path:message:)`` or ``PlotError/fileWrite(path:reason:)``,
    ///   both naming `url.path`; never traps.
    public func writePNG(to url: URL) throws(PlotError) {
        let data = try encodePNG(path: url.path)
        do { try AtomicFile.write(data, to: url) } catch { throw PlotError(error) }
    }

    /// `png_image.message`, a `char[64]` imported as a tuple.
    static func message(of image: png_image) -> String {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }
}
