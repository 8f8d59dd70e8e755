/// A named activation in the forward pass, spelled as in TransformerLens.
///
/// `HookPoint("blocks.6.mlp.hook_post")` parses exactly the names of the table below and nothing
/// else; `description` gives the name back. Shapes (B batch, T positions, D width, H heads,
/// Hkv key/value heads, Dh head width, F MLP width, V vocabulary):
///
/// | site | name | shape |
/// |---|---|---|
/// | embed | `hook_embed` | [B,T,D] |
/// | residPre | `blocks.{l}.hook_resid_pre` | [B,T,D] |
/// | ln1Normalized | `blocks.{l}.ln1.hook_normalized` | [B,T,D] |
/// | attnQ | `blocks.{l}.attn.hook_q` (after RoPE) | [B,T,H,Dh] |
/// | attnK, attnV | `blocks.{l}.attn.hook_k`, `hook_v` | [B,T,Hkv,Dh] |
/// | attnScores | `blocks.{l}.attn.hook_attn_scores` (scaled, future = -inf) | [B,H,T,T] |
/// | attnPattern | `blocks.{l}.attn.hook_pattern` | [B,H,T,T] |
/// | attnZ | `blocks.{l}.attn.hook_z` | [B,T,H,Dh] |
/// | attnOut | `blocks.{l}.hook_attn_out` | [B,T,D] |
/// | residMid | `blocks.{l}.hook_resid_mid` | [B,T,D] |
/// | ln2Normalized | `blocks.{l}.ln2.hook_normalized` | [B,T,D] |
/// | mlpPre | `blocks.{l}.mlp.hook_pre` (gate pre-activation) | [B,T,F] |
/// | mlpPreLinear | `blocks.{l}.mlp.hook_pre_linear` (up projection) | [B,T,F] |
/// | mlpPost | `blocks.{l}.mlp.hook_post` (silu(gate)·up, input of W_out) | [B,T,F] |
/// | mlpOut | `blocks.{l}.hook_mlp_out` | [B,T,D] |
/// | residPost | `blocks.{l}.hook_resid_post` | [B,T,D] |
/// | finalNormalized | `ln_final.hook_normalized` | [B,T,D] |
/// | logits | `hook_logits` (not in TransformerLens) | [B,T,V] |
public struct HookPoint: Hashable, Sendable, CustomStringConvertible, Comparable {
    public enum Site: String, CaseIterable, Sendable, Codable {
        case embed = "hook_embed"
        case residPre = "hook_resid_pre"
        case ln1Normalized = "ln1.hook_normalized"
        case attnQ = "attn.hook_q"
        case attnK = "attn.hook_k"
        case attnV = "attn.hook_v"
        case attnScores = "attn.hook_attn_scores"
        case attnPattern = "attn.hook_pattern"
        case attnZ = "attn.hook_z"
        case attnOut = "hook_attn_out"
        case residMid = "hook_resid_mid"
        case ln2Normalized = "ln2.hook_normalized"
        case mlpPre = "mlp.hook_pre"
        case mlpPreLinear = "mlp.hook_pre_linear"
        case mlpPost = "mlp.hook_post"
        case mlpOut = "hook_mlp_out"
        case residPost = "hook_resid_post"
        case finalNormalized = "ln_final.hook_normalized"
        case logits = "hook_logits"

        /// Sites that belong to a block and need a layer index.
        public var isPerLayer: Bool { !(self == .embed || self == .finalNormalized || self == .logits) }

        /// Attention score and pattern tensors are [B, H, Tq, Tk]; every other site is
        /// position-major [B, T, …].
        public var isAttentionMap: Bool { self == .attnScores || self == .attnPattern }

        /// Order of the site within one block of the forward pass.
        var order: Int { Site.allCases.firstIndex(of: self)! }
    }

    public let site: Site
    public let layer: Int?

    public init(site: Site, layer: Int?) {
        precondition(site.isPerLayer == (layer != nil), "\(site.rawValue) \(site.isPerLayer ? "needs" : "takes no") layer")
        self.site = site
        self.layer = layer
    }

    public var description: String {
        guard let layer else { return site.rawValue }
        return "blocks.\(layer).\(site.rawValue)"
    }

    /// Parses a TransformerLens name strictly. Returns nil for anything else; use
    /// `parse(_:layers:)` for an error that suggests the closest valid name.
    public init?(_ name: String) {
        if let site = Site(rawValue: name), !site.isPerLayer {
            self.init(site: site, layer: nil)
            return
        }
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks",
              let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1],
              let site = Site(rawValue: String(parts[2])), site.isPerLayer else { return nil }
        self.init(site: site, layer: layer)
    }

    /// Parses a name and checks its layer against a model with `layers` blocks.
    public static func parse(_ name: String, layers: Int) throws(ModelError) -> HookPoint {
        guard let hook = HookPoint(name) else {
            throw .unknownHookPoint(name: name, suggestion: suggestion(for: name, layers: layers))
        }
        if let l = hook.layer, l >= layers {
            throw .layerOutOfRange(hook: name, layer: l, layers: layers)
        }
        return hook
    }

    /// Every hook point of a model with `layers` blocks, in forward order.
    public static func all(layers: Int) -> [HookPoint] {
        var out = [HookPoint.embed]
        for l in 0..<layers {
            for site in Site.allCases where site.isPerLayer { out.append(HookPoint(site: site, layer: l)) }
        }
        out.append(.finalNormalized)
        out.append(.logits)
        return out
    }

    /// Forward order: embed, then blocks in order (sites in block order), then the final norm and logits.
    public static func < (a: HookPoint, b: HookPoint) -> Bool {
        func key(_ h: HookPoint) -> (Int, Int) {
            switch h.site {
            case .embed: return (-1, 0)
            case .finalNormalized: return (Int.max, 0)
            case .logits: return (Int.max, 1)
            default: return (h.layer!, h.site.order)
            }
        }
        return key(a) < key(b)
    }

    static func suggestion(for name: String, layers: Int) -> String {
        let candidates = all(layers: max(layers, 1)).map(\.description)
        var best = candidates[0], bestDistance = Int.max
        for c in candidates {
            let d = editDistance(Array(name.utf8), Array(c.utf8))
            if d < bestDistance { best = c; bestDistance = d }
        }
        return best
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension HookPoint: Codable {
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let hook = HookPoint(name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "unknown hook point \"\(name)\" (did you mean \"\(HookPoint.suggestion(for: name, layers: 30))\"?)"))
        }
        self = hook
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension HookPoint {
    public static let embed = HookPoint(site: .embed, layer: nil)
    public static let finalNormalized = HookPoint(site: .finalNormalized, layer: nil)
    public static let logits = HookPoint(site: .logits, layer: nil)
    public static func residPre(_ l: Int) -> HookPoint { HookPoint(site: .residPre, layer: l) }
    public static func ln1Normalized(_ l: Int) -> HookPoint { HookPoint(site: .ln1Normalized, layer: l) }
    public static func attnQ(_ l: Int) -> HookPoint { HookPoint(site: .attnQ, layer: l) }
    public static func attnK(_ l: Int) -> HookPoint { HookPoint(site: .attnK, layer: l) }
    public static func attnV(_ l: Int) -> HookPoint { HookPoint(site: .attnV, layer: l) }
    public static func attnScores(_ l: Int) -> HookPoint { HookPoint(site: .attnScores, layer: l) }
    public static func attnPattern(_ l: Int) -> HookPoint { HookPoint(site: .attnPattern, layer: l) }
    public static func attnZ(_ l: Int) -> HookPoint { HookPoint(site: .attnZ, layer: l) }
    public static func attnOut(_ l: Int) -> HookPoint { HookPoint(site: .attnOut, layer: l) }
    public static func residMid(_ l: Int) -> HookPoint { HookPoint(site: .residMid, layer: l) }
    public static func ln2Normalized(_ l: Int) -> HookPoint { HookPoint(site: .ln2Normalized, layer: l) }
    public static func mlpPre(_ l: Int) -> HookPoint { HookPoint(site: .mlpPre, layer: l) }
    public static func mlpPreLinear(_ l: Int) -> HookPoint { HookPoint(site: .mlpPreLinear, layer: l) }
    public static func mlpPost(_ l: Int) -> HookPoint { HookPoint(site: .mlpPost, layer: l) }
    public static func mlpOut(_ l: Int) -> HookPoint { HookPoint(site: .mlpOut, layer: l) }
    public static func residPost(_ l: Int) -> HookPoint { HookPoint(site: .residPost, layer: l) }
}
