import Dispatch
import Foundation
import HostNet
import HostSessions
import HostSupport
import Synchronization
import XCTest

final class SessionStoreTests: SessionTestCase {
    func testRecordRoundTripKeyTTLShapeAndLastTenKept() throws {
        let metrics = MetricsRegistry()
        let connection = connection()
        let store = SessionStore(connection: connection, metrics: metrics, logger: quietLogger)
        waitConnected(connection)
        var saved: [SessionRecord.Interaction] = []
        for n in 1...12 {
            // Every third session used no tool: "tools": [] must stay an array through rewrites.
            let item = interaction(String(format: "s%02d", n), offset: Double(n), tools: n % 3 == 0 ? [] : ["lookup_order", "check_billing"])
            saved.append(item)
            let result: Result<Int, SessionStoreError>? = waitFor { store.save(item, tenant: "acme", caller: "+15551234567", completion: $0) }
            XCTAssertEqual(result, .success(min(n, 10)))
        }

        // The key and TTL, seen by redis-cli.
        XCTAssertEqual(try redis.cli("EXISTS", "support:session:acme:+15551234567"), "1")
        let ttl = try XCTUnwrap(Int(redis.cli("TTL", "support:session:acme:+15551234567")))
        XCTAssertTrue((86_390...86_400).contains(ttl), "TTL \(ttl)")

        // The JSON shape (docs/protocol.md §4).
        let record = try XCTUnwrap(storedRecord(tenant: "acme", caller: "+15551234567"))
        XCTAssertEqual(Set(record.keys), ["tenant", "caller", "updated_at", "interactions"])
        XCTAssertEqual(record["tenant"] as? String, "acme")
        XCTAssertEqual(record["caller"] as? String, "+15551234567")
        XCTAssertNotNil(SessionRecord.parseTime(try XCTUnwrap(record["updated_at"] as? String)))
        let interactions = try XCTUnwrap(record["interactions"] as? [[String: Any]])
        XCTAssertEqual(interactions.compactMap { $0["session_id"] as? String }, (3...12).map { String(format: "s%02d", $0) })
        for item in interactions {
            XCTAssertEqual(Set(item.keys), ["session_id", "started_at", "ended_at", "agents", "tools", "outcome", "transcript"])
            XCTAssertTrue(item["tools"] is [Any], "tools must be a JSON array: \(item["tools"] ?? "nil")")
            XCTAssertEqual(item["agents"] as? [String], ["Triage Agent", "Billing Agent"])
            XCTAssertEqual(item["outcome"] as? String, "resolved")
            XCTAssertTrue((item["ended_at"] as? String ?? "").hasSuffix(".123Z"), "\(item["ended_at"] ?? "")")
            let transcript = try XCTUnwrap(item["transcript"] as? [[String: Any]])
            XCTAssertEqual(Set(transcript[0].keys), ["role", "text"])  // no "agent" on user lines
            XCTAssertEqual(transcript[1]["agent"] as? String, "Billing Agent")
        }
        XCTAssertEqual((interactions[0]["tools"] as? [Any])?.count, 0, "s03 had no tools")

        // Loading gives back exactly what was saved (last 10, oldest first).
        let loaded = try XCTUnwrap(waitFor { store.load(tenant: "acme", caller: "+15551234567", completion: $0) }).get()
        XCTAssertEqual(loaded, Array(saved.suffix(10)))
        XCTAssertEqual(metrics.counter("agent_host_session_loads_total", labels: ["result": "hit"]), 1)
        XCTAssertTrue(metrics.render().contains("agent_host_session_store_seconds_count{op=\"save\"} 12"))
    }

    /// The append script encodes with cjson and mends the empty lists by pattern: what callers
    /// say that looks like those keys is text and comes back as said, and empty lists (no agents,
    /// no tools, no transcript) stay arrays through every rewrite.
    func testTextThatLooksLikeTheRecordsKeysAndEmptyListsSurviveRewrites() throws {
        let connection = connection()
        let store = SessionStore(connection: connection, logger: quietLogger)
        waitConnected(connection)
        let tricky = [#",\"tools\":{}"#, #"{"transcript":{}}"#, "\"agents\":{}", "a\\\",\"tools\":{}", "café 🙂 / \\ \""]
        var saved: [SessionRecord.Interaction] = []
        for (n, text) in tricky.enumerated() {
            var item = interaction("t\(n)", offset: Double(n), tools: [])
            item.transcript = [SessionRecord.Line(role: "user", text: text)]
            if n % 2 == 1 { item.transcript = []; item.agents = [] }
            saved.append(item)
            let result: Result<Int, SessionStoreError>? = waitFor { store.save(item, tenant: "t", caller: "keys", completion: $0) }
            XCTAssertEqual(result, .success(n + 1))
        }
        let loaded = try XCTUnwrap(waitFor { store.load(tenant: "t", caller: "keys", completion: $0) }).get()
        XCTAssertEqual(loaded, saved)
        let interactions = try XCTUnwrap(storedRecord(tenant: "t", caller: "keys")?["interactions"] as? [[String: Any]])
        for item in interactions {
            for key in ["agents", "tools", "transcript"] { XCTAssertTrue(item[key] is [Any], "\(key): \(item[key] ?? "nil")") }
        }
    }

    func testSavingTheSameSessionTwiceKeepsOneCopyInTimeOrder() throws {
        let connection = connection()
        let store = SessionStore(connection: connection, logger: quietLogger)
        waitConnected(connection)
        for item in [interaction("late", offset: 20), interaction("early", offset: 10), interaction("late", offset: 20)] {
            let result: Result<Int, SessionStoreError>? = waitFor { store.save(item, tenant: "t", caller: "c", completion: $0) }
            XCTAssertNotNil(try result?.get())
        }
        XCTAssertEqual(try storedSessionIDs(tenant: "t", caller: "c"), ["early", "late"])
    }

    func testLoadOfAMissingKeyIsEmpty() throws {
        let metrics = MetricsRegistry()
        let connection = connection()
        let store = SessionStore(connection: connection, metrics: metrics, logger: quietLogger)
        waitConnected(connection)
        let loaded = try XCTUnwrap(waitFor { store.load(tenant: "acme", caller: "+nobody", completion: $0) })
        XCTAssertEqual(try loaded.get(), [])
        XCTAssertEqual(metrics.counter("agent_host_session_loads_total", labels: ["result": "miss"]), 1)
    }

    func testACorruptValueLoadsAsAnErrorAndIsReplacedBySave() throws {
        let connection = connection()
        let store = SessionStore(connection: connection, logger: quietLogger)
        waitConnected(connection)
        try redis.cli("SET", SessionRecord.key(tenant: "t", caller: "bad"), "not json")
        let loaded = try XCTUnwrap(waitFor { store.load(tenant: "t", caller: "bad", completion: $0) })
        guard case .failure(.corrupt) = loaded else { return XCTFail("\(loaded)") }
        let saved: Result<Int, SessionStoreError>? = waitFor { store.save(interaction("fresh"), tenant: "t", caller: "bad", completion: $0) }
        XCTAssertEqual(saved, .success(1))
        XCTAssertEqual(try storedSessionIDs(tenant: "t", caller: "bad"), ["fresh"])
    }

    /// Two hosts (own loop, own connection, own store) append to one key at the same time.
    func testTwoHostsAppendingToOneKeyConcurrentlyLoseNothing() throws {
        let hosts = (0..<2).map { index -> SessionStore in
            let connection = connection(on: makeLoop("host-\(index)"))
            waitConnected(connection)
            return SessionStore(connection: connection, keep: 200, logger: quietLogger)
        }
        let perHost = 60
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for round in 0..<perHost {
            for (index, store) in hosts.enumerated() {
                group.enter()
                store.save(interaction("h\(index)-\(round)", offset: Double(round)), tenant: "acme", caller: "+1555") { result in
                    if case .failure(let error) = result { failures.withLock { $0.append("\(error)") } }
                    group.leave()
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(failures.withLock { $0 }, [])
        let ids = try storedSessionIDs(tenant: "acme", caller: "+1555")
        XCTAssertEqual(ids.count, 2 * perHost)
        XCTAssertEqual(Set(ids), Set((0..<2).flatMap { h in (0..<perHost).map { "h\(h)-\($0)" } }))
    }

    func testPreviousSessionSummaries() throws {
        let items = (1...12).map { interaction("s\($0)", offset: Double($0)) }
        let summaries = SessionSummary.previousSessions(items, limit: 3, lastLines: 1)
        XCTAssertEqual(summaries.count, 3)
        let objects = try summaries.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.compactMap { $0["session_id"] as? String }, ["s10", "s11", "s12"])
        XCTAssertEqual(Set(objects[0].keys), ["session_id", "ended_at", "agents", "tools", "outcome", "last_lines"])
        XCTAssertEqual(objects[2]["ended_at"] as? String, SessionRecord.timeText(items[11].endedAt))
        XCTAssertEqual(objects[2]["tools"] as? [String], ["lookup_order"])
        let lines = try XCTUnwrap(objects[2]["last_lines"] as? [[String: String]])
        XCTAssertEqual(lines, [["role": "agent", "agent": "Billing Agent", "text": "Order s12 \"shipped\"\nok"]])
    }

    func testLoadWhileRedisIsDownAnswersEmptyAtOnceAndReportsDegraded() throws {
        redis.stop()
        let service = service()
        XCTAssertTrue(eventually(3) { service.connection.state == .down })
        let started = Date()
        let loaded: [SessionRecord.Interaction]? = waitFor { service.interactions(tenant: "acme", caller: "+1", completion: $0) }
        XCTAssertEqual(loaded, [])
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.6)
        XCTAssertEqual(service.health.status, .degraded)
        XCTAssertTrue(service.health.reason?.contains("redis") == true, service.health.description)
    }
}
