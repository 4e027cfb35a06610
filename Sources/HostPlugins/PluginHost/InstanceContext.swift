import HostSupport
import PluginABI

/// The host's side of one instance's host table: who the instance is, what it was granted, and
/// the services its callbacks reach. `ah_host_t.host_data` points here.
final class InstanceContext: Sendable {
    let pluginID: String
    let tenantID: String
    let services: HostServices
    /// Extension id → static service table, only for extensions the tenant is granted.
    let grantedTables: [String: StaticTable]
    /// The catalog extension's state for this instance (ext/draft/catalog.h).
    let catalog = CatalogChannel()

    init(pluginID: String, tenantID: String, services: HostServices, granted: Set<String>) {
        self.pluginID = pluginID
        self.tenantID = tenantID
        self.services = services
        var tables: [String: StaticTable] = [:]
        for id in granted.intersection(services.providedExtensions).union(ExtensionTables.ungated) {
            if let table = ExtensionTables.table(for: id) { tables[id] = StaticTable(pointer: table) }
        }
        self.grantedTables = tables
    }

    @inline(__always)
    static func from(_ host: UnsafePointer<ah_host_t>?) -> InstanceContext? {
        guard let data = host?.pointee.host_data else { return nil }
        return Unmanaged<InstanceContext>.fromOpaque(data).takeUnretainedValue()
    }

    func log(_ level: Logger.Level, _ message: String) {
        services.logger.log(level, "plugin \(pluginID) tenant \(tenantID)", message)
    }
}

/// A pointer to a process-lifetime, never-written C table: safe to share across threads.
struct StaticTable: @unchecked Sendable {
    let pointer: UnsafeRawPointer
}
