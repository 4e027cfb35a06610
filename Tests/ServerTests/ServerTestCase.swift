import Foundation
import Host
import HostNet
import HostOrchestration
import HostServer
import HostTenancy
import TestSupport
import XCTest

/// A HostServer on a free loopback port, serving the reference plugins for two tenants, with a
/// real support-backend process behind the tools and an HTTP client for the test.
class ServerTestCase: XCTestCase {
    var deployment: LocalDeployment!
    var server: HostServer!
    var client: HTTPClient!
    var clientLoop: EventLoop!
    var persistence: InMemorySessionPersistence!
    var base = ""

    /// Tenants: "demo" (no key), "secure" (key "s3cret"); global cap and per-caller limit from `settings`.
    /// `demoVoice`: the demo tenant's voice calls (mode, engines); `configureDemo`: the rest of its configuration (a model);
    /// `pluginDirectories`: where plugins are loaded from (a test's C fixtures beside the built ones).
    func startServer(maxSessions: Int = 100, perCaller: Int = 2, drainSeconds: Double = 30, demoVoice: TenantVoice = TenantVoice(),
                     pluginDirectories: [String] = [BuildProducts.directory],
                     configureDemo: (inout TenantConfiguration) -> Void = { _ in }) throws {
        deployment = try LocalDeployment(pluginDirectories: pluginDirectories, configure: configureDemo)
        var settings = HostServer.Settings()
        settings.http.port = 0
        settings.maxSessions = maxSessions
        settings.drainDeadlineSeconds = drainSeconds
        persistence = InMemorySessionPersistence()
        let secure = try TenantRuntime(
            configuration: ReferenceDeployment.tenant(catalog: deployment.catalog, backendURL: deployment.backendURL, apiKey: "demo-key", id: "secure"),
            catalog: deployment.catalog, services: deployment.services)
        server = HostServer(settings: settings, loop: deployment.loop, services: deployment.services,
                            tenants: [ServedTenant(runtime: deployment.tenant, maxSessionsPerCaller: perCaller, voice: demoVoice),
                                      ServedTenant(runtime: secure, apiKeyHashes: ["s3cret"], maxSessionsPerCaller: perCaller)],
                            defaultTenant: "demo", persistence: persistence,
                            verifyKey: { tenant, key in tenant.apiKeyHashes.contains(key) })
        let started = deployment.loop.submitAndWait { [server] in Result { try server!.start() } }
        let port = try XCTUnwrap(started).get()
        base = "http://127.0.0.1:\(port)"
        clientLoop = EventLoop(name: "test-client")
        clientLoop.start()
        client = HTTPClient(loop: clientLoop)
    }

    override func tearDown() {
        client?.close()
        clientLoop?.stop()
        server?.stop()
        deployment?.shutdown()
    }

    struct Reply {
        let status: Int
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var events: [[String: Any]] { json["events"] as? [[String: Any]] ?? [] }
        var types: [String] { events.compactMap { $0["type"] as? String } }
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = ClientRequest(method: method, url: base + path)
        request.headers = HTTPHeaders(headers + (body == nil ? [] : [("Content-Type", "application/json")]))
        if let body { request.body = Array(body.utf8) }
        let response = try await client.send(request)
        return Reply(status: response.status, body: String(decoding: response.body, as: UTF8.self))
    }

    func chat(_ text: String, caller: String = "+15551230000", session: String? = nil, tenant: String? = nil,
              headers: [(String, String)] = []) async throws -> Reply {
        var object: [String: Any] = ["caller": caller, "text": text]
        if let session { object["session_id"] = session }
        if let tenant { object["tenant"] = tenant }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try await request("POST", "/v1/chat", body: body, headers: headers)
    }
}
