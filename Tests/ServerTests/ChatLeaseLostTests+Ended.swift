import Foundation
import Glibc
import HostNet
import HostTestSupport
import XCTest

/// A host that hung while another host took its conversation over *and ended it* (docs/protocol.md
/// §7, "Ended"): when the conversation ends, its lease key keeps an ended marker instead of being
/// deleted, so the woken host finds something to compare against. Its lease renewal and its
/// checkpoint write are refused, it ends its copy (`moved_to_another_host`), and nothing of the
/// conversation comes back: no checkpoint, no lease, and the record stays the second host's.
extension ChatLeaseLostTests {
    func testAHostThawedAfterItsConversationWasTakenOverAndEndedBringsNothingBack() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460003"
        let lease = "support:chat-owner:demo:"
        let socket = try BlockingWebSocket(url: webSocketBase(first) + "/ws/chat/%2B15554460003")
        let id = try XCTUnwrap(chatEvents(socket, until: "session").last?["session_id"] as? String)
        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(chatEvents(socket, until: "turn_end").last?["type"] as? String, "turn_end")
        XCTAssertTrue(try eventually(5) { try chatOwner(of: id)["address"] as? String == first.url && !(try chatCheckpoint(of: id)).isEmpty },
                      "no lease or checkpoint of the first host")

        // The first host hangs until its lease lapses; the second takes the conversation and ends it.
        XCTAssertTrue(try freeze(first, untilLeasesLapse: [id]), "the frozen host's lease did not lapse")
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#).types.last, "end")
        XCTAssertTrue(try eventually(5) { try storedSessionIDs(caller: caller) == [id] }, "the second host did not record it")
        XCTAssertTrue(try eventually(5) { try redis.cli("GET", lease + id).hasPrefix(#"{"ended_at":"#) },
                      "no ended marker: \((try? redis.cli("GET", lease + id)) ?? "")")
        let marker = try redis.cli("GET", lease + id)
        XCTAssertTrue(marker.contains(second.url), "the marker names the host that ended it: \(marker)")
        XCTAssertGreaterThan(Int(try redis.cli("TTL", lease + id)) ?? -2, 3_600, "the marker lives as long as the record")
        XCTAssertEqual(try chatCheckpoint(of: id), "")
        let record = try redis.cli("GET", "support:session:demo:\(caller)")

        // The first host wakes with the caller's words waiting for it: its copy ends.
        socket.send(text: #"{"type":"text","text":"what are your store hours?"}"#)
        thaw(first)
        let tail = chatEvents(socket, until: "end")
        XCTAssertEqual(tail.last?["type"] as? String, "end", "the woken host went on with the conversation: \(tail)")
        XCTAssertEqual(tail.last?["reason"] as? String, "moved_to_another_host", "\(tail)")
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_sessions_moved_away_total{tenant=\"demo\"}") == 1 },
                      "the first host kept its copy: \(first.logText.suffix(2000))")
        // Nothing came back: no checkpoint, the marker stands, and asking for it anywhere says it ended.
        XCTAssertEqual(try chatCheckpoint(of: id), "", "the woken host recreated the checkpoint")
        XCTAssertEqual(try redis.cli("GET", lease + id), marker, "the woken host took the lease back")
        for host in [first, second] {
            let stale = try post(host.url + "/v1/chat", #"{"session_id":"\#(id)","text":"hello?"}"#)
            XCTAssertEqual(stale.status, 404, "\(host.url): \(stale.body)")
        }
        // The first host drains and exits without recording it again.
        kill(first.pid, SIGTERM)
        XCTAssertEqual(waitForExit(first), 0)
        XCTAssertEqual(try redis.cli("GET", "support:session:demo:\(caller)"), record, "the woken host replaced the record")
        XCTAssertEqual(try chatCheckpoint(of: id), "")
    }
}
