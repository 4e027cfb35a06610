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

    /// The runner's seccomp filter: a plugin trying to run a program or to trace a process gets
    /// EPERM (it can say so), its runner lives, and the other tenant is answered throughout.
    func testExecveAndPtraceFromAPluginAreDeniedAndTheRunnerLives() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme), globex = host.caller(host.globex)
        let exec = acme.say("run exec")
        XCTAssertEqual(exec.reply, "failed: execve: Operation not permitted", exec.json)
        XCTAssertEqual(globex.say("run ok").reply, "ok: fine")
        let trace = acme.say("run ptrace")
        XCTAssertEqual(trace.reply, "failed: ptrace: Operation not permitted", trace.json)
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
        XCTAssertEqual(host.restarts("acme"), 0, "denied calls fail; nobody is killed")
    }
}
