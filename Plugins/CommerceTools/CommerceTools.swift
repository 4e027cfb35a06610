// Commerce tools: the functions support agents call to act on the company's backend (orders,
// billing, refunds, payment plans, FAQ search, escalation to a person). Each is an async SDK
// `Tool` that calls the tenant's backend through the host's HTTP extension ("agent_host.http/1"),
// so no thread waits on the network.
//
// Settings (per tenant, the same object for every component):
//   {"backend_url": "http://127.0.0.1:8090",   required: the backend's base URL
//    "api_key": "…",                           optional: sent as "Authorization: Bearer …"
//    "timeout_ms": 3000}                       optional: per request, 1…60000 (default 3000)
//
// Outcomes, in words an agent can relay:
//   2xx            the backend's JSON body is the output
//   409 / 422      (refunds, payment plans) a business refusal, not a failure: the output is
//                  {"refused":true,"code":"<backend code>","reason":"<backend sentence>"}
//   404            PluginError.notFound ("order ORD-99999 not found")
//   400            PluginError.invalidArgument with the backend's reason
//   401 / 403      PluginError.unavailable ("the backend rejected our credentials")
//   5xx, timeout, connection refused: PluginError.unavailable / .timeout
import AgentHostSDK

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([
        LookupOrder.self, CheckBilling.self, ProcessRefund.self,
        CreatePaymentPlan.self, SearchFAQ.self, EscalateToHuman.self,
    ])
}

/// A tool that calls the tenant's backend: one version, the HTTP extension, and the backend
/// built from the tenant's settings (the same object for every component).
protocol BackendTool: Tool {
    init(backend: Backend)
}

extension BackendTool {
    static var version: String { "1.0.0" }
    static var requiredExtensions: [String] { [Backend.httpExtension] }

    init(host: PluginHost, settings: PluginSettings) throws {
        self.init(backend: try Backend(host: host, settings: settings))
    }
}
