import Foundation
import TestSupport
import XCTest

/// Nothing the host acknowledged is lost (issue #10, items 1 and 2): Redis goes away, the host is
/// drained or SIGKILLed, and every session whose `end` went out is in Redis afterwards — through
/// the real `agent-host serve`, a real redis-server stopped and restarted, and curl.
final class SessionDurabilityTests: HostProcessTestCase {
    /// Opens `count` chat sessions (one turn each); caller → session id.
    private func openSessions(_ host: Host, count: Int, prefix: String) throws -> [String: String] {
        var sessions: [String: String] = [:]
        for n in 0..<count {
            let caller = "+1555\(prefix)\(String(format: "%04d", n))"
            let reply = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","text":"what's my balance"}"#)
            XCTAssertEqual(reply.status, 200, reply.body)
            sessions[caller] = reply.sessionID
        }
        return sessions
    }

    /// Ends each session over HTTP (`"end": true`), `parallel` at a time; every reply must carry `end`.
    private func endSessions(_ host: Host, _ sessions: [String: String], parallel: Bool = false) {
        let list = Array(sessions)
        let replies = LockedBox<[Reply]>([])
        let end: @Sendable (Int) -> Void = { index in
            let (caller, id) = list[index]
            let body = #"{"caller":"\#(caller)","session_id":"\#(id)","end":true}"#
            guard let result = try? ProcessRunner.run("curl", ["--max-time", "20", "-s", "-w", "\n%{http_code}", "--data-binary", body, host.url + "/v1/chat"]) else { return }
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            replies.mutate { $0.append(Reply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))) }
        }
        if parallel {
            DispatchQueue.concurrentPerform(iterations: list.count, execute: end)
        } else {
            for index in list.indices { end(index) }
        }
        let all = replies.mutate { $0 }
        XCTAssertEqual(all.count, list.count)
        for reply in all {
            XCTAssertEqual(reply.status, 200, reply.body)
            XCTAssertEqual(reply.types.last, "end", reply.body)
        }
    }

    private func journalLines(_ name: String) -> Int {
        ((try? String(contentsOfFile: directory.file("\(name)-journal.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").count
    }

    /// Redis is killed with 50 live chat sessions, which then end: the host says it is degraded,
    /// counts 50 records journaled and none lost, and all 50 land in Redis when it returns.
    func testSessionsThatEndWhileRedisIsDownAreAllInRedisWhenItReturns() throws {
        let host = try startHost("outage")
        let sessions = try openSessions(host, count: 50, prefix: "301")
        redis.kill()
        endSessions(host, sessions)

        let health = try get(host.url + "/health")
        XCTAssertTrue(health.body.contains(#""status":"degraded""#), health.body)
        XCTAssertTrue(health.body.contains("50 session record(s) waiting in the journal"), health.body)
        XCTAssertEqual(journalLines("outage"), 50, "the records are on disk")
        XCTAssertEqual(try metric(host, #"agent_host_session_records_total{result="journaled"}"#), 50)
        XCTAssertEqual(try metric(host, #"agent_host_session_records_total{result="lost"}"#), 0)

        try redis.start()
        XCTAssertTrue(try eventually(20) {
            try sessions.allSatisfy { caller, id in try storedSessionIDs(caller: caller) == [id] }
        }, "every record replayed into Redis")
        XCTAssertTrue(try eventually(5) { try get(host.url + "/health").body.contains(#""status":"ok""#) })
        XCTAssertEqual(try metric(host, #"agent_host_session_records_total{result="saved"}"#), 50)
    }

    /// SIGTERM while Redis is down: the drain ends with the records in the journal and says so
    /// with a non-zero exit; the next host started with that journal puts them in Redis.
    func testADrainThatCannotReachRedisExitsNonZeroAndTheNextHostReplaysTheJournal() throws {
        let host = try startHost("drain-down", journal: "shared", drainSeconds: 1)
        let sessions = try openSessions(host, count: 10, prefix: "302")
        redis.kill()
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 1, "a drain that leaves records outside Redis must not exit 0:\n\(host.logText)")
        XCTAssertTrue(host.logText.contains("10 session record(s) are not in Redis"), host.logText)
        XCTAssertEqual(journalLines("shared"), 10)

        try redis.start()
        _ = try startHost("drain-next", journal: "shared")
        XCTAssertTrue(try eventually(20) {
            try sessions.allSatisfy { caller, id in try storedSessionIDs(caller: caller) == [id] }
        }, "the journal left by the drained host was replayed")
        XCTAssertTrue(try redis.cli("GET", "support:session:demo:+15553020000").contains(#""outcome":"shutdown""#))
    }

    /// A drain with Redis up exits 0 and leaves an empty journal.
    func testADrainWithRedisUpExitsZero() throws {
        let host = try startHost("drain-up", drainSeconds: 1)
        let sessions = try openSessions(host, count: 3, prefix: "303")
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText)
        for (caller, id) in sessions { XCTAssertEqual(try storedSessionIDs(caller: caller), [id]) }
        XCTAssertEqual(journalLines("drain-up"), 0)
    }

    /// A session whose `end` went out survives a SIGKILL that comes right after, even when Redis
    /// could not take the record yet (frozen): it is in the journal, and the next host replays it.
    func testSIGKILLRightAfterSessionsEndLosesNoneOfThem() throws {
        let host = try startHost("killed", journal: "killed")
        let sessions = try openSessions(host, count: 20, prefix: "304")
        redis.pause()
        endSessions(host, sessions, parallel: true)
        kill(host.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(host))
        redis.resume()

        _ = try startHost("killed-next", journal: "killed")
        XCTAssertTrue(try eventually(20) {
            try sessions.allSatisfy { caller, id in try storedSessionIDs(caller: caller) == [id] }
        }, "every session that received its end is in Redis")
    }

    /// The same with Redis up and fast: whatever was in flight when the host died is replayed.
    func testSIGKILLAsSessionsEndWithRedisUpLosesNone() throws {
        let host = try startHost("killed-up", journal: "killed-up")
        let sessions = try openSessions(host, count: 20, prefix: "305")
        endSessions(host, sessions, parallel: true)
        kill(host.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(host))
        _ = try startHost("killed-up-next", journal: "killed-up")
        XCTAssertTrue(try eventually(20) {
            try sessions.allSatisfy { caller, id in try storedSessionIDs(caller: caller) == [id] }
        })
    }
}
