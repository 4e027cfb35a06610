import Foundation
import HostSessions
import HostTestSupport
import Synchronization
import XCTest

/// The journal with `replica_acks` (docs/operations.md, "Redis Sentinel") against a real master
/// and replica: a burst lands a window at a time, each window behind one `WAIT`; while the replica
/// is away the records wait in the journal (NOREPLICAS) on a connection that stays up, and they
/// land once the replica is back.
final class SessionJournalReplicaTests: SessionTestCase {
    var servers: RedisSentinelTestSet!

    /// A master (`dataPorts[0]`) and its replica (`dataPorts[1]`), no sentinels.
    override func setUpWithError() throws {
        try super.setUpWithError()
        servers = try RedisSentinelTestSet()
        try servers.startMasterAndReplica()
    }

    override func tearDown() {
        super.tearDown()
        servers?.stopAll()
    }

    func testRecordsWaitForAnAbsentReplicaOnAConnectionThatStaysUp() throws {
        let (master, replica) = (servers.dataPorts[0], servers.dataPorts[1])
        let servers: RedisSentinelTestSet = self.servers
        let replicas = { ((try? servers.cli(master, ["INFO", "replication"])) ?? "").contains("connected_slaves:1") }
        XCTAssertTrue(eventually(10) { replicas() }, "the replica attached")

        let connection = connection(RedisURL(host: "127.0.0.1", port: master))
        waitConnected(connection)
        let drops = Mutex(0)
        connection.observeState { state in if state != .connected { drops.withLock { $0 += 1 } } }
        let store = SessionStore(connection: connection, replicaAcks: 1, logger: quietLogger)
        let journal = SessionJournal(store: store, path: directory + "/replicated.jsonl", retryMilliseconds: 200, logger: quietLogger)
        journal.start()
        defer { _ = waitFor(10) { done in journal.close { done(true) } } as Bool? }

        let callers = 10
        for n in 0..<100 { journal.save(interaction("r-\(n)", offset: Double(n)), tenant: "t", caller: "c\(n % callers)") }
        // Wait for the records themselves: depth is 0 before the journal has even taken them.
        XCTAssertTrue(eventually(10) { (try? self.keptIDs(master, caller: 0)) == (0..<10).map { "r-\($0 * callers)" } })
        XCTAssertTrue(eventually(10) { journal.depth == 0 }, "a burst lands: depth \(journal.depth)")

        servers.kill(replica)
        XCTAssertTrue(eventually(5) { !replicas() }, "the master saw the replica go")
        for n in 100..<140 { journal.save(interaction("r-\(n)", offset: Double(n)), tenant: "t", caller: "c\(n % callers)") }
        usleep(2_500_000)  // several WAITs of 250 ms and retries
        XCTAssertEqual(journal.depth, 40, "without a replica's ack nothing leaves the journal")
        XCTAssertEqual(journal.health.status, .degraded)
        XCTAssertEqual(drops.withLock { $0 }, 0, "WAITs that time out on the server never time out the connection")

        try servers.startData(replica, replicaOf: master)
        XCTAssertTrue(eventually(20) { journal.depth == 0 }, "they land once the replica is back: depth \(journal.depth)")
        for caller in 0..<callers {
            XCTAssertEqual(try keptIDs(master, caller: caller), (4..<14).map { "r-\(caller + callers * $0)" },
                           "caller c\(caller) keeps its last ten, in order")
        }
        XCTAssertEqual(drops.withLock { $0 }, 0)
    }

    /// The connected server demoted to a replica (a failover seen through a plain `url`): every
    /// save answers READONLY and the window's WAIT an error. Those are about the server, not the
    /// records: they wait, however many retries pass, and none is set aside; they land once the
    /// server is a master with a replica again.
    func testADemotedMasterSetsNoRecordAside() throws {
        let (first, second) = (servers.dataPorts[0], servers.dataPorts[1])
        let connection = connection(RedisURL(host: "127.0.0.1", port: first))
        waitConnected(connection)
        let store = SessionStore(connection: connection, replicaAcks: 1, logger: quietLogger)
        let path = directory + "/demoted.jsonl"
        let journal = SessionJournal(store: store, path: path, retryMilliseconds: 100, maxErrorReplies: 2, logger: quietLogger)
        journal.start()
        defer { _ = waitFor(10) { done in journal.close { done(true) } } as Bool? }

        _ = try servers.cli(second, ["REPLICAOF", "NO", "ONE"])
        _ = try servers.cli(first, ["REPLICAOF", "127.0.0.1", String(second)])
        for n in 0..<20 { journal.save(interaction("d-\(n)", offset: Double(n)), tenant: "t", caller: "c\(n % 2)") }
        usleep(1_500_000)  // about ten retries, five times maxErrorReplies
        XCTAssertEqual(journal.depth, 20, "every record waits")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".rejected"), "none is set aside")

        _ = try servers.cli(first, ["REPLICAOF", "NO", "ONE"])
        _ = try servers.cli(second, ["REPLICAOF", "127.0.0.1", String(first)])
        XCTAssertTrue(eventually(20) { journal.depth == 0 }, "they land once it is a master again: depth \(journal.depth)")
        XCTAssertEqual(try keptIDs(first, caller: 0), (0..<10).map { "d-\($0 * 2)" })
        XCTAssertEqual(try keptIDs(first, caller: 1), (0..<10).map { "d-\($0 * 2 + 1)" })
    }

    /// The session ids caller `c<caller>`'s record keeps on the server at `port`.
    private func keptIDs(_ port: Int, caller: Int) throws -> [String] {
        let text = try servers.cli(port, ["GET", SessionRecord.key(tenant: "t", caller: "c\(caller)")])
        guard !text.isEmpty else { return [] }
        let record = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return (record?["interactions"] as? [[String: Any]] ?? []).compactMap { $0["session_id"] as? String }
    }
}
