import HostPlugins
import HostTenancy

/// Each configured tenant with its plugins as loaded (id, version, file, sha256): the admin API's
/// `GET /admin/v1/tenants` and the console's tenants tab show the same list.
enum TenantReport {
    static func tenants(_ configuration: HostConfiguration, _ catalog: PluginCatalog) -> [[String: Any]] {
        configuration.tenants.map { tenant in
            ["id": tenant.id, "entry_agent": tenant.entryAgent, "default": tenant.id == configuration.defaultTenant,
             "requires_key": !tenant.apiKeyHashes.isEmpty,
             "plugins": tenant.plugins.map { id -> [String: Any] in
                 let version = tenant.pins[id]?.version
                 let provider = catalog.plugin(providing: id, version: version)
                 return ["id": id, "version": catalog.component(id, version: version)?.version ?? "",
                         "file": provider?.fileName ?? "", "sha256": provider?.sha256 ?? ""]
             }]
        }
    }
}
