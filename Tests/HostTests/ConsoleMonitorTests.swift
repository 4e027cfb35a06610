import Foundation
@testable import HostServer
import HostOrchestration
import XCTest

/// The console's rolling hour (GET /console/v1/stats) and event tails, with a fixed clock.
final class ConsoleMonitorTests: XCTestCase {
    func testTurnsHandoffsLatencyAndErrorsLandInTheirMinuteAndAgeOutAfterAnHour() throws {
        let monitor = ConsoleMonitor()
        monitor.activeSessions = { 2 }
        let start = Date(timeIntervalSince1970: 1_800_000_000)   // a whole minute
        monitor.record(.session(sessionID: "s1", tenant: "demo", caller: "+1", agent: "Triage Agent", returning: false), sessionID: "s1", now: start)
        for (offset, ms) in [(1.0, 200.0), (5.0, 400.0), (9.0, 1_000.0)] {
            let heard = start.addingTimeInterval(offset)
            monitor.record(.user(text: "hi", final: true), sessionID: "s1", now: heard)
            monitor.record(.agent(agent: "Triage Agent", text: "hello"), sessionID: "s1", now: heard.addingTimeInterval(ms / 1000))
            monitor.record(.turnEnd(agent: "Triage Agent"), sessionID: "s1", now: heard.addingTimeInterval(ms / 1000))
        }
        monitor.record(.handoff(from: "Triage Agent", to: "Refund Agent", reason: nil), sessionID: "s1", now: start.addingTimeInterval(20))
        monitor.record(.error(code: "model_fallback", message: "x"), sessionID: "s1", now: start.addingTimeInterval(21))
        monitor.record(.error(code: "agent_failed", message: "x"), sessionID: "s1", now: start.addingTimeInterval(22))

        let stats = monitor.stats(now: start.addingTimeInterval(30))
        let minutes = try XCTUnwrap(stats["minutes"] as? [[String: Any]])
        XCTAssertEqual(minutes.count, 60)
        let last = try XCTUnwrap(minutes.last)
        XCTAssertEqual(last["t"] as? Int, Int(start.timeIntervalSince1970))
        XCTAssertEqual(last["turns"] as? Int, 3)
        XCTAssertEqual(last["handoffs"] as? Int, 1)
        XCTAssertEqual(last["errors"] as? Int, 1)
        XCTAssertEqual(last["fallbacks"] as? Int, 1)
        XCTAssertEqual(last["active_sessions"] as? Int, 2)
        let latency = try XCTUnwrap(last["latency_ms"] as? [String: Any])
        XCTAssertEqual(latency["p50"] as? Double, 400)
        XCTAssertEqual(latency["p99"] as? Double, 1_000)
        XCTAssertEqual(stats["handoffs_by_department"] as? [String: Int], ["Refund Agent": 1])

        let later = monitor.stats(now: start.addingTimeInterval(61 * 60))
        XCTAssertEqual((later["minutes"] as? [[String: Any]])?.compactMap { $0["turns"] as? Int }.reduce(0, +), 0, "an hour later the turns are gone")
        XCTAssertEqual(later["handoffs_by_department"] as? [String: Int], [:])
    }

    func testAPageReadsASessionsEventsFromWhereItLeftOff() throws {
        let monitor = ConsoleMonitor()
        monitor.record(.user(text: "one", final: true), sessionID: "s", now: Date())
        monitor.record(.agent(agent: "A", text: "two"), sessionID: "s", now: Date())
        let first = try XCTUnwrap(monitor.events(of: "s", after: 0))
        XCTAssertEqual(first.events.count, 2)
        monitor.record(.end(reason: "caller_hangup"), sessionID: "s", now: Date())
        let next = try XCTUnwrap(monitor.events(of: "s", after: first.next))
        XCTAssertEqual(next.events, [#"{"reason":"caller_hangup","type":"end"}"#])
        XCTAssertEqual(next.ended, "caller_hangup")
        XCTAssertNil(monitor.events(of: "unknown", after: 0))
    }

    func testTicketsAreSingleUseBoundToATenantAndExpire() {
        let tickets = ConsoleTickets()
        let now = Date()
        let a = tickets.issue(tenant: "demo", now: now)!
        XCTAssertFalse(tickets.redeem(a, tenant: "acme", now: now), "bound to its tenant")
        let b = tickets.issue(tenant: "demo", now: now)!
        XCTAssertTrue(tickets.redeem(b, tenant: "demo", now: now))
        XCTAssertFalse(tickets.redeem(b, tenant: "demo", now: now), "used once")
        let c = tickets.issue(tenant: "demo", now: now)!
        XCTAssertFalse(tickets.redeem(c, tenant: "demo", now: now.addingTimeInterval(ConsoleTickets.lifetimeSeconds + 1)), "expired")
    }
}
