import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// `redis.replica_acks` through a real `agent-host serve` (docs/operations.md, "Why
/// `replica_acks`") against a real master and replica: the session journal's windows of saves,
/// each closed by one `WAIT`, when the replica goes away and when the master is demoted.
final class ReplicaAcksServeTests: HostProcessTestCase {
    var servers: RedisSentinelTestSet!

    override func setUpWithError() throws {
        try super.setUpWithError()
        servers = try RedisSentinelTestSet()
        try servers.startMasterAndReplica()
    }

    override func tearDown() {
        super.tearDown()
        servers?.stopAll()
    }

    var master: Int { servers.dataPorts[0] }
    var replica: Int { servers.dataPorts[1] }

    /// A host on the master by `url`, waiting for one replica's acknowledgement of each record.
    func launchOnMaster(_ name: String) throws -> Host {
        let port = try LoopbackPort.free()
        let path = directory.file("\(name).yaml")
        let yaml = demoYAML(port: port, journal: name).replacingOccurrences(
            of: "  url: \"\(redis.url)\"", with: "  url: \"redis://127.0.0.1:\(master)\"\n  replica_acks: 1\n  command_timeout_ms: 500")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost(name, config: path, port: port)
        XCTAssertTrue(eventually(10) { host.logText.contains("connected to redis://127.0.0.1:\(master)") }, host.logText)
        return host
    }

    /// Whole chat sessions (start, end), one caller each; their (caller, session id).
    func sessions(_ count: Int, on host: Host, from first: Int) throws -> [(caller: String, id: String)] {
        try (first..<(first + count)).map { n in
            let caller = "+1555777\(String(format: "%04d", n))"
            let start = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","text":"hello"}"#)
            XCTAssertEqual(start.status, 200, start.body)
            XCTAssertEqual(try post(host.url + "/v1/chat", #"{"session_id":"\#(start.sessionID)","end":true}"#).status, 200)
            return (caller, start.sessionID)
        }
    }

    func journalDepth(_ host: Host) -> Int? { (try? get(host.url + "/health").json["session_journal_depth"]) as? Int }

    func missing(_ ids: [(caller: String, id: String)]) throws -> [String] {
        try ids.filter { !(try servers.cli(master, ["GET", "support:session:demo:\($0.caller)"])).contains($0.id) }.map(\.id)
    }

    /// The replica killed: ended sessions' records wait in the journal (`/health` degraded) on a
    /// connection that never drops, and all land in the master when the replica is back.
    func testRecordsWaitForAnAbsentReplicaWhileTheHostStaysConnected() throws {
        let host = try launchOnMaster("replica-away")
        var ids = try sessions(5, on: host, from: 0)
        XCTAssertTrue(eventually(10) { journalDepth(host) == 0 }, "with the replica up records land")

        servers.kill(replica)
        ids += try sessions(20, on: host, from: 5)
        sleep(2)  // several WAITs of 250 ms and journal retries
        let health = try get(host.url + "/health").json
        XCTAssertEqual(health["session_journal_depth"] as? Int, 20, "\(health)")
        XCTAssertEqual(health["status"] as? String, "degraded")
        XCTAssertFalse(host.logText.contains("reconnecting"), "the connection dropped:\n\(host.logText.suffix(2000))")

        try servers.startData(replica, replicaOf: master)
        XCTAssertTrue(eventually(30) { journalDepth(host) == 0 }, "the journal did not drain: \((try? get(host.url + "/health").body) ?? "")")
        XCTAssertEqual(try missing(ids), [], "records not in the master")
        XCTAssertFalse(host.logText.contains("reconnecting"))
    }

    /// The master demoted to a replica under the host (it keeps its `url`): every save answers
    /// READONLY and each window's WAIT an error. Records wait through many retries and none is
    /// set aside as rejected; they land when it is a master with a replica again.
    func testADemotedMasterSetsNoRecordAside() throws {
        let host = try launchOnMaster("demoted")
        _ = try servers.cli(replica, ["REPLICAOF", "NO", "ONE"])
        _ = try servers.cli(master, ["REPLICAOF", "127.0.0.1", String(replica)])
        let ids = try sessions(10, on: host, from: 100)
        sleep(8)  // the journal retries once a second: more than maxErrorReplies (5) times
        XCTAssertEqual(journalDepth(host), 10)
        let rejected = directory.file("demoted-journal.log") + ".rejected"
        XCTAssertFalse(FileManager.default.fileExists(atPath: rejected),
                       "records set aside: \((try? String(contentsOfFile: rejected, encoding: .utf8)) ?? "")")

        _ = try servers.cli(master, ["REPLICAOF", "NO", "ONE"])
        _ = try servers.cli(replica, ["REPLICAOF", "127.0.0.1", String(master)])
        XCTAssertTrue(eventually(30) { journalDepth(host) == 0 }, "the journal did not drain: \((try? get(host.url + "/health").body) ?? "")")
        XCTAssertEqual(try missing(ids), [], "records not in the master")
    }
}
