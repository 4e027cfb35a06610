import Foundation
import Host
import XCTest

/// Rate limiting per caller, the global cap behind /ready, and drain on shutdown.
final class LimitsAndDrainTests: ServerTestCase {
    func testACallerIsLimitedToItsConcurrentSessions() async throws {
        try startServer(perCaller: 1)
        let first = try await chat("hello", caller: "+15550000001")
        XCTAssertEqual(first.status, 200)
        let second = try await chat("hello again", caller: "+15550000001")
        XCTAssertEqual(second.status, 429, second.body)
        let other = try await chat("hello", caller: "+15550000002")
        XCTAssertEqual(other.status, 200, "other callers are unaffected")
    }

    func testTheGlobalCapMakesReadyAnswer503() async throws {
        try startServer(maxSessions: 2)
        _ = try await chat("hello", caller: "+1")
        _ = try await chat("hello", caller: "+2")
        let ready = try await request("GET", "/ready")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(ready.json["reason"] as? String, "at capacity")
        let refused = try await chat("hello", caller: "+3")
        XCTAssertEqual(refused.status, 503)
    }

    func testDrainStopsNewSessionsAndEndsLiveOnesWithShutdownAtTheDeadline() async throws {
        try startServer(drainSeconds: 0.3)
        let live = try await chat("what's my balance", caller: "+15550000009")
        XCTAssertEqual(live.status, 200)
        let drained = expectation(description: "drained")
        server.drain { drained.fulfill() }
        let ready = try await request("GET", "/ready")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(ready.json["reason"] as? String, "draining")
        let refused = try await chat("hello", caller: "+15550000010")
        XCTAssertEqual(refused.status, 503)
        await fulfillment(of: [drained], timeout: 5)
        let previous = await withCheckedContinuation { c in persistence.previousSessions(tenant: "demo", caller: "+15550000009") { c.resume(returning: $0) } }
        XCTAssertEqual(previous.count, 1, "the live session was persisted")
        XCTAssertTrue(previous.first?.contains("\"outcome\":\"shutdown\"") ?? false, "\(previous)")
    }
}
