import Foundation
import HostSessions
import XCTest

/// Owner leases against a real redis-server (docs/protocol.md §7): the event loops of one process
/// hold their leases with texts of their own (`loop`), so two loops recovering one call cannot take
/// or release each other's lease; and an ended conversation's lease key keeps the ended marker,
/// which every compare-and-set of a stale holder fails against.
final class ChatOwnerLeaseLoopsTests: SessionTestCase {
    func testTwoLoopsOfOneProcessNeitherTakeNorReleaseEachOthersLease() throws {
        let process = ChatOwner(hostID: "web-1-8080", address: "http://127.0.0.1:8080")
        let connections = [connection(), connection(on: makeLoop("loop-1"))]
        for each in connections { waitConnected(each) }
        let loop0 = RedisChatOwnerLeases(connection: connections[0], me: process.onLoop(0), logger: quietLogger)
        let loop1 = RedisChatOwnerLeases(connection: connections[1], me: process.onLoop(1), logger: quietLogger)
        let key = ChatOwner.key(tenant: "acme", sessionID: "call-1")

        XCTAssertEqual(waitFor { loop0.claim(tenant: "acme", sessionID: "call-1", replacing: nil, completion: $0) }, .claimed)
        // The other loop recovering the same call finds the lease held, by this very process.
        let found = waitFor { loop1.claim(tenant: "acme", sessionID: "call-1", replacing: nil, completion: $0) }
        guard case .held(let owner, _)? = found else {
            return XCTFail("a loop took the lease another loop of its process holds: \(String(describing: found))")
        }
        XCTAssertEqual(owner?.instance, process.instance)
        XCTAssertEqual(owner?.loop, 0)
        // Its release (it gave the call up) leaves the holder's lease alone.
        loop1.release(tenant: "acme", sessionID: "call-1")
        loop1.end(tenant: "acme", sessionID: "call-1")
        XCTAssertEqual(waitFor { loop1.claim(tenant: "acme", sessionID: "other", replacing: nil, completion: $0) }, .claimed, "a round trip after the release")
        XCTAssertEqual(try redis.cli("GET", key), process.onLoop(0).jsonText(), "one loop released another's lease")
    }

    func testAnEndedConversationsLeaseRefusesEveryStaleHolder() throws {
        let connections = [connection(), connection(on: makeLoop("second"))]
        for each in connections { waitConnected(each) }
        let first = RedisChatOwnerLeases(connection: connections[0], me: ChatOwner(hostID: "first", address: "http://127.0.0.1:1"), logger: quietLogger)
        let second = RedisChatOwnerLeases(connection: connections[1], me: ChatOwner(hostID: "second", address: "http://127.0.0.1:2"),
                                          endedTTLSeconds: 600, logger: quietLogger)
        let key = ChatOwner.key(tenant: "demo", sessionID: "s-1")
        XCTAssertEqual(waitFor { second.claim(tenant: "demo", sessionID: "s-1", replacing: nil, completion: $0) }, .claimed)
        second.end(tenant: "demo", sessionID: "s-1")
        XCTAssertTrue(eventually(5) { ChatOwner.isEnded((try? self.redis.cli("GET", key)) ?? "") })
        let ttl = Int(try redis.cli("TTL", key)) ?? -2
        XCTAssertTrue((1...600).contains(ttl), "the marker lapses by itself: TTL \(ttl)")

        // The stale first host: its claim, its renewal, its end and its checkpoint write all fail.
        XCTAssertEqual(waitFor { first.claim(tenant: "demo", sessionID: "s-1", replacing: nil, completion: $0) }, .ended)
        let lost = waitFor { (done: @escaping @Sendable ([String]) -> Void) in first.renew([(tenant: "demo", sessionID: "s-1")], lost: done) }
        XCTAssertEqual(lost, ["s-1"], "the renewal took an ended conversation's lease")
        first.end(tenant: "demo", sessionID: "s-1")
        let checkpoints = RedisChatCheckpoints(connection: connections[0], ttlSeconds: 60, logger: quietLogger)
        let checkpoint = ChatCheckpoint(sessionID: "s-1", tenant: "demo", caller: "+15550001111", currentAgent: "com.agenthost.support.triage",
                                        agentStates: [:], history: [], turnNumber: 3, agentsVisited: [], toolsCalled: [], previousSessions: [],
                                        startedAt: "2026-12-06T00:00:00.000Z", updatedAt: "2026-12-06T00:00:00.000Z")
        XCTAssertEqual(waitFor { checkpoints.save(checkpoint, owner: first.me, outcome: $0) }, .ended)
        XCTAssertEqual(try redis.cli("EXISTS", ChatCheckpoint.key(tenant: "demo", sessionID: "s-1")), "0")
        let marker = try redis.cli("GET", key)
        XCTAssertTrue(ChatOwner.isEnded(marker) && marker.contains("http://127.0.0.1:2"), "the stale host changed the marker: \(marker)")
    }
}
