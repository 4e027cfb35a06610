import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostSupport
import HostTenancy
import HostTestSupport
import TestSupport
import XCTest

/// A plugin that blocks the host's loop, served by a real HostServer: the stall is logged through
/// the host's logger naming the plugin and the call, and counted in /metrics.
final class LoopStallTests: XCTestCase {
    static let stallingAgent = "com.agenthost.fixtures.stalling-agent"

    func testAPluginThatBlocksTheLoopIsLoggedByItsIDAndCallAndCounted() throws {
        let fixtures = TemporaryDirectory(prefix: "loop-stall")
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/HostTests/Fixtures/stalling_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures/abi-1.0/include",
                                 output: fixtures.file("libstalling_agent.so"))
        let catalog = PluginLoader(directories: [fixtures.path]).loadAll()
        let host = LoggedHost(loopName: "loop-stall-test")
        defer { host.shutdown() }
        let (loop, services) = (host.loop, host.services)
        let tenant = try TenantRuntime(configuration: TenantConfiguration(id: "slow", plugins: [Self.stallingAgent], entryAgent: Self.stallingAgent),
                                       catalog: catalog, services: services)
        var settings = HostServer.Settings()
        settings.http.port = 0
        let server = HostServer(settings: settings, loop: loop, services: services, tenants: [ServedTenant(runtime: tenant)],
                                defaultTenant: "slow", persistence: InMemorySessionPersistence(), verifyKey: { _, _ in true })
        let port = try XCTUnwrap(loop.submitAndWait { Result { try server.start() } }).get()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(port)"

        let reply = try ProcessRunner.run("curl", ["-s", "--max-time", "10", "-d", #"{"caller":"+15550001111","text":"hello"}"#, base + "/v1/chat"])
        XCTAssertTrue(reply.stdout.contains(#""text":"Done.""#), reply.stdout)

        let deadline = Date().addingTimeInterval(5)
        // The watchdog counts the stall and then logs it from its own thread: wait for both.
        while services.metrics.counter("agent_host_loop_stalls_total") < 1
                || !host.lines.contains(where: { $0.contains("the event loop stalled") }), Date() < deadline { usleep(10_000) }
        // (A busy test machine may add stalls of its own; this one must be there, once.)
        let logged = host.lines.filter { $0.contains("[loop]") }
        let named = logged.filter { $0.contains("warning [loop] the event loop stalled") && $0.contains("in \(Self.stallingAgent) step") }
        XCTAssertEqual(named.count, 1, "\(logged)")
        let metrics = try ProcessRunner.run("curl", ["-s", "--max-time", "10", base + "/metrics"]).stdout
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        XCTAssertEqual(value("agent_host_loop_stalls_total"), Double(logged.count), metrics)
        XCTAssertEqual(value("agent_host_loop_stall_seconds_count"), Double(logged.count), metrics)
        XCTAssertTrue(metrics.contains(#"agent_host_loop_stall_seconds_bucket{le="0.05"} 0"#), metrics)
    }
}
