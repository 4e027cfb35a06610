import Foundation
import Glibc
import Host
import HostTestSupport
import Synchronization
import TestSupport
import XCTest

/// `redis: {sentinels, master_name}` against a real Redis Sentinel set-up (one master, one replica,
/// three sentinels, all real `redis-server` processes on loopback) and a real `agent-host serve`:
/// chat sessions keep starting and ending while the master is SIGKILLed; the host follows the
/// failover and afterwards every session record is in the new master.
final class SentinelFailoverTests: HostProcessTestCase {
    var sentinels: RedisSentinelTestSet!

    override func setUpWithError() throws {
        try super.setUpWithError()
        sentinels = try RedisSentinelTestSet()
        try sentinels.start()
    }

    override func tearDown() {
        super.tearDown()
        sentinels?.stopAll()
    }

    /// The demo configuration with `redis.url` replaced by the sentinels.
    func sentinelYAML(port: Int, journal: String) -> String {
        let yaml = demoYAML(port: port, journal: journal)
        let sentinelLines = """
              sentinels: [\(sentinels.sentinelList.map { "\"\($0)\"" }.joined(separator: ", "))]
              master_name: \(sentinels.masterName)
              command_timeout_ms: 500
            """
        return yaml.replacingOccurrences(of: "  url: \"\(redis.url)\"", with: sentinelLines)
    }

    func testMasterKilledMidLoadLosesNoSessionRecord() throws {
        let port = try LoopbackPort.free()
        let path = directory.file("sentinel.yaml")
        try sentinelYAML(port: port, journal: "sentinel").write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("sentinel", config: path, port: port)
        let firstMaster = sentinels.dataPorts[0]
        XCTAssertTrue(eventually(10) { host.logText.contains("connected to master 127.0.0.1:\(firstMaster)") }, host.logText)

        // Four clients, each a sequence of whole chat sessions (start, one turn, end), each with
        // its own caller so no record trims another's interactions.
        let done = Atomic<Bool>(false)
        let sessions = Mutex<[(caller: String, id: String)]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for worker in 0..<4 {
            DispatchQueue.global().async(group: group) { [url = host.url] in
                var n = 0
                while !done.load(ordering: .acquiring) {
                    n += 1
                    let caller = "+1555\(worker)\(String(format: "%05d", n))"
                    do {
                        let first = try Self.chatPost(url + "/v1/chat", #"{"caller":"\#(caller)","text":"where is my order?"}"#)
                        guard first.status == 200, !first.sessionID.isEmpty else {
                            failures.withLock { $0.append("start \(caller): \(first.status) \(first.body.prefix(200))") }
                            continue
                        }
                        let end = try Self.chatPost(url + "/v1/chat", #"{"session_id":"\#(first.sessionID)","end":true}"#)
                        guard end.status == 200, end.types.last == "end" else {
                            failures.withLock { $0.append("end \(caller): \(end.status) \(end.body.prefix(200))") }
                            continue
                        }
                        sessions.withLock { $0.append((caller, first.sessionID)) }
                    } catch {
                        failures.withLock { $0.append("\(caller): \(error)") }
                    }
                }
            }
        }
        // Load before, during and after the failover.
        XCTAssertTrue(eventually(30) { sessions.withLock { $0.count } >= 12 }, "chat load did not start: \(failures.withLock { $0 })")
        let beforeKill = sessions.withLock { $0.count }
        sentinels.kill(firstMaster)
        let newMaster = sentinels.dataPorts[1]
        let promoted = eventually(20) { sentinels.masterPort() == newMaster }
        XCTAssertTrue(eventually(15) { host.logText.contains("connected to master 127.0.0.1:\(newMaster)") },
                      "the host did not follow the failover:\n\(host.logText.suffix(3000))")
        sleep(2)
        done.store(true, ordering: .releasing)
        XCTAssertNil(group.wait(seconds: 60, for: "the writer threads"))
        XCTAssertTrue(promoted, "sentinels did not promote the replica:\n\(sentinels.log(sentinels.sentinelPorts[0]))")

        // The killed master comes back as the new master's replica (as an operator restarts it);
        // records waiting for a replica's acknowledgement then leave the journal.
        try sentinels.startData(firstMaster, replicaOf: newMaster)
        XCTAssertTrue(try eventually(30) {
            let health = try get(host.url + "/health").json
            return (health["session_journal_depth"] as? Int) == 0 && (health["redis"] as? String) == "connected"
        }, "the journal did not drain: \((try? get(host.url + "/health").body) ?? "")")

        let all = sessions.withLock { $0 }
        XCTAssertEqual(failures.withLock { $0 }, [], "chat requests failed during the failover")
        XCTAssertGreaterThan(beforeKill, 0)
        XCTAssertGreaterThan(all.count, beforeKill, "no session ran during or after the failover")
        var missing: [String] = []
        for (caller, id) in all {
            let json = try sentinels.cli(newMaster, ["GET", "support:session:demo:\(caller)"])
            if !json.contains(id) { missing.append("\(caller) \(id)") }
        }
        XCTAssertEqual(missing, [], "\(missing.count) of \(all.count) session records are not in the new master")
        print("sentinel failover: \(all.count) sessions (\(beforeKill) before the kill), all in the new master")
    }

    /// `SENTINEL FAILOVER`: the master is demoted to a replica while it keeps running (the
    /// sentinels kill its clients' connections); the host follows to the new master, and sessions
    /// before and after are all in it.
    func testAGracefulFailoverIsFollowed() throws {
        let port = try LoopbackPort.free()
        let path = directory.file("graceful.yaml")
        try sentinelYAML(port: port, journal: "graceful").write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("graceful", config: path, port: port)
        let (oldMaster, newMaster) = (sentinels.dataPorts[0], sentinels.dataPorts[1])
        XCTAssertTrue(eventually(10) { host.logText.contains("connected to master 127.0.0.1:\(oldMaster)") }, host.logText)
        var ids: [(String, String)] = []
        func session(_ n: Int) throws {
            let caller = "+1555888\(String(format: "%04d", n))"
            let first = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","text":"hello"}"#)
            XCTAssertEqual(first.status, 200, first.body)
            XCTAssertEqual(try post(host.url + "/v1/chat", #"{"session_id":"\#(first.sessionID)","end":true}"#).status, 200)
            ids.append((caller, first.sessionID))
        }
        for n in 0..<3 { try session(n) }
        XCTAssertEqual(try sentinels.cli(sentinels.sentinelPorts[0], ["SENTINEL", "FAILOVER", sentinels.masterName]), "OK")
        XCTAssertTrue(eventually(20) { sentinels.masterPort() == newMaster }, sentinels.log(sentinels.sentinelPorts[0]))
        XCTAssertTrue(eventually(15) { host.logText.contains("connected to master 127.0.0.1:\(newMaster)") }, host.logText.suffix(3000).description)
        for n in 3..<6 { try session(n) }
        XCTAssertTrue(try eventually(20) { (try get(host.url + "/health").json["session_journal_depth"] as? Int) == 0 },
                      (try? get(host.url + "/health").body) ?? "")
        for (caller, id) in ids {
            XCTAssertTrue(try sentinels.cli(newMaster, ["GET", "support:session:demo:\(caller)"]).contains(id), "\(id) is not in the new master")
        }
    }

    /// `post` without the test case (the load runs on other threads).
    static func chatPost(_ url: String, _ body: String) throws -> Reply {
        let result = try ProcessRunner.run("curl", ["--max-time", "20", "-s", "-w", "\n%{http_code}", "--data-binary", body, url])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Reply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    func testConfigurationRefusesSentinelsWithoutMasterName() throws {
        let port = try LoopbackPort.free()
        let yaml = sentinelYAML(port: port, journal: "bad").replacingOccurrences(of: "  master_name: \(sentinels.masterName)\n", with: "")
        let path = directory.file("bad.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["serve", "--config", path])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("master_name is required with sentinels"), result.stderr)
    }
}
