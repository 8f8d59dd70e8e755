/// A dense row-major float32 tensor: a shape and its values.
///
/// Shapes use one legend across the project: B batch, T positions, D model width, H heads,
/// Hkv key/value heads, Dh head width, F MLP width, V vocabulary. The last axis is contiguous.
public struct Tensor: Sendable, Equatable, Codable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) holds \(shape.reduce(1, *)) values, data has \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Values per index of the first axis (the stride of axis 0).
    public var rowWidth: Int { shape.dropFirst().reduce(1, *) }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// The values of one index of the first axis, as an array.
    public func row(_ i: Int) -> [Float] {
        let w = rowWidth
        return Array(data[i * w ..< (i + 1) * w])
    }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Largest absolute difference to another tensor of the same shape.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<data.count { m = max(m, abs(data[i] - other.data[i])) }
        return m
    }

    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }
}
