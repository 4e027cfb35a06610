import Foundation
import HostPlugins
import PluginABI
import TestSupport
import XCTest

/// C plugins built at test time from the frozen 1.0 headers: the good ones must load and work in
/// this (and every future 1.x) host; the broken ones must be refused with the right line.
final class FrozenFixtureTests: XCTestCase {
    static let fixtures = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"
    static let frozenInclude = fixtures + "/abi-1.0/include"

    /// Builds the named fixtures into a fresh directory.
    func build(_ names: [String]) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory(prefix: "abi-fixtures")
        for name in names {
            try CPluginBuilder.build(source: "\(Self.fixtures)/plugins/\(name).c", includeDirectory: Self.frozenInclude,
                                     output: dir.file("lib\(name).so"))
        }
        return dir
    }

    func refusal(_ catalog: PluginCatalog, _ file: String) -> String? {
        catalog.refused.first { $0.path.hasSuffix("/" + file) }?.reason
    }

    func testA1_0PluginBuiltFromTheFrozenHeadersLoadsAndAnswersThroughTheHostTable() throws {
        let dir = try build(["frozen_echo"])
        let catalog = PluginLoader(directories: [dir.path]).loadAll()
        XCTAssertEqual(catalog.refused, [])
        let plugin = try XCTUnwrap(catalog.loaded.first)
        XCTAssertEqual(plugin.abiMajor, 1)
        XCTAssertEqual(plugin.abiMinor, 0)
        XCTAssertEqual(plugin.toolchain, AH_TOOLCHAIN_NONE)
        let component = try XCTUnwrap(plugin.components.first)
        XCTAssertEqual(component.id, "com.agenthost.fixtures.frozen-echo")
        XCTAssertEqual(component.tool?.name, "frozen_echo")

        let services = HostServices()
        let instance = try PluginInstance.create(component.id, from: plugin, tenantID: "acme", services: services)
        let callID = services.router.makeID()
        let received = LockedBox<(Int32, String)?>(nil)
        try instance.invokeTool(callID: callID, sessionID: "s1", callerID: "+1555", argumentsJSON: #"{"hello":"world"}"#) { status, output in
            received.value = (status, output)
        }
        XCTAssertEqual(received.value?.0, AH_OK)
        XCTAssertEqual(received.value?.1, #"{"hello":"world"}"#)
        XCTAssertEqual(services.router.pendingCalls, 0, "exactly one completion, and it was consumed")
    }

    func testAFrozenAgentTakesAStepThroughTheHostTable() throws {
        let dir = try build(["agent_fixture"])
        let catalog = PluginLoader(directories: [dir.path]).loadAll()
        let plugin = try XCTUnwrap(catalog.loaded.first, "\(catalog.refused)")
        let agent = try XCTUnwrap(plugin.components.first)
        XCTAssertEqual(agent.kind, .agent)
        XCTAssertGreaterThanOrEqual(agent.agent?.examples.count ?? 0, 3)
        let services = HostServices()
        let instance = try PluginInstance.create(agent.id, from: plugin, tenantID: "acme", services: services)
        let sink = RecordingSink()
        try instance.step(stepID: services.router.makeID(), sessionID: "s1", input: "hello there",
                          contextJSON: #"{"session_id":"s1","input":"hello there"}"#, sink: sink)
        XCTAssertEqual(sink.events.value, ["say:You said: hello there", "done:0"])
        XCTAssertEqual(services.router.openSteps, 0)
    }

    func testBrokenPluginsAreRefusedWithOneClearLineEachWhileTheRestLoad() throws {
        let dir = try build(["frozen_echo", "abi_v2", "foreign_toolchain", "no_entry", "invalid_descriptor", "failing_init",
                             "future_minor_ok", "future_minor_needs_ext", "agent_fixture"])
        let catalog = PluginLoader(directories: [dir.path]).loadAll()
        XCTAssertEqual(Set(catalog.loaded.flatMap { $0.components.map(\.id) }), [
            "com.agenthost.fixtures.frozen-echo", "com.agenthost.fixtures.future-ok", "com.agenthost.fixtures.echo-agent",
            "com.agenthost.fixtures.foreign-toolchain",
        ])
        XCTAssertEqual(catalog.refused.count, 5)
        XCTAssertEqual(refusal(catalog, "libabi_v2.so"),
                       "built for ABI 2.0; this host speaks ABI 1.x: use a build of the plugin for ABI 1.x")
        // Another toolchain's plugin is never initialised in the host: the plugin runner describes
        // it and it may run only isolated (IsolationTests.ToolchainIndependenceTests runs it).
        let foreign = try XCTUnwrap(catalog.loaded.first { $0.path.hasSuffix("libforeign_toolchain.so") })
        XCTAssertFalse(foreign.runsInProcess)
        XCTAssertTrue(foreign.notes.first?.hasPrefix("built with Swift toolchain 'swift (clang 0.0.0 foreign-toolchain)', not the host's") ?? false, "\(foreign.notes)")
        XCTAssertTrue(foreign.notes.first?.contains("runs only with isolation: process") ?? false)
        XCTAssertEqual(refusal(catalog, "libno_entry.so"),
                       "no entry point: agent_host_plugin_entry is not exported (not an agent-host plugin?)")
        XCTAssertTrue(refusal(catalog, "libinvalid_descriptor.so")?.contains("is not a reverse-DNS id") ?? false)
        XCTAssertTrue(refusal(catalog, "libinvalid_descriptor.so")?.contains("display_name is missing") ?? false)
        XCTAssertEqual(refusal(catalog, "libfailing_init.so"), "init failed (status -1): fixture: license file missing")
        XCTAssertTrue(refusal(catalog, "libfuture_minor_needs_ext.so")?.contains("requires extension agent_host.teleport/3") ?? false)
        for refused in catalog.refused {
            XCTAssertFalse(refused.reason.contains("\n"), "one line per refusal: \(refused.reason)")
        }
        let future = try XCTUnwrap(catalog.loaded.first { $0.path.hasSuffix("libfuture_minor_ok.so") })
        XCTAssertEqual(future.abiMinor, 9)
        XCTAssertEqual(future.notes.count, 1, "loading a newer-minor plugin is noted for the operator")
    }

    func testADuplicateIdIsRefusedNamingTheFileThatAlreadyProvidesIt() throws {
        let first = try build(["frozen_echo"])
        let second = try build(["duplicate_id"])
        let catalog = PluginLoader(directories: [first.path, second.path]).loadAll()
        XCTAssertEqual(catalog.loaded.count, 1)
        XCTAssertEqual(refusal(catalog, "libduplicate_id.so"),
                       "duplicate id com.agenthost.fixtures.frozen-echo: already provided by \(first.path)/libfrozen_echo.so")
    }

    func testAnUnreadableDirectoryIsReportedAndOthersStillLoad() throws {
        let good = try build(["frozen_echo"])
        let catalog = PluginLoader(directories: ["/nonexistent/plugins", good.path]).loadAll()
        XCTAssertEqual(catalog.loaded.count, 1)
        XCTAssertEqual(catalog.refused, [PluginRefusal(path: "/nonexistent/plugins", reason: "plugin directory cannot be read")])
    }

    func testTheCLIListsLoadedAndRefusedPluginsAndInspectExplainsARefusal() throws {
        let dir = try build(["frozen_echo", "abi_v2"])
        let cli = BuildProducts.path("agent-host")
        let list = try ProcessRunner.run(cli, ["plugins", "list", "--plugin-dir", dir.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("com.agenthost.fixtures.frozen-echo"), list.stdout)
        XCTAssertTrue(list.stdout.contains("libabi_v2.so: built for ABI 2.0"), list.stdout)

        let inspectGood = try ProcessRunner.run(cli, ["plugins", "inspect", dir.file("libfrozen_echo.so")])
        XCTAssertEqual(inspectGood.status, 0)
        XCTAssertTrue(inspectGood.stdout.contains("function: frozen_echo"), inspectGood.stdout)

        let inspectBad = try ProcessRunner.run(cli, ["plugins", "inspect", dir.file("libabi_v2.so")])
        XCTAssertEqual(inspectBad.status, 1, "a refused plugin is a runtime failure for inspect")
        XCTAssertTrue(inspectBad.stdout.contains("status: refused"), inspectBad.stdout)

        let usage = try ProcessRunner.run(cli, ["plugins", "frobnicate"])
        XCTAssertEqual(usage.status, 2, "bad usage exits 2")
    }
}

/// A StepSink that records what an agent did, in order.
final class RecordingSink: StepSink, @unchecked Sendable {
    let events = LockedBox<[String]>([])

    func say(_ text: String) -> ah_status_t { events.mutate { $0.append("say:\(text)") }; return AH_OK }
    func callTool(_ name: String, argumentsJSON: String) -> (ah_status_t, UInt64) { (AH_ERR_NOT_PERMITTED, 0) }
    func handoff(to agentID: String, reason: String?) -> ah_status_t { events.mutate { $0.append("handoff:\(agentID)") }; return AH_OK }
    func escalate(department: String, reason: String?) -> ah_status_t { AH_OK }
    func endSession(reason: String?) -> ah_status_t { AH_OK }
    func setState(_ json: String) -> ah_status_t { AH_OK }
    func stepDone(status: ah_status_t, message: String?) { events.mutate { $0.append("done:\(status)") } }
}
