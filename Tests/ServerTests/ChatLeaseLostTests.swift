import Foundation
import Glibc
import Host
import HostNet
import HostTestSupport
import XCTest

/// A host that hung past its owner lease's TTL must not go on serving the conversations another
/// host took over meanwhile (docs/scaling.md, "Owner leases"): two real `agent-host serve` and a
/// real redis-server. The first host is frozen (SIGSTOP) until its leases lapse; the second takes
/// its two conversations over (one over HTTP, one over a chat socket); the first is thawed with a
/// caller's words waiting for it. Its copies end (`end` `moved_to_another_host`; its next HTTP
/// request gets `409 session_owned`), the second host's checkpoints are not overwritten, and each
/// conversation is recorded once, by the host that ended it.
final class ChatLeaseLostTests: HostProcessTestCase {
    func testAHostThawedAfterItsConversationsWereTakenOverEndsItsCopiesAndWritesNothing() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let httpCaller = "+15554460001", socketCaller = "+15554460002"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(httpCaller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let httpID = opened.sessionID
        let socket = try BlockingWebSocket(url: webSocketBase(first) + "/ws/chat/%2B15554460002")
        let socketID = try XCTUnwrap(chatEvents(socket, until: "session").last?["session_id"] as? String)
        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(chatEvents(socket, until: "turn_end").last?["type"] as? String, "turn_end")
        for id in [httpID, socketID] {
            XCTAssertTrue(try eventually(5) { try chatOwner(of: id)["address"] as? String == first.url }, "no lease naming the first host")
            XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty }, "no checkpoint after the turn")
        }

        // The first host hangs: nothing renews its leases, which lapse after their TTL (15 s).
        XCTAssertTrue(try freeze(first, untilLeasesLapse: [httpID, socketID]), "the frozen host's leases did not lapse")

        // The second host takes both over (the balancer sent the callers there).
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(httpID)","text":"yes"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        let again = try BlockingWebSocket(url: webSocketBase(second) + "/ws/chat/%2B15554460002?session_id=\(socketID)")
        again.send(text: #"{"type":"text","text":"yes"}"#)
        XCTAssertEqual(chatEvents(again, until: "turn_end").last?["type"] as? String, "turn_end")
        var taken: [String: String] = [:]
        for id in [httpID, socketID] {
            XCTAssertEqual(try chatOwner(of: id)["address"] as? String, second.url)
            XCTAssertTrue(try eventually(5) { try chatCheckpoint(of: id).contains("\"turn_number\":2") }, "the second host's turn was not checkpointed")
            taken[id] = try chatCheckpoint(of: id)
        }

        // The first host's caller types while it is frozen; it reads the words when it wakes.
        socket.send(text: #"{"type":"text","text":"what are your store hours?"}"#)
        thaw(first)

        // Its copies end: the socket gets `end` saying where the conversation went, then closes.
        let tail = chatEvents(socket, until: "end")
        XCTAssertEqual(tail.last?["type"] as? String, "end", "\(tail)")
        XCTAssertEqual(tail.last?["reason"] as? String, "moved_to_another_host", "\(tail)")
        guard case .closed = socket.receive(timeoutSeconds: 5) else { return XCTFail("the socket stayed open after end") }
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_sessions_moved_away_total{tenant=\"demo\"}") == 2 },
                      "the first host kept a copy: \(first.logText.suffix(2000))")
        // Its HTTP client's next request there is told who serves the conversation now.
        let stale = try post(first.url + "/v1/chat", #"{"session_id":"\#(httpID)","text":"hello?"}"#)
        XCTAssertEqual(stale.status, 409, stale.body)
        XCTAssertEqual(stale.json["code"] as? String, "session_owned", stale.body)
        XCTAssertEqual((stale.json["owner"] as? [String: Any])?["address"] as? String, second.url, stale.body)
        // Nothing of the first host's copies reached Redis: the second host's checkpoints and
        // leases stand, and no record was written.
        for id in [httpID, socketID] {
            XCTAssertEqual(try chatCheckpoint(of: id), taken[id], "the thawed host overwrote the new owner's checkpoint")
            XCTAssertEqual(try chatOwner(of: id)["address"] as? String, second.url)
        }
        XCTAssertEqual(try storedSessionIDs(caller: httpCaller), [])
        XCTAssertEqual(try storedSessionIDs(caller: socketCaller), [])

        // They end on the second host: one record each, its outcome, every turn of both hosts.
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(httpID)","end":true}"#).types.last, "end")
        again.send(text: #"{"type":"end"}"#)
        XCTAssertEqual(chatEvents(again, until: "end").last?["reason"] as? String, "caller_hangup")
        XCTAssertTrue(try eventually(5) { try storedSessionIDs(caller: socketCaller) == [socketID] })
        XCTAssertEqual(try storedSessionIDs(caller: httpCaller), [httpID])
        // The first host drains and exits without writing either of them again.
        kill(first.pid, SIGTERM)
        XCTAssertEqual(waitForExit(first), 0)
        for caller in [httpCaller, socketCaller] {
            let record = try redis.cli("GET", "support:session:demo:\(caller)")
            XCTAssertTrue(record.contains("ORD-12345") && record.contains("\"yes\""), record)
            XCTAssertTrue(record.contains("\"outcome\":\"caller_hangup\""), record)
            XCTAssertFalse(record.contains("moved_to_another_host") || record.contains("store hours"), record)
        }
        XCTAssertEqual(try storedSessionIDs(caller: httpCaller), [httpID])
        XCTAssertEqual(try storedSessionIDs(caller: socketCaller), [socketID])
    }
}
