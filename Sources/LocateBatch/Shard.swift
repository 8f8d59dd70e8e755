import Foundation

/// One of n parts of a batch, for splitting it across machines: the items whose position in the
/// list, modulo ``count``, is ``index`` (round-robin, so every shard gets a like mix of the list).
/// Written `i/n` with 0 ≤ i < n, as `--shard 2/8`.
///
///     let shard = try Shard(parsing: "1/3")
///     shard.select(["a", "b", "c", "d", "e"]).map(\.element)    // ["b", "e"]
public struct Shard: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The part, 0-based, and how many parts there are.
    public let index: Int
    public let count: Int

    /// - Throws: ``ShardError/outOfRange(index:count:)`` unless 0 ≤ index < count.
    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1, index >= 0, index < count else { throw .outOfRange(index: index, count: count) }
        self.index = index; self.count = count
    }

    private init(unchecked index: Int, _ count: Int) { self.index = index; self.count = count }

    /// The whole list, `0/1`.
    public static let whole = Shard(unchecked: 0, 1)

    /// Parses `i/n`; nil text is the whole list.
    /// - Throws: ``ShardError/notAShard(_:)`` for text that is not two integers around a slash,
    ///   ``ShardError/outOfRange(index:count:)`` for `4/3`, `3/3` or `0/0`.
    public init(parsing text: String?) throws(ShardError) {
        guard let text else { self = .whole; return }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1] else { throw .notAShard(text) }
        try self.init(index: i, count: n)
    }

    /// Whether this shard holds the item at `position` of the list.
    public func contains(position: Int) -> Bool { position % count == index }

    /// The items of this shard with their positions in the whole list.
    public func select<C: Collection>(_ items: C) -> [(offset: Int, element: C.Element)] {
        items.enumerated().filter { contains(position: $0.offset) }.map { (offset: $0.offset, element: $0.element) }
    }

    /// A file name for this shard's records: `stem.jsonl` for the whole list,
    /// `stem-shard-i-of-n.jsonl` for a shard (the names the trace and rsim commands have always used).
    public func fileName(_ stem: String) -> String {
        count == 1 ? "\(stem).jsonl" : "\(stem)-shard-\(index)-of-\(count).jsonl"
    }

    public var description: String { "\(index)/\(count)" }
}

/// Text that is not a shard.
public enum ShardError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Not `i/n` with two integers.
    case notAShard(String)
    /// `i/n` without 0 ≤ i < n (or n = 0).
    case outOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case let .notAShard(text): return "\"\(text)\" is not a shard: write i/n with 0 ≤ i < n, e.g. --shard 0/4"
        case let .outOfRange(index, count):
            return count < 1 ? "shard \(index)/\(count) does not exist: there must be at least one shard (n ≥ 1)"
                             : "shard \(index)/\(count) does not exist: write i/n with 0 ≤ i < n (the shards of \(count) are 0/\(count) … \(count - 1)/\(count))"
        }
    }
}
