import Foundation
import HostOrchestration
import HostPlugins

/// The embedded defaults: the reference plugins enabled for a demo tenant, pointed at a backend.
public enum ReferenceDeployment {
    public static let tenantID = "demo"
    public static let triageID = "com.agenthost.support.triage"
    /// Component id prefixes of the reference departments and the commerce tools.
    static let departmentPrefix = "com.agenthost.support."
    static let commercePrefix = "com.agenthost.commerce."

    /// Swaps the commerce tools for CannedTools (same function names, fixed answers, no backend):
    /// benchmarks measure the host and the plugins, not a backend.
    public static func useCannedTools(_ configuration: inout TenantConfiguration) {
        configuration.plugins = configuration.plugins.filter { !$0.hasPrefix(commercePrefix) } + [
            "com.agenthost.canned.lookup-order", "com.agenthost.canned.check-billing", "com.agenthost.canned.process-refund",
            "com.agenthost.canned.search-faq", "com.agenthost.canned.escalate",
        ]
    }

    /// Every reference department and commerce tool the catalog loaded, plus the store-hours tool.
    public static func tenant(catalog: PluginCatalog, backendURL: String, apiKey: String, id: String = tenantID) -> TenantConfiguration {
        let ids = catalog.components.map(\.id).filter {
            $0.hasPrefix(departmentPrefix) || $0.hasPrefix(commercePrefix) || $0 == "com.agenthost.examples.store-hours"
        }
        let settings = #"{"backend_url":"\#(backendURL)","api_key":"\#(apiKey)","timeout_ms":3000}"#
        var perComponent: [String: String] = [:]
        for id in ids where id.hasPrefix(commercePrefix) { perComponent[id] = settings }
        return TenantConfiguration(id: id, plugins: ids, entryAgent: triageID, settings: perComponent)
    }
}

/// A `support-backend` child process on a free loopback port with a throwaway data directory,
/// for commands that run with nothing configured. Stopped (SIGTERM) by `stop()`.
public final class ReferenceBackendProcess: @unchecked Sendable {
    // @unchecked: immutable after start.
    public let url: String
    public let apiKey: String
    private let child: ChildProcess
    private let dataDirectory: String

    /// Starts `support-backend` from next to the running executable and waits for its ready line.
    public init(apiKey: String = "demo-key", timeout: TimeInterval = 15) throws {
        let executable = (PluginLoader.defaultDirectories(environment: [:]).first ?? ".") + "/support-backend"
        dataDirectory = try ChildProcess.temporaryDirectory(prefix: "support-backend")
        self.apiKey = apiKey
        child = try ChildProcess(executable: executable,
                                 arguments: ["--host", "127.0.0.1", "--port", "0", "--api-key", apiKey, "--data", dataDirectory],
                                 readyMarker: "listening on ", timeout: timeout, hint: "build it with `swift build`")
        url = child.readyLine.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    public func stop() {
        child.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }
}
