#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes that live as long as this object: a file mapped with
/// `mmap(PROT_READ, MAP_PRIVATE)` and unmapped in `deinit`, or a private heap copy of an array.
///
/// The bytes are never written after creation, which is what makes sharing them across
/// threads safe (hence `@unchecked Sendable`).
final class MappedFile: @unchecked Sendable {
    /// The first byte, or `nil` for an empty file.
    private let base: UnsafeRawPointer?
    /// The number of bytes.
    let count: Int
    /// Whether `base` came from `mmap` (else from `allocate`).
    private let isMapped: Bool

    /// Maps the file at `path` read-only.
    ///
    /// - Throws: ``GGUFError/cannotOpen(path:reason:)`` when the file cannot be opened, is not a
    ///   regular file, or cannot be mapped.
    init(path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            base = nil; count = 0; isMapped = false
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(Self.lastError())")
        }
        base = UnsafeRawPointer(mapped); count = size; isMapped = true
    }

    /// Copies `bytes` into memory owned by this object.
    init(copying bytes: [UInt8]) {
        count = bytes.count
        isMapped = false
        guard !bytes.isEmpty else { base = nil; return }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: memory, count: $0.count).copyMemory(from: $0) }
        base = UnsafeRawPointer(memory)
    }

    deinit {
        guard let base else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// The bytes; valid only while `self` is alive, which `withExtendedLifetime` guarantees here.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in
            try body(UnsafeRawBufferPointer(start: base, count: count))
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
