import Foundation
import HostServer
import HostSupport
import HostTenancy

extension HostRunner {
    /// The console (docs/console.md): its operator pages take the admin listener's keys and
    /// `console.api_keys`, and show the reloader's plugin and tenant reports (the same as
    /// `GET /admin/v1/plugins|tenants`).
    static func console(server: HostServer, reloader: HostReloader, configuration: HostConfiguration) -> ConsoleService {
        let reports = ConsoleService.Reports(
            plugins: { done in reloader.pluginReport(done) },
            tenants: { done in
                reloader.snapshot { configuration, catalog in
                    let tenants: [[String: Any]] = configuration.tenants.map { tenant in
                        ["id": tenant.id, "entry_agent": tenant.entryAgent, "default": tenant.id == configuration.defaultTenant,
                         "requires_key": !tenant.apiKeyHashes.isEmpty,
                         "plugins": tenant.plugins.map { id -> [String: Any] in
                             let version = tenant.pins[id]?.version
                             let provider = catalog.plugin(providing: id, version: version)
                             return ["id": id, "version": catalog.component(id, version: version)?.version ?? "",
                                     "file": provider?.fileName ?? "", "sha256": provider?.sha256 ?? ""]
                         }]
                    }
                    done(JSONText.render(tenants))
                }
            })
        return ConsoleService(server: server, adminKeyHashes: (configuration.admin?.apiKeyHashes ?? []) + configuration.consoleKeyHashes, reports: reports)
    }
}
