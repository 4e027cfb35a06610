import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import HostTestSupport
import TestSupport
import XCTest

/// The dtmf draft (agent_host.dtmf.draft/0) over the runner's wire (W_DTMF_SEND, revision 4): an
/// isolated C agent's `send_digits` reaches its host's keypad registry with the in-process checks
/// and statuses, only when the tenant grants the draft, and never another host's registry.
/// (TwilioIsolatedDigitsTests plays the digits on a Twilio call end to end.)
final class IsolatedDTMFDraftTests: XCTestCase {
    static let keypad = "com.example.isolation.keypad"
    nonisolated(unsafe) static var built: TemporaryDirectory?

    private static func plugins() throws -> String {
        if let built { return built.path }
        let directory = TemporaryDirectory(prefix: "keypad-fixture")
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/IsolationTests/Fixtures/keypad_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                 output: directory.file("libkeypad_agent.so"))
        built = directory
        return directory.path
    }

    /// One host's loop, services and a tenant whose entry agent is the isolated Keypad Agent.
    private final class KeypadHost {
        let loop = EventLoop(name: "keypad-test")
        let services: HostServices
        let tenant: TenantRuntime

        init(granted: Set<String>?) throws {
            let catalog = PluginLoader(directories: [try IsolatedDTMFDraftTests.plugins()]).loadAll()
            XCTAssertEqual(catalog.refused, [])
            loop.start()
            services = HostServices(loop: loop)
            var configuration = TenantConfiguration(id: "acme", plugins: [IsolatedDTMFDraftTests.keypad], entryAgent: IsolatedDTMFDraftTests.keypad,
                                                    grantedExtensions: granted)
            configuration.defaultIsolation = PluginIsolation(mode: .process)
            tenant = try TenantRuntime(configuration: configuration, catalog: catalog, services: services)
        }

        func stop() {
            services.shutdown()
            loop.stop()
        }
    }

    func testAnIsolatedAgentsDigitsReachItsHostsCallWithTheInProcessStatuses() throws {
        let host = try KeypadHost(granted: ["agent_host.dtmf.draft/0"])
        let other = try KeypadHost(granted: ["agent_host.dtmf.draft/0"])
        defer { host.stop(); other.stop() }
        XCTAssertTrue(host.tenant.entryAgent.instance is IsolatedInstance, "the agent runs in a plugin runner")

        let caller = Caller(tenant: host.tenant, loop: host.loop, services: host.services)
        let session = caller.conversation.id
        // No call can send digits for this session yet (a chat): the host's NOT_FOUND comes back.
        XCTAssertEqual(caller.say("send 1234#").reply, "sent 1234#: -3")

        // The session's call registers its sender on this host; a second host in the process has its own registry.
        let sent = LockedBox<[String]>([])
        // A call of another tenant is out of this plugin's reach, even under a session id it knows.
        host.services.keypad.register(session: session, tenant: "another-tenant") { digits in sent.mutate { $0.append(digits) } }
        XCTAssertEqual(caller.say("send 1234#").reply, "sent 1234#: -3")
        XCTAssertEqual(sent.value, [], "no digits reached another tenant's call")
        host.services.keypad.register(session: session, tenant: host.tenant.id) { digits in sent.mutate { $0.append(digits) } }
        XCTAssertTrue(other.services.keypad.sessions.isEmpty, "the other host sees no call")
        XCTAssertEqual(caller.say("send ww1234#").reply, "sent ww1234#: 0")
        XCTAssertEqual(caller.say("9").reply, "sent ww1234#: 0")
        XCTAssertEqual(sent.value, ["ww1234#", "ww1234#"], "the digits crossed the wire to the call's sender")

        // The host's checks: other characters, more than 32 digits.
        XCTAssertEqual(caller.say("send 12a").reply, "sent 12a: -2")
        XCTAssertEqual(caller.say("send " + String(repeating: "1", count: 33)).reply, "sent \(String(repeating: "1", count: 33)): -2")
        XCTAssertEqual(sent.value.count, 2, "refused digits are not sent")
    }

    func testWithoutTheGrantAnIsolatedAgentIsNotOfferedTheDraft() throws {
        let host = try KeypadHost(granted: [])
        defer { host.stop() }
        let caller = Caller(tenant: host.tenant, loop: host.loop, services: host.services)
        XCTAssertEqual(caller.say("send 1").reply, "no dtmf extension")
    }
}
