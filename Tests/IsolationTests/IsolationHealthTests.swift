import Foundation
import HostNet
import HostPlugins
import HostServer
import HostTenancy
import HostTestSupport
import TestSupport
import XCTest

/// Over HTTP: a plugin stopped after repeated crashes turns /health degraded naming it, restarts
/// are on /metrics, and the other tenant's /v1/chat is still answered.
final class IsolationHealthTests: XCTestCase {
    func testHealthNamesAPluginStoppedAfterRepeatedCrashes() async throws {
        var policy = IsolationPolicy()
        policy.maxCrashes = 2
        policy.restartBackoffMilliseconds = 10
        let host = try IsolationFixture(policy: policy)
        var settings = HostServer.Settings()
        settings.http.port = 0
        let server = HostServer(settings: settings, loop: host.loop, services: host.services,
                                tenants: [ServedTenant(runtime: host.acme), ServedTenant(runtime: host.globex)],
                                defaultTenant: "acme", persistence: InMemorySessionPersistence(), verifyKey: { _, _ in true })
        let port = try XCTUnwrap(host.loop.submitAndWait { Result { try server.start() } }).get()
        let clientLoop = EventLoop(name: "health-client")
        clientLoop.start()
        let client = HTTPClient(loop: clientLoop)
        defer { client.close(); clientLoop.stop(); server.stop(); host.shutdown() }
        func get(_ path: String, body: String? = nil) async throws -> String {
            var request = ClientRequest(method: body == nil ? "GET" : "POST", url: "http://127.0.0.1:\(port)\(path)")
            if let body {
                request.headers = HTTPHeaders([("Content-Type", "application/json")])
                request.body = Array(body.utf8)
            }
            return String(decoding: try await client.send(request).body, as: UTF8.self)
        }

        let healthy = try await get("/health")
        XCTAssertTrue(healthy.contains(#""status":"ok""#), healthy)
        for _ in 0..<2 {
            let reply = try await get("/v1/chat", body: #"{"tenant":"acme","caller":"+15550001","text":"run segv"}"#)
            XCTAssertTrue(reply.contains("crashed"), reply)
        }
        let degraded = try await get("/health")
        XCTAssertTrue(degraded.contains(#""status":"degraded""#), degraded)
        XCTAssertTrue(degraded.contains("plugin librisky_tool.so failed for tenant acme"), degraded)
        let metrics = try await get("/metrics")
        XCTAssertTrue(metrics.contains(#"agent_host_plugin_restarts_total{plugin="librisky_tool.so",tenant="acme"} 1"#), metrics)
        let other = try await get("/v1/chat", body: #"{"tenant":"globex","caller":"+15550002","text":"run ok"}"#)
        XCTAssertTrue(other.contains("ok: fine"), other)
    }
}
