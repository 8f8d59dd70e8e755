extension Array where Element == Float {
    /// Read-only pointer access for kernels (weights are immutable arrays).
    @inline(__always)
    public func withPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
