import Dispatch
import Foundation
import HostNet
import HostSessions
import HostSupport
import HostTestSupport
import Synchronization
import XCTest

final class SessionJournalTests: SessionTestCase {
    private func journalLines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// THE fault test: Redis stops while sessions keep finishing; nothing is lost.
    func testRedisStoppedMidRunLosesNoSession() throws {
        let metrics = MetricsRegistry()
        let journalPath = directory + "/journal.jsonl"
        let service = service(journal: journalPath, metrics: metrics)
        waitConnected(service.connection)
        XCTAssertEqual(metrics.gauge("agent_host_redis_up"), 1)

        // A steady stream of finished sessions (6 callers, 10 each), one every 10 ms.
        let total = 60
        let callers = (0..<6).map { "+1555000\($0)" }
        let outcomes = Mutex<[Int: SessionJournal.SaveOutcome]>([:])
        let producer = DispatchGroup()
        let sessions = (0..<total).map { interaction("fault-\($0)", offset: Double($0)) }
        producer.enter()
        DispatchQueue.global().async {
            for n in 0..<total {
                service.save(sessions[n], tenant: "acme", caller: callers[n % 6]) { outcome in
                    outcomes.withLock { $0[n] = outcome }
                }
                usleep(10_000)
            }
            producer.leave()
        }
        func finished() -> Int { outcomes.withLock { $0.count } }

        XCTAssertTrue(eventually(10) { finished() >= 15 })
        redis.stop(persist: true)  // every acknowledged write survives in dump.rdb

        XCTAssertTrue(eventually(10) { finished() >= 40 })
        XCTAssertEqual(service.health.status, .degraded)
        XCTAssertGreaterThan(service.journal.depth, 0)
        XCTAssertGreaterThan(journalLines(journalPath).count, 0, "journaled saves are on disk")
        XCTAssertEqual(metrics.gauge("agent_host_redis_up"), 0)
        XCTAssertEqual(metrics.gauge("agent_host_session_journal_depth"), Double(service.journal.depth))
        XCTAssertTrue(service.health.reason?.contains("waiting in the journal") == true, service.health.description)
        // A caller calling back now still sees their journaled sessions.
        let whileDown: [SessionRecord.Interaction]? = waitFor { service.interactions(tenant: "acme", caller: callers[0], completion: $0) }
        XCTAssertFalse(whileDown?.isEmpty ?? true)

        try redis.start()
        XCTAssertEqual(producer.wait(timeout: .now() + 20), .success)
        XCTAssertTrue(eventually(10) { finished() == total })
        XCTAssertTrue(eventually(15) { service.journal.depth == 0 && service.health.status == .ok },
                      "journal not drained: \(service.health)")

        let all = outcomes.withLock { $0 }
        XCTAssertEqual(all.values.filter { if case .lost = $0 { return true } else { return false } }.count, 0)
        XCTAssertGreaterThan(all.values.filter { $0 == .journaled }.count, 0)
        for (index, caller) in callers.enumerated() {
            let expected = stride(from: index, to: total, by: 6).map { "fault-\($0)" }
            XCTAssertEqual(try storedSessionIDs(tenant: "acme", caller: caller), expected, "caller \(caller)")
        }
        XCTAssertTrue(eventually(2) { self.journalLines(journalPath).isEmpty }, "journal compacted after replay (50 ms after the last record landed)")
        XCTAssertEqual(metrics.gauge("agent_host_redis_up"), 1)
        XCTAssertEqual(metrics.gauge("agent_host_session_journal_depth"), 0)
        let journaled = metrics.counter("agent_host_session_saves_total", labels: ["result": "journaled"])
        XCTAssertEqual(metrics.counter("agent_host_session_saves_total", labels: ["result": "replayed"]), journaled)
        XCTAssertEqual(metrics.counter("agent_host_session_saves_total", labels: ["result": "stored"]) + journaled, Double(total))
    }

    /// A host that died with a journal on disk: the next process replays it at start.
    func testJournalLeftByAPreviousProcessIsReplayedAtStart() throws {
        let journalPath = directory + "/journal.jsonl"
        let nowhere = RedisURL(host: "127.0.0.1", port: try RedisTestServer.freePort())
        do {
            // The previous process: no Redis reachable, three sessions finish.
            let previous = SessionRecordService(url: nowhere, loop: loop, journalPath: journalPath, logger: quietLogger)
            previous.start()
            for n in 1...3 {
                let outcome: SessionJournal.SaveOutcome? = waitFor { previous.save(interaction("old-\(n)", offset: Double(n)), tenant: "acme", caller: "+1777", completion: $0) }
                XCTAssertEqual(outcome, .journaled)
            }
            XCTAssertEqual(previous.journal.depth, 3)
            let closed: Bool? = waitFor { done in previous.close { done(true) } }
            XCTAssertEqual(closed, true)
        }
        XCTAssertEqual(journalLines(journalPath).count, 3)
        // ...and it crashed in the middle of writing a fourth line (never acknowledged).
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: journalPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"v\":1,\"tenant\":\"acme\",\"cal".utf8))
        try handle.close()

        let service = service(journal: journalPath)
        // Wait for the records themselves: depth is 0 before the journal is even loaded.
        XCTAssertTrue(eventually(10) { (try? self.storedSessionIDs(tenant: "acme", caller: "+1777")) == ["old-1", "old-2", "old-3"] })
        XCTAssertTrue(eventually(10) { service.journal.depth == 0 && service.health.status == .ok }, "\(service.health)")
        XCTAssertTrue(eventually(2) { self.journalLines(journalPath).isEmpty }, "the journal forgets what Redis holds")
        let rejected = journalLines(journalPath + ".rejected")
        XCTAssertEqual(rejected.count, 1, "the torn line is set aside, not dropped")
        XCTAssertTrue(rejected.first?.contains("incomplete last line") == true)
    }

    /// Error replies about the server's state (OOM) are retried, not given up on.
    func testSaveRefusedByRedisIsJournaledAndReplayedWhenRedisRecovers() throws {
        let connection = connection()
        waitConnected(connection)
        let store = SessionStore(connection: connection, logger: quietLogger)
        let journal = SessionJournal(store: store, path: directory + "/oom.jsonl", retryMilliseconds: 100,
                                     maxErrorReplies: 3, logger: quietLogger)
        journal.start()
        defer { _ = waitFor { done in journal.close { done(true) } } as Bool? }
        try redis.cli("CONFIG", "SET", "maxmemory", "1")
        let outcome: SessionJournal.SaveOutcome? = waitFor { journal.save(interaction("oom-1"), tenant: "t", caller: "c", completion: $0) }
        XCTAssertEqual(outcome, .journaled)
        usleep(600_000)  // several retries, all refused
        XCTAssertEqual(journal.depth, 1, "a transient refusal must not be moved aside")
        XCTAssertEqual(journal.health.status, .degraded)
        try redis.cli("CONFIG", "SET", "maxmemory", "0")
        XCTAssertTrue(eventually(5) { journal.depth == 0 })
        XCTAssertEqual(try storedSessionIDs(tenant: "t", caller: "c"), ["oom-1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/oom.jsonl.rejected"))
    }

    /// A burst travels pipelined (`SessionJournal.saveWindow` saves in flight on one connection):
    /// Redis refusing writes (OOM) in the middle of it stops the pipeline, and once Redis recovers
    /// every record lands — each caller keeps exactly its last ten — and the file is emptied.
    func testABurstRefusedMidwayLandsWhole() throws {
        let connection = connection()
        waitConnected(connection)
        let store = SessionStore(connection: connection, keep: 10, logger: quietLogger)
        let journalPath = directory + "/burst.jsonl"
        let journal = SessionJournal(store: store, path: journalPath, retryMilliseconds: 100,
                                     maxErrorReplies: 1_000, logger: quietLogger)
        journal.start()
        defer { _ = waitFor { done in journal.close { done(true) } } as Bool? }
        let callers = 20, perCaller = 20
        for n in 0..<(callers * perCaller) {
            if n == callers * perCaller / 2 { try redis.cli("CONFIG", "SET", "maxmemory", "1") }
            journal.save(interaction("b-\(n)", offset: Double(n)), tenant: "t", caller: "c\(n % callers)")
        }
        usleep(300_000)
        XCTAssertGreaterThan(journal.depth, 0, "refused saves wait in the journal")
        try redis.cli("CONFIG", "SET", "maxmemory", "0")
        XCTAssertTrue(eventually(10) { journal.depth == 0 }, "depth \(journal.depth)")
        for caller in 0..<callers {
            let expected = ((perCaller - 10)..<perCaller).map { "b-\(caller + callers * $0)" }
            XCTAssertEqual(try storedSessionIDs(tenant: "t", caller: "c\(caller)"), expected, "caller c\(caller)")
        }
        XCTAssertTrue(eventually(2) { self.journalLines(journalPath).isEmpty }, "the journal forgets what Redis holds")
        XCTAssertFalse(FileManager.default.fileExists(atPath: journalPath + ".rejected"))
    }

    /// With Redis healthy, saves land in Redis (write-ahead through the journal) and the journal
    /// file is truncated once they have.
    func testHealthySavesAreStoredDirectly() throws {
        let journalPath = directory + "/journal.jsonl"
        let service = service(journal: journalPath)
        waitConnected(service.connection)
        for n in 1...5 {
            let outcome: SessionJournal.SaveOutcome? = waitFor { service.save(interaction("ok-\(n)", offset: Double(n)), tenant: "acme", caller: "+1888", completion: $0) }
            XCTAssertEqual(outcome, .stored)
        }
        XCTAssertTrue(eventually(2) { journalLines(journalPath).isEmpty }, "the journal forgets what Redis holds")
        XCTAssertEqual(service.health, SessionHealth(status: .ok, reason: nil, redis: .connected, journalDepth: 0))
        let previous: [String]? = waitFor { service.previousSessions(tenant: "acme", caller: "+1888", limit: 3, completion: $0) }
        XCTAssertEqual(previous?.count, 3)
        XCTAssertTrue(previous?.last?.contains("\"session_id\":\"ok-5\"") == true)
    }
}
