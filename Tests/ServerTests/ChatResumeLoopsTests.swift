import Foundation
import Glibc
import Host
import HostTestSupport
import XCTest

/// Every loop of one host holds owner leases under the host's one identity (docs/scaling.md,
/// "Owner leases"), so the lease cannot keep two loops of a host from resuming one conversation
/// at once; the host's own claim does (SessionCounts.beginResume). Real hosts: the one a
/// conversation began on is SIGKILLed, and requests for it race into a host serving two loops.
final class ChatResumeLoopsTests: HostProcessTestCase {
    final class Replies: @unchecked Sendable {
        private let lock = NSLock()
        private var replies: [Reply] = []
        func add(_ reply: Reply) { lock.withLock { replies.append(reply) } }
        var all: [Reply] { lock.withLock { replies } }
    }

    func testRacingRequestsOnTwoLoopsResumeAConversationOnce() throws {
        let first = try startHost("first")
        let second = try startHost("second", server: "  loops: 2\n")
        var ids: [String] = []
        for index in 0..<3 {
            let opened = try post(first.url + "/v1/chat", #"{"caller":"+1555447000\#(index)","text":"I need a refund for order ORD-12345"}"#)
            XCTAssertEqual(opened.status, 200, opened.body)
            ids.append(opened.sessionID)
        }
        for id in ids { XCTAssertTrue(try eventually(5) { !(try chatCheckpoint(of: id)).isEmpty }, "no checkpoint after the turn") }
        kill(first.pid, SIGKILL)
        _ = waitForExit(first)

        // Six requests at once per conversation: the kernel spreads their connections over both loops.
        for id in ids {
            let replies = Replies()
            let request = ["-s", "-w", "\n%{http_code}", "--data-binary", #"{"session_id":"\#(id)","text":"yes"}"#, second.url + "/v1/chat"]
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                if let reply = try? Self.curl(request) { replies.add(reply) }
            }
            let statuses = replies.all.map(\.status)
            XCTAssertEqual(statuses.count, 6)
            XCTAssertTrue(statuses.contains(200), "\(replies.all.map(\.body))")
            // The others were told the session is busy (a turn in progress, or being resumed on the other loop).
            XCTAssertTrue(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(replies.all.map(\.body))")
            XCTAssertFalse(replies.all.contains { $0.json["code"] as? String == "session_owned" }, "a loop of the host refused its own lease")
        }
        // One copy of each: resumed once, three live sessions on the host.
        XCTAssertEqual(try metric(second, "agent_host_sessions_resumed_total{tenant=\"demo\"}"), 3)
        XCTAssertEqual(try get(second.url + "/health").json["active_sessions"] as? Int, 3)
    }
}
