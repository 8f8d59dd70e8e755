import Foundation

/// A thread-safe memo of word bytes → BPE tokens, shared by all encodes on one ``Tokenizer``.
///
/// Text repeats words heavily, and BPE on a word is the expensive step. The cache is bounded:
/// when it holds `capacity` words it is cleared (cheap, and keeps memory flat on long inputs).
final class WordCache: @unchecked Sendable {
    private struct Key: Hashable {
        let bytes: [UInt8]
        static func == (lhs: Key, rhs: Key) -> Bool { lhs.bytes == rhs.bytes }
        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private let lock = NSLock()
    private var storage: [Key: WordTokens] = [:]
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func get(_ bytes: ArraySlice<UInt8>) -> WordTokens? {
        let key = Key(bytes: Array(bytes))
        lock.lock()
        defer { lock.unlock() }
        return storage[key]
    }

    func set(_ bytes: ArraySlice<UInt8>, _ tokens: WordTokens) {
        let key = Key(bytes: Array(bytes))
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[key] = tokens
    }
}
