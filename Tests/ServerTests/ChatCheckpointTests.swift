import Foundation
import Glibc
import Host
import HostNet
import HostTestSupport
import XCTest

/// Chat conversations outlive their host (docs/scaling.md): two real `agent-host serve` sharing a
/// real redis-server; the host a conversation began on is SIGKILLed and the other continues it,
/// over `POST /v1/chat` and over a chat WebSocket reconnecting with `?session_id=`.
final class ChatCheckpointTests: HostProcessTestCase {
    func testAConversationContinuesOnAnotherHostWhereItWas() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554440001"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        XCTAssertEqual(opened.json["agent"] as? String, "Refund Agent", opened.body)
        let id = opened.sessionID
        XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty }, "no checkpoint after the turn")
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)

        // Another caller cannot take it over by knowing the id.
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"caller":"+15559999999","session_id":"\#(id)","text":"hi"}"#).status, 403)
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(next.sessionID, id)
        XCTAssertEqual(next.json["agent"] as? String, "Refund Agent", "the conversation went back to the entry agent: \(next.body)")
        XCTAssertFalse(next.types.contains("session"))
        let end = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#)
        XCTAssertEqual(end.types.last, "end", end.body)
        // One record with both hosts' turns; the checkpoint is gone, so the session cannot be revived.
        XCTAssertEqual(try storedSessionIDs(caller: caller), [id])
        let record = try redis.cli("GET", "support:session:demo:\(caller)")
        XCTAssertTrue(record.contains("ORD-12345") && record.contains("\"yes\""), record)
        XCTAssertEqual(try redis.cli("EXISTS", "support:chat:demo:\(id)"), "0")
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"again"}"#).status, 404)
    }

    func testAChatSocketReconnectsToAnotherHostWithItsSessionID() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554440002"
        let socket = try BlockingWebSocket(url: webSocketBase(first) + "/ws/chat/%2B15554440002")
        let opening = chatEvents(socket, until: "session")
        let id = try XCTUnwrap(opening.last?["session_id"] as? String)
        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(chatEvents(socket, until: "turn_end").last?["agent"] as? String, "Refund Agent")
        XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty })
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)

        let base = webSocketBase(second)
        let again = try BlockingWebSocket(url: base + "/ws/chat/%2B15554440002?session_id=\(id)")
        again.send(text: #"{"type":"text","text":"yes"}"#)
        let turn = chatEvents(again, until: "turn_end")
        XCTAssertEqual(turn.first?["type"] as? String, "user", "\(turn)")
        XCTAssertFalse(turn.contains { $0["type"] as? String == "session" })
        XCTAssertEqual(turn.last?["agent"] as? String, "Refund Agent")
        again.send(text: #"{"type":"end"}"#)
        XCTAssertEqual(chatEvents(again, until: "end").last?["reason"] as? String, "caller_hangup")
        XCTAssertTrue(try eventually(5) { try storedSessionIDs(caller: caller) == [id] })

        // An unknown id: an error event and close 1008.
        let unknown = try BlockingWebSocket(url: base + "/ws/chat/%2B15554440002?session_id=nope")
        let refused = chatEvents(unknown, until: "error")
        XCTAssertEqual(refused.last?["code"] as? String, "unknown_session", "\(refused)")
    }
}
