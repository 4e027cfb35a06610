import Foundation
import Glibc
import HostTestSupport
import XCTest

/// A host hung longer than the session idle timeout wakes with its copy's idle deadline long past:
/// its idle timer ends the copy before its lease renewal can tell it the conversation moved, so
/// that end reaches the record's append. The append refuses a chat conversation's record when
/// another host holds its lease or ended it (docs/protocol.md §4, §7): the record stays the one
/// the new owner wrote, with every turn. Before, the stale copy's end (later) replaced it.
extension ChatLeaseLostTests {
    func testAHostThawedPastTheIdleTimeoutDoesNotRecordItsStaleCopyOverTheNewOwners() throws {
        // Longer than the lease's TTL (15 s), or the checkpoint (kept as long) is gone before anyone
        // may take the conversation over.
        let idleSeconds = 22.0
        let idle = "  limits: {session_idle_timeout_ms: \(Int(idleSeconds * 1000))}"
        let first = try startHost("first", server: idle)
        let second = try startHost("second", server: idle)
        let caller = "+15554460005"
        let lease = "support:chat-owner:demo:"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        let lastTurnOnFirst = Date()
        XCTAssertTrue(try eventually(5) { try chatOwner(of: id)["address"] as? String == first.url }, "no lease of the first host")

        // The first host hangs past its lease's TTL; the second continues the conversation and ends it.
        XCTAssertTrue(try freeze(first, untilLeasesLapse: [id]), "the frozen host's lease did not lapse")
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"it arrived broken"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#).types.last, "end")
        XCTAssertTrue(try eventually(5) { try storedSessionIDs(caller: caller) == [id] }, "the second host did not record it: \(second.logText.suffix(3000))")
        let record = try redis.cli("GET", "support:session:demo:\(caller)")
        XCTAssertTrue(record.contains("it arrived broken"), "the new owner's turn is in the record: \(record)")

        // The first host wakes past its copy's idle deadline: the copy ends there.
        let idleDeadline = lastTurnOnFirst.addingTimeInterval(idleSeconds + 1)
        if idleDeadline > Date() { usleep(useconds_t(idleDeadline.timeIntervalSinceNow * 1_000_000)) }
        thaw(first)
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_active_sessions") == 0 }, "the woken host kept its copy")
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_session_journal_depth") == 0 }, "the woken host's journal did not settle")
        XCTAssertEqual(try redis.cli("GET", "support:session:demo:\(caller)"), record,
                       "the woken host's stale copy replaced the new owner's record: \(first.logText.suffix(1500))")
        XCTAssertTrue(try redis.cli("GET", lease + id).contains(second.url), "the ended marker is the second host's")
    }
}
