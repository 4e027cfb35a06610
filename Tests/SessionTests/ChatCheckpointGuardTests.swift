import Foundation
import HostSessions
import XCTest

/// A checkpoint write is compare-and-set (docs/protocol.md §6): against a real redis-server, a host
/// that lost the conversation's owner lease, or writes an older turn than the stored one, does not
/// overwrite the checkpoint, and is told why.
final class ChatCheckpointGuardTests: SessionTestCase {
    func checkpoint(turn: Int, said: String) -> ChatCheckpoint {
        ChatCheckpoint(sessionID: "s-1", tenant: "demo", caller: "+15550001111", currentAgent: "com.agenthost.support.refund",
                       agentStates: [:], history: [.init(role: "user", agent: nil, text: said)], turnNumber: turn,
                       agentsVisited: ["Triage Agent"], toolsCalled: [], previousSessions: [],
                       startedAt: "2026-12-06T00:00:00.000Z", updatedAt: "2026-12-06T00:00:00.000Z")
    }

    func testAStaleOwnerOrAnOlderTurnDoesNotOverwriteTheCheckpoint() throws {
        let connection = connection()
        waitConnected(connection)
        let store = RedisChatCheckpoints(connection: connection, ttlSeconds: 60, logger: quietLogger)
        let first = ChatOwner(hostID: "first", address: "http://127.0.0.1:1")
        let second = ChatOwner(hostID: "second", address: "http://127.0.0.1:2")
        let key = ChatCheckpoint.key(tenant: "demo", sessionID: "s-1")
        let lease = ChatOwner.key(tenant: "demo", sessionID: "s-1")

        // No lease (it lapsed, or leases are off): the write goes through.
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 1, said: "first host, turn 1"), owner: first, outcome: $0) }, .stored)
        // The second host took the conversation over and wrote turn 2.
        _ = try redis.cli("SET", lease, second.jsonText(), "PX", "15000")
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 2, said: "second host, turn 2"), owner: second, outcome: $0) }, .stored)
        // The first host, back from a hang, writes its own turn 2: refused, the second's stands.
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 2, said: "first host, turn 2"), owner: first, outcome: $0) }, .ownedElsewhere)
        XCTAssertTrue(try redis.cli("GET", key).contains("second host, turn 2"))
        // Without a lease to compare, an older turn than the stored one is refused too.
        _ = try redis.cli("DEL", lease)
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 1, said: "an older turn"), owner: first, outcome: $0) }, .newer)
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 1, said: "an older turn"), confirmed: $0) }, false, "the unguarded save is guarded by turn as well")
        XCTAssertTrue(try redis.cli("GET", key).contains("second host, turn 2"))
        // The holder of the lease writes its next turn as always; its TTL is set.
        _ = try redis.cli("SET", lease, first.jsonText(), "PX", "15000")
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 3, said: "first host, turn 3"), owner: first, outcome: $0) }, .stored)
        XCTAssertTrue(try redis.cli("GET", key).contains("first host, turn 3"))
        XCTAssertGreaterThan(Int(try redis.cli("TTL", key)) ?? -2, 0)
    }

    /// The script reads the stored turn with a pattern (no JSON decoding in Redis): text that looks
    /// like the key inside the conversation does not fool it.
    func testTheStoredTurnIsReadFromTheCheckpointNotFromItsText() throws {
        let connection = connection()
        waitConnected(connection)
        let store = RedisChatCheckpoints(connection: connection, ttlSeconds: 60, logger: quietLogger)
        let key = ChatCheckpoint.key(tenant: "demo", sessionID: "s-1")
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 2, said: #"my note says "turn_number":99"#), owner: nil, outcome: $0) }, .stored)
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 3, said: "turn 3"), owner: nil, outcome: $0) }, .stored,
                       "a turn after the stored one was refused: the caller's text was read as the turn")
        XCTAssertEqual(waitFor { store.save(checkpoint(turn: 2, said: "turn 2 again"), owner: nil, outcome: $0) }, .newer)
        XCTAssertTrue(try redis.cli("GET", key).contains("turn 3"))
    }
}
