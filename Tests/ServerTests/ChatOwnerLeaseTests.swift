import Foundation
import Glibc
import Host
import HostNet
import HostTestSupport
import XCTest

/// Two hosts must not serve one conversation at once (docs/scaling.md, "Owner leases"): two real
/// `agent-host serve` sharing a real redis-server. While the host a conversation runs on lives,
/// the other refuses it (409 `session_owned`, naming the owner); once the owner is SIGKILLed the
/// other takes it over at the next request, without waiting for the lease's TTL.
final class ChatOwnerLeaseTests: HostProcessTestCase {
    func testASecondHostRefusesWhileTheOwnerLivesAndTakesOverWhenItIsKilled() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554450001"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        XCTAssertTrue(try eventually(5) { try chatOwner(of: id)["address"] as? String == first.url }, "no lease naming the first host: \((try? chatOwner(of: id)) ?? [:])")
        XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty }, "no checkpoint after the turn")

        // The owner lives: the second host refuses, says who serves it, and leaves the lease alone.
        let refused = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
        XCTAssertEqual(refused.status, 409, refused.body)
        XCTAssertEqual(refused.json["code"] as? String, "session_owned", refused.body)
        XCTAssertEqual((refused.json["owner"] as? [String: Any])?["address"] as? String, first.url, refused.body)
        XCTAssertTrue((refused.json["error"] as? String ?? "").contains("AGENT_HOST cookie"), refused.body)
        XCTAssertEqual(try chatOwner(of: id)["address"] as? String, first.url)
        // The conversation goes on where it is, undisturbed.
        let onOwner = try post(first.url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
        XCTAssertEqual(onOwner.status, 200, onOwner.body)
        XCTAssertEqual(onOwner.types.first, "user", onOwner.body)

        // A chat socket asking the second host for it is refused the same way.
        let socket = try BlockingWebSocket(url: webSocketBase(second) + "/ws/chat/%2B15554450001?session_id=\(id)")
        XCTAssertEqual(chatEvents(socket, until: "error").compactMap { $0["code"] as? String }, ["session_owned"])

        // The owner dies: the very next request to the second host takes the conversation over
        // (the lease's TTL has not run out: the dead owner's port refused the probe).
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)
        let started = Date()
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"what are your store hours?"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(next.sessionID, id)
        XCTAssertFalse(next.types.contains("session"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "taking over waited for something (the lease's TTL is 15 s)")
        XCTAssertEqual(try chatOwner(of: id)["address"] as? String, second.url, "the lease still names the dead host")
        XCTAssertEqual(try metric(second, "agent_host_sessions_resumed_total{tenant=\"demo\"}"), 1)

        // It ends on the second host: one record with every turn, checkpoint gone, and the lease
        // replaced by the ended marker (docs/protocol.md §7), which nobody can take.
        let end = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#)
        XCTAssertEqual(end.types.last, "end", end.body)
        XCTAssertEqual(try storedSessionIDs(caller: caller), [id])
        let record = try redis.cli("GET", "support:session:demo:\(caller)")
        XCTAssertTrue(record.contains("ORD-12345") && record.contains("store hours"), record)
        XCTAssertTrue(try eventually(5) { try redis.cli("GET", "support:chat-owner:demo:\(id)").hasPrefix(#"{"ended_at":"#) },
                      "the lease outlived its conversation: \((try? redis.cli("GET", "support:chat-owner:demo:\(id)")) ?? "")")
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"again"}"#).status, 404, "an ended conversation was continued")
    }

    /// The lease is renewed while the conversation is idle, and not taken from a live owner that
    /// merely has not spoken for longer than the lease's TTL.
    func testAnIdleConversationKeepsItsOwner() throws {
        let first = try startHost("first")
        let opened = try post(first.url + "/v1/chat", #"{"caller":"+15554450002","text":"hello"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        XCTAssertTrue(try eventually(5) { try chatOwner(of: id)["address"] as? String == first.url })
        let ttl = Int(try redis.cli("PTTL", "support:chat-owner:demo:\(id)")) ?? -2
        XCTAssertGreaterThan(ttl, 0, "a lease must lapse by itself when its host stops renewing it")
        XCTAssertLessThanOrEqual(ttl, 15_000)
        // Renewed (every 5 s): 11 s on, an unrenewed lease would have 4 s left; a renewed one has more than 8.
        Thread.sleep(forTimeInterval: 11)
        XCTAssertGreaterThan(Int(try redis.cli("PTTL", "support:chat-owner:demo:\(id)")) ?? -2, 8_000, "the lease was not renewed")
    }
}
