import Foundation
import HostSessions
import XCTest

/// The call checkpoints of docs/protocol.md §8 against a real redis-server: found by caller,
/// taken by one host only, gone when their call ends, and kept no longer than their TTL.
final class CallCheckpointStoreTests: SessionTestCase {
    func checkpoint(_ id: String, caller: String = "+15550001111", agent: String = "com.agenthost.support.refund") -> ChatCheckpoint {
        var checkpoint = ChatCheckpoint(sessionID: id, tenant: "acme", caller: caller, currentAgent: agent, agentStates: [agent: #"{"awaiting":"order_id"}"#],
                                        history: [.init(role: "user", agent: nil, text: "I need a refund")], turnNumber: 1,
                                        agentsVisited: ["Triage Agent", "Refund Agent"], toolsCalled: [], previousSessions: [],
                                        startedAt: "2026-12-06T04:00:00.000Z", updatedAt: "2026-12-06T04:01:00.000Z")
        checkpoint.owner = ChatOwner(hostID: "web-1-8080", address: "http://127.0.0.1:8080")
        return checkpoint
    }

    func testCheckpointsAreFoundByCallerTakenOnceAndRemoved() throws {
        let calls = RedisCallCheckpoints(connection: connection(), ttlSeconds: 60)
        calls.save(checkpoint("call-1"))
        calls.save(checkpoint("call-2"))
        calls.save(checkpoint("call-3", caller: "+15550002222"))
        let found = try XCTUnwrap(waitFor { calls.all(tenant: "acme", caller: "+15550001111", completion: $0) })
        XCTAssertEqual(Set(found.map(\.sessionID)), ["call-1", "call-2"])
        XCTAssertEqual(found.first?.owner?.address, "http://127.0.0.1:8080", "the owner travels with the checkpoint")
        XCTAssertEqual(found.first { $0.sessionID == "call-1" }, checkpoint("call-1").withOwnerOf(found.first { $0.sessionID == "call-1" }))

        // Two hosts take one lost call at once: exactly one gets it.
        let other = RedisCallCheckpoints(connection: connection(on: makeLoop("other-host")), ttlSeconds: 60)
        let first = waitFor { calls.take(tenant: "acme", caller: "+15550001111", sessionID: "call-1", completion: $0) }
        let second = waitFor { other.take(tenant: "acme", caller: "+15550001111", sessionID: "call-1", completion: $0) }
        guard case .taken(let taken)? = first else { return XCTFail("the first take got \(String(describing: first))") }
        XCTAssertEqual(taken.sessionID, "call-1")
        guard case .gone? = second else { return XCTFail("a lost call was taken twice: \(String(describing: second))") }

        calls.remove(tenant: "acme", caller: "+15550001111", sessionID: "call-2")
        let left = try XCTUnwrap(waitFor { calls.all(tenant: "acme", caller: "+15550001111", completion: $0) })
        XCTAssertEqual(left.map(\.sessionID), [])
        XCTAssertEqual(try redis.cli("EXISTS", RedisCallCheckpoints.key(tenant: "acme", caller: "+15550001111")), "0")
        let ttl = Int(try redis.cli("TTL", RedisCallCheckpoints.key(tenant: "acme", caller: "+15550002222"))) ?? -2
        XCTAssertGreaterThan(ttl, 0, "a caller's checkpoints must lapse by themselves")
        XCTAssertLessThanOrEqual(ttl, 60)
    }
}

private extension ChatCheckpoint {
    /// Itself, with the owner's `instance` of `other` (a new one is made with every ChatOwner).
    func withOwnerOf(_ other: ChatCheckpoint?) -> ChatCheckpoint {
        var copy = self
        copy.owner?.instance = other?.owner?.instance ?? ""
        return copy
    }
}
