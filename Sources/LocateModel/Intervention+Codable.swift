import LocateCore

/// The JSON form of interventions (the `--interventions FILE.json` format):
///
///     [{"hook": "blocks.5.mlp.hook_post",
///       "positions": "last" | "all" | [3, 4] | {"from": 2, "to": 5},     (default "all"; `to` excluded)
///       "units": "all" | [12, 40] | {"heads": [3]},                       (default "all")
///       "rows": "all" | [0, 2],                                            (default "all")
///       "edit": "zero" | "record" | {"scale": 2.0} | {"noise": {"std": 0.1, "seed": 1}}
///             | {"add": {"shape": [576], "data": [...]}} | {"replace": {"shape": [...], "data": [...]}}
///             | {"patch": "clean"}}]
extension Intervention: Codable {
    private enum Keys: String, CodingKey { case hook, positions, units, rows, edit }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        hook = try c.decode(HookPoint.self, forKey: .hook)
        positions = try c.decodeIfPresent(Positions.self, forKey: .positions) ?? .all
        units = try c.decodeIfPresent(Units.self, forKey: .units) ?? .all
        rows = try c.decodeIfPresent(Selection.self, forKey: .rows) ?? .all
        edit = try c.decode(Edit.self, forKey: .edit)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(hook, forKey: .hook)
        if positions != .all { try c.encode(positions, forKey: .positions) }
        if units != .all { try c.encode(units, forKey: .units) }
        if rows != .all { try c.encode(rows, forKey: .rows) }
        try c.encode(edit, forKey: .edit)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private func singleKey(_ decoder: Decoder, allowed: [String]) throws -> (KeyedDecodingContainer<AnyKey>, String) {
    let c = try decoder.container(keyedBy: AnyKey.self)
    guard c.allKeys.count == 1, let key = c.allKeys.first, allowed.contains(key.stringValue) else {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
            debugDescription: "expected an object with exactly one of the keys \(allowed), got \(c.allKeys.map(\.stringValue))"))
    }
    return (c, key.stringValue)
}

extension Intervention.Edit: Codable {
    public init(from decoder: Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            switch word {
            case "zero": self = .zero
            case "record": self = .record
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "unknown edit \"\(word)\"; use \"zero\", \"record\", or an object with scale, add, replace, patch or noise"))
            }
            return
        }
        let (c, key) = try singleKey(decoder, allowed: ["scale", "add", "replace", "patch", "noise"])
        switch key {
        case "scale": self = .scale(try c.decode(Float.self, forKey: AnyKey(key)))
        case "add": self = .add(try c.decode(Tensor.self, forKey: AnyKey(key)))
        case "replace": self = .replace(try c.decode(Tensor.self, forKey: AnyKey(key)))
        case "patch": self = .patch(source: try c.decode(String.self, forKey: AnyKey(key)))
        default:
            struct Noise: Codable { var std: Float; var seed: UInt64 }
            let n = try c.decode(Noise.self, forKey: AnyKey(key))
            self = .noise(std: n.std, seed: n.seed)
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .zero: var c = encoder.singleValueContainer(); try c.encode("zero")
        case .record: var c = encoder.singleValueContainer(); try c.encode("record")
        case .scale(let f): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(f, forKey: AnyKey("scale"))
        case .add(let t): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(t, forKey: AnyKey("add"))
        case .replace(let t): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(t, forKey: AnyKey("replace"))
        case .patch(let s): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(s, forKey: AnyKey("patch"))
        case let .noise(std, seed):
            var c = encoder.container(keyedBy: AnyKey.self)
            var n = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("noise"))
            try n.encode(std, forKey: AnyKey("std")); try n.encode(seed, forKey: AnyKey("seed"))
        }
    }
}

extension Intervention.Positions: Codable {
    public init(from decoder: Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            switch word {
            case "all": self = .all
            case "last": self = .last
            default: throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "positions must be \"all\", \"last\", a list or {\"from\", \"to\"}, got \"\(word)\""))
            }
        } else if let list = try? decoder.singleValueContainer().decode([Int].self) {
            self = .at(list)
        } else {
            let r = try decoder.singleValueContainer().decode(PositionRange.self)
            self = .range(lower: r.from, upper: r.to)
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .all: try c.encode("all")
        case .last: try c.encode("last")
        case .at(let p): try c.encode(p)
        case let .range(lower, upper): try c.encode(PositionRange(from: lower, to: upper))
        }
    }
}

private struct PositionRange: Codable { var from: Int; var to: Int }

extension Intervention.Units: Codable {
    public init(from decoder: Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self), word == "all" {
            self = .all
        } else if let list = try? decoder.singleValueContainer().decode([Int].self) {
            self = .at(list)
        } else {
            let (c, key) = try singleKey(decoder, allowed: ["heads"])
            self = .heads(try c.decode([Int].self, forKey: AnyKey(key)))
        }
    }
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .all: var c = encoder.singleValueContainer(); try c.encode("all")
        case .at(let u): var c = encoder.singleValueContainer(); try c.encode(u)
        case .heads(let h): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(h, forKey: AnyKey("heads"))
        }
    }
}

extension Intervention.Selection: Codable {
    public init(from decoder: Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self), word == "all" { self = .all; return }
        self = .at(try decoder.singleValueContainer().decode([Int].self))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .all: try c.encode("all")
        case .at(let r): try c.encode(r)
        }
    }
}
