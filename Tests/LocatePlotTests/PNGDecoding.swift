import CPNG
import Foundation
import LocatePlot

/// Decodes PNG bytes with libpng's simplified reader into 8-bit RGB, independently of the
/// writer under test.
enum PNGDecoding {
    struct Image {
        let width: Int
        let height: Int
        let pixels: [UInt8]   // (height, width, 3)
    }

    static func decode(_ data: Data) -> Image? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard begun != 0 else { return nil }
        image.format = UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let finished = pixels.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * 3), nil)
        }
        png_image_free(&image)
        guard finished != 0 else { return nil }
        return Image(width: width, height: height, pixels: pixels)
    }
}

/// A fresh folder under the system's temporary directory.
func temporaryFolder(_ name: String = #function) -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("locate-plot-tests-\(safe)-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Where tests put the figures meant for a human to look at: `$LOCATE_PLOT_CHECK` when set
/// (e.g. `/tmp/plot-check`), otherwise a temporary folder.
func figureCheckFolder() -> URL {
    if let path = ProcessInfo.processInfo.environment["LOCATE_PLOT_CHECK"] { return URL(fileURLWithPath: path) }
    return temporaryFolder("figures")
}
