import Foundation
import Glibc
import HostTestSupport
import XCTest

/// A chat conversation that ends while Redis is away (docs/protocol.md §6, §7): its checkpoint's
/// removal and its ended marker travel with its record through the journal (`ConversationEnd`),
/// so once Redis is back and the journal has drained, no host continues a conversation its caller
/// hung up. Before, both were sent on their own and lost: Redis came back with the checkpoint, and
/// once the lease lapsed any host served the ended conversation again.
final class ChatEndedDuringRedisOutageTests: HostProcessTestCase {
    func testAChatEndedWhileRedisWasAwayIsNotContinuedOnceTheJournalDrains() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460011"
        let lease = "support:chat-owner:demo:"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        XCTAssertFalse(id.isEmpty, opened.body)
        XCTAssertTrue(try eventually(5) {
            let (checkpoint, owner) = (try chatCheckpoint(of: id), try chatOwner(of: id))
            return !checkpoint.isEmpty && !owner.isEmpty
        }, "no checkpoint or lease before the outage")

        // Redis goes away keeping what it holds (the checkpoint, the lease); the caller hangs up.
        redis.stop(persist: true)
        let ended = try post(first.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        XCTAssertEqual(ended.types.last, "end", ended.body)
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_session_journal_depth") == 1 }, "the record is not waiting in the journal")

        // Redis is back with the checkpoint and the lease it saved: the journal drains, and the
        // record's append deletes the checkpoint and leaves the ended marker.
        try redis.start()
        XCTAssertTrue(try eventually(30) { try storedSessionIDs(caller: caller) == [id] }, "the journal did not drain: \(first.logText.suffix(2000))")
        XCTAssertEqual(try chatCheckpoint(of: id), "", "the ended conversation's checkpoint outlived the outage")
        let marker = try redis.cli("GET", lease + id)
        XCTAssertTrue(marker.hasPrefix(#"{"ended_at":"#), "no ended marker after the outage: \(marker)")
        XCTAssertTrue(marker.contains(first.url), "the marker names the host that ended it: \(marker)")

        // However long anyone waits (the old lease would have lapsed by now), no host continues it.
        for host in [second, first] {
            let stale = try post(host.url + "/v1/chat", #"{"session_id":"\#(id)","text":"hello again"}"#)
            XCTAssertEqual(stale.status, 404, "\(host.url) continued an ended conversation: \(stale.body)")
        }
        XCTAssertEqual(try storedSessionIDs(caller: caller), [id], "recorded once")
    }

    /// The same when the host is killed before Redis comes back: the journal line carries the
    /// ending (`"ends"`), and the host started next on the same journal replays both.
    func testAChatEndedWhileRedisWasAwayStaysEndedWhenItsHostDiesAndTheJournalReplaysAtTheNextStart() throws {
        let first = try startHost("first")
        let caller = "+15554460012"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(caller)","text":"I have a question about a charge on my account"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty }, "no checkpoint before the outage")

        redis.stop(persist: true)
        XCTAssertEqual(try post(first.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#).types.last, "end")
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_session_journal_depth") == 1 }, "the record is not waiting in the journal")
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)

        try redis.start()
        let restarted = try startHost("restarted", journal: "first")
        XCTAssertTrue(try eventually(30) { try storedSessionIDs(caller: caller) == [id] }, "the journal did not replay: \(restarted.logText.suffix(2000))")
        XCTAssertEqual(try chatCheckpoint(of: id), "", "the checkpoint came back")
        let marker = try redis.cli("GET", "support:chat-owner:demo:" + id)
        XCTAssertTrue(marker.hasPrefix(#"{"ended_at":"#) && marker.contains(first.url), "the replay did not leave the ended marker: \(marker)")
        let stale = try post(restarted.url + "/v1/chat", #"{"session_id":"\#(id)","text":"hello again"}"#)
        XCTAssertEqual(stale.status, 404, stale.body)
    }
}
