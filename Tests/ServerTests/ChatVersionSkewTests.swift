import Foundation
import Glibc
import Host
import HostTestSupport
import XCTest

/// During a rolling upgrade hosts of two builds share the Redis (docs/scaling.md, "What that test
/// does and does not prove about a new build"). CI has one build, so the other build's data is
/// written here as it would be: a checkpoint and a lease with fields this build does not know (a
/// newer host), and a conversation with no lease at all (a host from before leases). Two real
/// `agent-host serve` and a real redis-server; the writer is SIGKILLed and the other continues.
final class ChatVersionSkewTests: HostProcessTestCase {
    func testDataOfAnotherBuildIsTakenUp() throws {
        let first = try startHost("first")
        let second = try startHost("second")
        var ids: [String] = []
        for n in 0..<2 {
            let opened = try post(first.url + "/v1/chat", #"{"caller":"+1555447000\#(n)","text":"I need a refund for order ORD-12345"}"#)
            XCTAssertEqual(opened.status, 200, opened.body)
            ids.append(opened.sessionID)
        }
        for id in ids {
            XCTAssertTrue(try eventually(5) { try redis.cli("EXISTS", "support:chat:demo:\(id)", "support:chat-owner:demo:\(id)") == "2" })
        }
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)

        // A newer host's checkpoint and lease: extra fields, here and nested.
        let checkpoint = try redis.cli("GET", "support:chat:demo:\(ids[0])")
        let newer = checkpoint.replacingOccurrences(of: #"{"agent_states""#, with: #"{"added_later":{"x":[1,2]},"agent_states""#)
        XCTAssertNotEqual(newer, checkpoint, "the checkpoint's JSON shape changed: \(checkpoint.prefix(200))")
        _ = try redis.cli("SET", "support:chat:demo:\(ids[0])", newer, "EX", "300")
        let lease = try redis.cli("GET", "support:chat-owner:demo:\(ids[0])")
        _ = try redis.cli("SET", "support:chat-owner:demo:\(ids[0])", lease.replacingOccurrences(of: #"{"address""#, with: #"{"added_later":true,"address""#), "PX", "15000")
        // A host from before leases left none.
        _ = try redis.cli("DEL", "support:chat-owner:demo:\(ids[1])")

        for id in ids {
            let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
            XCTAssertEqual(next.status, 200, next.body)
            XCTAssertEqual(next.json["agent"] as? String, "Refund Agent", next.body)
            XCTAssertTrue(try redis.cli("GET", "support:chat-owner:demo:\(id)").contains(second.url), "the lease does not name the host that took it")
            XCTAssertEqual(try post(second.url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#).types.last, "end")
        }
    }
}
