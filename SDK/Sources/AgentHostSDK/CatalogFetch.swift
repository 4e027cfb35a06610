import PluginABI

/// Fetches the routing catalog through "agent_host.catalog.draft/0" (docs/abi.md), so the step
/// contexts of a subscribed instance need not carry it. Created only when the host provides the
/// draft; the SDK subscribes when the agent instance is created.
struct CatalogFetcher: @unchecked Sendable {
    // @unchecked: the host's table is immutable and its functions are [thread-safe].
    let host: PluginHost
    let table: UnsafePointer<ah_host_catalog_t>

    /// Subscribes `host`'s instance when the host provides the draft; nil otherwise (the catalog
    /// then keeps arriving in every context, as for a 1.0 plugin).
    static func subscribe(_ host: PluginHost) -> CatalogFetcher? {
        guard let raw = host.extensionTable(AH_EXT_CATALOG_DRAFT) else { return nil }
        let table = raw.assumingMemoryBound(to: ah_host_catalog_t.self)
        guard table.pointee.struct_size >= UInt32(MemoryLayout<ah_host_catalog_t>.size) else { return nil }
        var error = ah_error_t()
        guard table.pointee.subscribe(host.raw, &error) == AH_OK else {
            host.log(.warning, "catalog subscription refused: \(ABIText.message(of: &error, default: "no reason given"))")
            return nil
        }
        return CatalogFetcher(host: host, table: table)
    }

    /// The catalog of `version`, decoded; nil when the host no longer keeps that version.
    func fetch(version: String) throws -> CatalogCache.Entry? {
        var bytes: [UInt8] = []
        var error = ah_error_t()
        let status = withUnsafeMutablePointer(to: &bytes) { slot in
            table.pointee.fetch(host.raw, version, { user, json, length in
                // Runs before fetch returns, on this thread: copy out of the host's buffer.
                guard let user, let json else { return }
                user.assumingMemoryBound(to: [UInt8].self).pointee = Array(UnsafeRawBufferPointer(start: json, count: length))
            }, slot, &error)
        }
        if status == AH_ERR_NOT_FOUND { return nil }
        guard status == AH_OK else {
            throw PluginError(status: status, message: "catalog fetch failed: \(ABIText.message(of: &error, default: "status \(status)"))")
        }
        let catalog = try bytes.withUnsafeBufferPointer { try JSONValue.parse($0) }
        return CatalogCache.Entry(
            version: version,
            targets: (catalog["handoff_targets"]?.arrayValue ?? []).compactMap(Turn.HandoffTarget.init(json:)),
            tools: (catalog["tools"]?.arrayValue ?? []).compactMap(Turn.ToolInfo.init(json:)),
            entryAgent: catalog["entry_agent"].flatMap(Turn.AgentReference.init(json:)))
    }
}
