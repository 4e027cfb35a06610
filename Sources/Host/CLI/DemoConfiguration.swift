import Foundation
import HostPlugins
import HostSupport

/// `agent-host demo`: the same host as `serve`, configured from an embedded YAML document for one
/// `demo` tenant with every reference department and commerce tool the plugin directories hold.
enum DemoConfiguration {
    static func yaml(port: Int, redisURL: String?, backendURL: String, backendKey: String, pluginDirectory: String,
                     catalog: PluginCatalog, journalPath: String, consoleKeyHash: String? = nil) -> String {
        let components = ReferenceDeployment.tenant(catalog: catalog, backendURL: backendURL, apiKey: backendKey).plugins
        let commerce = components.filter { $0.hasPrefix("com.agenthost.commerce.") }
        var out = """
        server:
          host: 127.0.0.1
          port: \(port)
          drain_deadline_seconds: 5
        redis:
          url: \(redisURL.map { "\"\($0)\"" } ?? "\"\"")
          journal_path: \(JSONText.quote(journalPath))
        plugins:
          directories: [\(JSONText.quote(pluginDirectory))]
        default_tenant: demo
        tenants:
          - id: demo
            entry_agent: \(ReferenceDeployment.triageID)
            plugins:

        """
        for id in components { out += "      - \(id)\n" }
        out += "    settings:\n"
        for id in commerce {
            out += "      \(id): {backend_url: \(JSONText.quote(backendURL)), api_key: \(JSONText.quote(backendKey)), timeout_ms: 3000}\n"
        }
        if let consoleKeyHash { out += "console:\n  api_keys: [\(JSONText.quote(consoleKeyHash))]\n" }
        return out
    }
}
