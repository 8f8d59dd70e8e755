/// What a block's driver does at each hook site, forward or backward.
///
/// The run with hooks visits every site (interventions, recordings, a stop); the staircase of
/// re-entered rows puts values back at a few; the last-position pass does nothing. The engine
/// asks `isActive` first, so a driver with nothing to do costs nothing.
protocol BlockSites {
    /// Whether `visit` would do anything at `site` of block `layer`.
    func isActive(_ site: HookPoint.Site, layer: Int) -> Bool
    /// The value at the site (forward) or the gradient with respect to it (backward) in
    /// `buffer`, laid out as the site's rows; returns true to end the forward pass here.
    mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool
}

/// A driver that does nothing at any site.
struct NoSites: BlockSites {
    @inline(__always) func isActive(_ site: HookPoint.Site, layer: Int) -> Bool { false }
    @inline(__always) mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool { false }
}

extension BlockSites {
    /// Visits only when active; returns true to stop.
    @inline(__always)
    mutating func at(_ site: HookPoint.Site, _ layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool {
        isActive(site, layer: layer) ? try visit(site, layer: layer, buffer) : false
    }
}
