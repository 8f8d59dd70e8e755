// Typed metadata getters: each throws `.missingKey(key)` when the key is absent and
// `.wrongType(key:expected:found:)` when it holds something else, so callers can write
// `try file.int("llama.block_count")` and get an error that names the key.

extension GGUFFile {
    /// The value of `key`, or `.missingKey`.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = metadata[key] else { throw .missingKey(key) }
        return value
    }

    /// An integer of any width, widened to `Int`.
    ///
    /// - Throws: `.missingKey`, `.wrongType` for non-integers, `.invalidValue` for a `UInt64`
    ///   above `Int.max`.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let value = try value(key)
        if let int = value.intValue { return int }
        if case .uint64(let big) = value {
            throw .invalidValue(key: key, value: "\(big)", reason: "it does not fit in a signed 64-bit integer")
        }
        throw .wrongType(key: key, expected: "an integer", found: value.typeName)
    }

    /// A float (`FLOAT32` or `FLOAT64`) or an integer, as `Double`.
    public func float(_ key: String) throws(GGUFError) -> Double {
        let value = try value(key)
        guard let float = value.floatValue else { throw .wrongType(key: key, expected: "a number", found: value.typeName) }
        return float
    }

    /// A string.
    public func string(_ key: String) throws(GGUFError) -> String {
        let value = try value(key)
        guard let string = value.stringValue else { throw .wrongType(key: key, expected: "STRING", found: value.typeName) }
        return string
    }

    /// A bool.
    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let value = try value(key)
        guard let flag = value.boolValue else { throw .wrongType(key: key, expected: "BOOL", found: value.typeName) }
        return flag
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let value = try value(key)
        guard let array = value.arrayValue else { throw .wrongType(key: key, expected: "ARRAY[STRING]", found: value.typeName) }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for element in array {
            guard let string = element.stringValue else {
                throw .wrongType(key: key, expected: "ARRAY[STRING]", found: value.typeName)
            }
            strings.append(string)
        }
        return strings
    }

    /// An array of integers of any width (`tokenizer.ggml.token_type`), widened to `Int`.
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let value = try value(key)
        guard let array = value.arrayValue else { throw .wrongType(key: key, expected: "ARRAY[integer]", found: value.typeName) }
        var ints: [Int] = []
        ints.reserveCapacity(array.count)
        for element in array {
            guard let int = element.intValue else {
                throw .wrongType(key: key, expected: "ARRAY[integer]", found: value.typeName)
            }
            ints.append(int)
        }
        return ints
    }

    /// An optional integer: `nil` when absent, an error when present with another type.
    public func intIfPresent(_ key: String) throws(GGUFError) -> Int? {
        metadata[key] == nil ? nil : try int(key)
    }

    /// An optional number: `nil` when absent, an error when present with another type.
    public func floatIfPresent(_ key: String) throws(GGUFError) -> Double? {
        metadata[key] == nil ? nil : try float(key)
    }
}
