import Foundation
import HostPlugins
import HostTestSupport
import PluginABI
import Synchronization
import TestSupport
import XCTest

/// The extensions a runner forwards to the host: session-kv and metrics (C fixture), timers
/// (the Swift sample's delay tool); http is exercised by the isolated refund conversation.
final class IsolatedExtensionsTests: XCTestCase {
    func testSessionValuesAndMetricsGoThroughTheHost() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        XCTAssertEqual(acme.say("run kv").reply, "ok: calls=1")
        XCTAssertEqual(acme.say("run kv").reply, "ok: calls=2", "the value lives in the host, per session")
        XCTAssertEqual(host.caller(host.acme).say("run kv").reply, "ok: calls=1", "another session starts afresh")
        let counted = host.services.metrics.counter("agent_host_plugin_risky_calls",
                                                    labels: ["plugin": IsolationFixture.risky, "tenant": "acme", "mode": "kv"])
        XCTAssertEqual(counted, 3)
    }

    /// A plugin thread's synchronous host calls (session-kv) are answered while the runner's main
    /// thread is inside the plugin waiting for that thread: the waiting thread reads the socket
    /// itself when the main thread cannot.
    func testAPluginThreadsHostCallsAreAnsweredWhileTheMainThreadIsInsideThePlugin() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        XCTAssertEqual(acme.say("run kv-thread").reply, "ok: calls=1")
        XCTAssertEqual(acme.say("run kv-thread").reply, "ok: calls=2")
        XCTAssertEqual(acme.say("run kv").reply, "ok: calls=3", "the main thread serves the runner as before")
    }

    func testTimersGoThroughTheHost() throws {
        let catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        let plugin = try XCTUnwrap(catalog.plugin(providing: "com.agenthost.samples.delay"))
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let delay = try IsolatedInstance.create("com.agenthost.samples.delay", from: plugin, tenantID: "acme", services: host.services)
        let answer = Mutex<(Int32, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = Date()
        try delay.invokeTool(callID: host.services.router.makeID(), sessionID: "s1", callerID: "c1", argumentsJSON: #"{"milliseconds":150}"#) { status, output in
            answer.withLock { $0 = (status, output) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.14)
        XCTAssertEqual(answer.withLock { $0 }?.0, AH_OK)
        XCTAssertEqual(answer.withLock { $0 }?.1, "waited 150 ms")
    }
}
