import Foundation
import HostPlugins
import HostTestSupport
import TestSupport
import XCTest

/// Plugins that crash, hang, leak or scribble on their socket, each in its own runner: the call
/// fails, the session goes on, the other tenant never notices, and the runner comes back.
final class PluginFaultTests: XCTestCase {
    func testASegfaultingToolFailsItsCallWhileTheSessionAndTheOtherTenantGoOn() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme), globex = host.caller(host.globex)
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")

        let crash = acme.say("run segv")
        XCTAssertEqual(crash.toolResults.map(\.ok), [false], crash.json)
        XCTAssertTrue(crash.toolResults.first?.output.contains("crashed (killed by SIGSEGV)") ?? false, crash.json)
        XCTAssertTrue(crash.reply.hasPrefix("failed: "), crash.json)
        XCTAssertEqual(crash.endedOn, "Desk Agent", "the agent (another runner) finished the turn")
        XCTAssertEqual(crash.errors.map(\.code), [])

        XCTAssertEqual(globex.say("run ok").reply, "ok: fine", "the other tenant's runner was not touched")
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine", "the same session goes on with a restarted runner")
        XCTAssertEqual(host.restarts("acme"), 1)
        XCTAssertEqual(host.restarts("globex"), 0)
    }

    func testAnAgentWhoseRunnerDiesMidStepEndsTheTurnWithPluginCrashed() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let turn = acme.say("die")
        XCTAssertEqual(turn.errors.map(\.code), ["plugin_crashed"], turn.json)
        XCTAssertTrue(turn.errors.first?.message.contains("libdesk_agent.so crashed") ?? false, turn.json)
        XCTAssertEqual(turn.shape.last, "turn_end:Desk Agent", turn.json)
        XCTAssertEqual(acme.say("hi").reply, "hello", "the agent's runner restarted")
        XCTAssertEqual(host.restarts("acme", "libdesk_agent.so"), 1)
    }

    func testAnAgentRefusingAStepInItsRunnerIsReportedAsInProcess() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let turn = acme.say("refuse")
        XCTAssertEqual(turn.errors.map(\.code), ["agent_refused_step"], turn.json)
        XCTAssertEqual(turn.errors.first?.message, "desk: closed for lunch")
        XCTAssertEqual(turn.shape.last, "turn_end:Desk Agent")
        XCTAssertEqual(host.restarts("acme", "libdesk_agent.so"), 0, "a refusal is not a crash")
    }

    func testAToolSpinningPastTheDeadlineIsCancelledThenItsRunnerKilledWhileTheOtherTenantIsAnswered() throws {
        var policy = IsolationPolicy()
        policy.cancelGraceMilliseconds = 500
        let host = try IsolationFixture(policy: policy, stepTimeoutMilliseconds: 1_500)
        defer { host.shutdown() }
        let acme = host.caller(host.acme), globex = host.caller(host.globex)
        let spinning = DispatchGroup()
        nonisolated(unsafe) var stuck: Turn?
        DispatchQueue.global().async(group: spinning) { stuck = acme.say("run spin") }
        usleep(300_000)
        let started = Date()
        XCTAssertEqual(globex.say("run ok").reply, "ok: fine")
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "globex is answered while acme's tool spins")
        XCTAssertEqual(spinning.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(stuck?.errors.map(\.code), ["agent_timeout"], stuck?.json ?? "")
        XCTAssertEqual(stuck?.shape.last, "turn_end:Desk Agent")
        XCTAssertTrue(host.eventually { host.restarts("acme") == 1 }, "killed after the grace period and restarted")
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
    }

    func testALeakPastMaxMemoryIsHandledAsACrash() throws {
        let host = try IsolationFixture(riskyMemoryMB: 96)
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let leak = acme.say("run leak")
        XCTAssertEqual(leak.toolResults.map(\.ok), [false], leak.json)
        XCTAssertTrue(leak.toolResults.first?.output.contains("crashed") ?? false, leak.json)
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
        XCTAssertEqual(host.restarts("acme"), 1)
    }

    func testGarbageOnARunnersSocketIsACrashAndTheHostStaysUp() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme), globex = host.caller(host.globex)
        let garbage = acme.say("run garbage")
        XCTAssertEqual(garbage.toolResults.map(\.ok), [false], garbage.json)
        XCTAssertTrue(garbage.toolResults.first?.output.contains("not a frame") ?? false, garbage.json)
        XCTAssertEqual(globex.say("run ok").reply, "ok: fine")
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
    }

    func testAPluginThatKeepsCrashingIsStoppedForItsTenantOnly() throws {
        var policy = IsolationPolicy()
        policy.maxCrashes = 3
        policy.restartBackoffMilliseconds = 10
        let host = try IsolationFixture(policy: policy)
        defer { host.shutdown() }
        let acme = host.caller(host.acme), globex = host.caller(host.globex)
        for _ in 0..<3 { _ = acme.say("run segv") }
        let failed = host.services.runners.failedPlugins
        XCTAssertEqual(failed.map(\.tenant), ["acme"])
        XCTAssertEqual(failed.map(\.plugin), ["librisky_tool.so"])
        let refused = acme.say("run ok")
        XCTAssertEqual(refused.toolResults.map(\.ok), [false], refused.json)
        XCTAssertTrue(refused.reply.contains("was stopped for tenant acme"), refused.json)
        XCTAssertEqual(globex.say("run ok").reply, "ok: fine")
        XCTAssertEqual(host.restarts("acme"), 2, "two restarts, then stopped")
    }
}
