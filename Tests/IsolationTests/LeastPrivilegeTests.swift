import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// What an isolated plugin can see of the host: no environment (so no model or back-end keys), no
/// way to gain privileges, and an address space capped at its max_memory_mb.
final class LeastPrivilegeTests: XCTestCase {
    func testARunnerHasNoEnvironmentNoNewPrivilegesAndItsMemoryCap() throws {
        setenv("AGENT_HOST_TEST_SECRET", "must-not-leak", 1)
        defer { unsetenv("AGENT_HOST_TEST_SECRET") }
        let host = try IsolationFixture(riskyMemoryMB: 200)
        defer { host.shutdown() }
        let turn = host.caller(host.acme).say("run introspect")
        XCTAssertEqual(turn.reply, #"ok: {"env":0,"no_new_privs":1,"as_mb":200}"#, turn.json)
    }
}
