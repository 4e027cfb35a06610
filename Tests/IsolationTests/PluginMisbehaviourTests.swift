import Foundation
import HostPlugins
import HostTestSupport
import PluginABI
import Synchronization
import TestSupport
import XCTest

/// More ways a plugin misbehaves, each run for tenant acme while tenant globex keeps chatting on
/// the same host: a tool that sleeps past the deadline, one that never completes, one that
/// completes twice, one with a 10 MiB (and a 20 MiB) result, and a Swift plugin that traps.
final class PluginMisbehaviourTests: XCTestCase {
    /// Runs `fault` (acme's turn) in the background while globex says "run ok" over and over;
    /// returns acme's turn and the slowest globex answer in seconds.
    func whileGlobexChats(_ host: IsolationFixture, _ fault: @escaping @Sendable () -> Turn,
                          file: StaticString = #filePath, line: UInt = #line) -> (turn: Turn?, slowest: Double) {
        let globex = host.caller(host.globex)
        let group = DispatchGroup()
        nonisolated(unsafe) var faulted: Turn?
        DispatchQueue.global().async(group: group) { faulted = fault() }
        var slowest = 0.0, answered = 0
        repeat {
            let started = Date()
            let turn = globex.say("run ok")
            slowest = max(slowest, Date().timeIntervalSince(started))
            XCTAssertEqual(turn.reply, "ok: fine", "globex is answered while acme's plugin misbehaves", file: file, line: line)
            answered += 1
            usleep(50_000)
        } while group.wait(timeout: .now()) == .timedOut && answered < 400
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success, file: file, line: line)
        XCTAssertGreaterThan(answered, 0, file: file, line: line)
        return (faulted, slowest)
    }

    func testAToolSleepingPastTheDeadlineIsCancelledThenItsRunnerKilled() throws {
        var policy = IsolationPolicy()
        policy.cancelGraceMilliseconds = 500
        let host = try IsolationFixture(policy: policy, stepTimeoutMilliseconds: 1_500)
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let (turn, slowest) = whileGlobexChats(host) { acme.say("run sleep") }
        XCTAssertEqual(turn?.errors.map(\.code), ["agent_timeout"], turn?.json ?? "")
        XCTAssertEqual(turn?.shape.last, "turn_end:Desk Agent")
        XCTAssertLessThan(slowest, 1.0, "globex never waited on acme's sleeping tool")
        XCTAssertTrue(host.eventually { host.restarts("acme") == 1 }, "killed after the grace period and restarted")
        XCTAssertTrue(host.logged("was not finished 500 ms after its cancel"))
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
        XCTAssertEqual(host.restarts("globex"), 0)
    }

    func testAToolThatNeverCompletesIsEndedByTheStepDeadline() throws {
        var policy = IsolationPolicy()
        policy.cancelGraceMilliseconds = 500
        let host = try IsolationFixture(policy: policy, stepTimeoutMilliseconds: 1_500)
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let started = Date()
        let (turn, slowest) = whileGlobexChats(host) { acme.say("run hang") }
        XCTAssertEqual(turn?.errors.map(\.code), ["agent_timeout"], turn?.json ?? "")
        XCTAssertEqual(turn?.shape.last, "turn_end:Desk Agent", "the turn ends")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertLessThan(slowest, 1.0)
        // The plugin ignored the cancel too: the grace period ran out and its runner was replaced.
        XCTAssertTrue(host.eventually { host.restarts("acme") == 1 }, "the runner holding the abandoned call was replaced")
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
    }

    func testAToolCompletingTwiceIsAnsweredOnceAndTheSecondIsLoggedAndIgnored() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let (turn, _) = whileGlobexChats(host) { acme.say("run twice") }
        XCTAssertEqual(turn?.toolResults.map(\.output), ["first"], turn?.json ?? "")
        XCTAssertEqual(turn?.reply, "ok: first")
        XCTAssertTrue(host.eventually { host.logged("already completed call") }, "the second completion is logged")
        XCTAssertEqual(host.restarts("acme"), 0, "ignored, not a crash")
        XCTAssertEqual(acme.say("run twice").reply, "ok: first", "and the runner goes on")
    }

    func testATenMebibyteResultIsDeliveredAndTwentyIsRefusedWithAClearError() throws {
        let host = try IsolationFixture()
        defer { host.shutdown() }
        let acme = host.caller(host.acme)
        let (big, _) = whileGlobexChats(host) { acme.say("run big") }
        XCTAssertEqual(big?.toolResults.map(\.ok), [true], String(big?.json.prefix(2000) ?? ""))
        XCTAssertEqual(big?.toolResults.first?.output.utf8.count, 10 << 20, "delivered whole")
        XCTAssertTrue(big?.reply.hasPrefix("ok: xxxx") ?? false)

        let (huge, _) = whileGlobexChats(host) { acme.say("run huge") }
        XCTAssertEqual(huge?.toolResults.map(\.ok), [false], String(huge?.json.prefix(2000) ?? ""))
        XCTAssertEqual(huge?.toolResults.first?.output,
                       "the tool's output (20971520 bytes) is larger than an isolated plugin's result may be (15728640 bytes)")
        XCTAssertEqual(host.restarts("acme"), 0, "refused, not killed")
        XCTAssertEqual(acme.say("run ok").reply, "ok: fine")
    }

    /// A Swift SDK plugin trapping (force-unwrap of nil, fatalError) in its runner: the call
    /// fails as for a segfault and the runner restarts; globex chats on meanwhile.
    func testASwiftTrapInAnIsolatedSDKPluginIsACrash() throws {
        let catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        let plugin = try XCTUnwrap(catalog.plugin(providing: "com.agenthost.fixtures.trap"), "build the SwiftFaults product")
        var policy = IsolationPolicy()
        policy.restartBackoffMilliseconds = 10
        let host = try IsolationFixture(policy: policy)
        defer { host.shutdown() }
        let trap = try IsolatedInstance.create("com.agenthost.fixtures.trap", from: plugin, tenantID: "acme", services: host.services)
        let services = host.services
        @Sendable func invoke(_ mode: String) -> (Int32, String)? {
            let answer = Mutex<(Int32, String)?>(nil)
            let done = DispatchSemaphore(value: 0)
            do {
                try trap.invokeTool(callID: services.router.makeID(), sessionID: "s1", callerID: "c1", argumentsJSON: #"{"mode":"\#(mode)"}"#) { status, output in
                    answer.withLock { $0 = (status, output) }
                    done.signal()
                }
            } catch {
                return (error.status, error.message)
            }
            _ = done.wait(timeout: .now() + 10)
            return answer.withLock { $0 }
        }
        XCTAssertEqual(invoke("ok")?.1, "fine")
        for mode in ["unwrap", "fatal"] {
            nonisolated(unsafe) var crashed: (Int32, String)?
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { crashed = invoke(mode) }
            let globex = host.caller(host.globex)
            XCTAssertEqual(globex.say("run ok").reply, "ok: fine")
            XCTAssertEqual(group.wait(timeout: .now() + 15), .success)
            XCTAssertEqual(crashed?.0, AH_ERR_INTERNAL, "\(mode): \(String(describing: crashed))")
            XCTAssertTrue(crashed?.1.contains("libSwiftFaults.so crashed (killed by SIG") ?? false, String(describing: crashed))
            XCTAssertTrue(host.eventually { invoke("ok")?.1 == "fine" }, "\(mode): the runner restarted")
        }
        XCTAssertEqual(host.restarts("acme", "libSwiftFaults.so"), 2)
    }
}
