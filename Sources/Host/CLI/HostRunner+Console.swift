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
                    done(JSONText.render(TenantReport.tenants(configuration, catalog)))
                }
            })
        return ConsoleService(server: server, adminKeyHashes: (configuration.admin?.apiKeyHashes ?? []) + configuration.consoleKeyHashes, reports: reports)
    }
}
