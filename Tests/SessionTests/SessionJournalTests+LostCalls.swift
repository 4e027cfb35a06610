import Foundation
import HostSessions
import HostTestSupport
import XCTest

/// A lost call a sweep records keeps its call checkpoint (HostServer+LostCallSweep.swift), also
/// when the record waited in the journal: the flag travels in the journal line and is replayed by
/// the next process; an ordinary record still takes its call's checkpoint with it.
extension SessionJournalTests {
    func testALostCallsRecordKeepsItsCheckpointThroughTheJournalAndAnOrdinaryOneRemovesIt() throws {
        let journalPath = directory + "/lost-calls.jsonl"
        let hash = RedisCallCheckpoints.key(tenant: "acme", caller: "+1888")
        try redis.cli("HSET", hash, "swept-1", "{}", "ended-1", "{}")
        let nowhere = RedisURL(host: "127.0.0.1", port: try RedisTestServer.freePort())
        do {
            // A process that cannot reach Redis journals both records, then dies.
            let previous = SessionRecordService(url: nowhere, loop: loop, journalPath: journalPath, logger: quietLogger)
            previous.start()
            let swept: SessionJournal.SaveOutcome? = waitFor {
                previous.save(interaction("swept-1", offset: 1), tenant: "acme", caller: "+1888", keepsCallCheckpoint: true, completion: $0)
            }
            let ended: SessionJournal.SaveOutcome? = waitFor { previous.save(interaction("ended-1", offset: 2), tenant: "acme", caller: "+1888", completion: $0) }
            XCTAssertEqual(swept, .journaled)
            XCTAssertEqual(ended, .journaled)
            let closed: Bool? = waitFor { done in previous.close { done(true) } }
            XCTAssertEqual(closed, true)
        }
        let lines = ((try? String(contentsOfFile: journalPath, encoding: .utf8)) ?? "").split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("\"keeps_call_checkpoint\":true") }.count, 1, "\(lines)")

        let service = service(journal: journalPath)
        XCTAssertTrue(eventually(10) { (try? self.storedSessionIDs(tenant: "acme", caller: "+1888")) == ["swept-1", "ended-1"] })
        XCTAssertTrue(eventually(10) { service.journal.depth == 0 }, "\(service.health)")
        XCTAssertEqual(try redis.cli("HKEYS", hash), "swept-1", "the swept call's checkpoint stays; the ended call's goes")
    }
}
