import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import HostTestSupport
import Synchronization
import TestSupport
import XCTest

/// Two tenants ("acme", "globex") on one host loop and one set of services, each with the C
/// fixtures Desk Agent and the `risky` tool running in plugin runners (one runner per tenant
/// and file), as `agent-host serve` would serve them.
final class IsolationFixture {
    static let desk = "com.example.isolation.desk"
    static let risky = "com.example.isolation.risky"

    nonisolated(unsafe) static var directory: TemporaryDirectory?

    /// Builds the C fixtures once per test run, as a third party would build them.
    static func plugins() throws -> String {
        if let directory { return directory.path }
        let built = TemporaryDirectory(prefix: "isolation-fixtures")
        for name in ["desk_agent", "risky_tool"] {
            try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/IsolationTests/Fixtures/\(name).c",
                                     includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                     output: built.file("lib\(name).so"))
        }
        directory = built
        return built.path
    }

    let loop = EventLoop(name: "isolation-test")
    let services: HostServices
    let acme: TenantRuntime
    let globex: TenantRuntime
    final class LogLines: Sendable { let lines = Mutex<[String]>([]) }
    /// Every line the host logged (also written to stderr).
    let logLines = LogLines()

    init(policy: IsolationPolicy = IsolationPolicy(), riskyMemoryMB: Int = 512, stepTimeoutMilliseconds: UInt64 = 5_000) throws {
        let catalog = PluginLoader(directories: [try Self.plugins()]).loadAll()
        XCTAssertEqual(catalog.refused, [])
        loop.start()
        let lines = logLines
        let services = HostServices(logger: Logger(minimum: .info, sink: { line in
            lines.lines.withLock { $0.append(line) }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }), loop: loop)
        services.runners.policy = policy
        self.services = services
        func tenant(_ id: String) throws -> TenantRuntime {
            var configuration = TenantConfiguration(id: id, plugins: [Self.desk, Self.risky], entryAgent: Self.desk,
                                                    limits: TurnLimits(stepTimeoutMilliseconds: stepTimeoutMilliseconds))
            configuration.defaultIsolation = PluginIsolation(mode: .process)
            configuration.isolation[Self.risky] = PluginIsolation(mode: .process, maxMemoryMB: riskyMemoryMB)
            return try TenantRuntime(configuration: configuration, catalog: catalog, services: services)
        }
        acme = try tenant("acme")
        globex = try tenant("globex")
    }

    func caller(_ tenant: TenantRuntime) -> Caller {
        Caller(tenant: tenant, loop: loop, services: services)
    }

    func restarts(_ tenant: String, _ plugin: String = "librisky_tool.so") -> Double {
        services.metrics.counter("agent_host_plugin_restarts_total", labels: ["tenant": tenant, "plugin": plugin])
    }

    /// Waits up to `seconds` for `condition`.
    func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    func logged(_ text: String) -> Bool {
        logLines.lines.withLock { $0.contains { $0.contains(text) } }
    }

    func shutdown() {
        services.shutdown()
        loop.stop()
    }
}
