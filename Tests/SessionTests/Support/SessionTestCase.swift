import Dispatch
import Foundation
import HostNet
import HostSessions
import HostSupport
import HostTestSupport
import Synchronization
import XCTest

/// A test case with a running event loop, a real redis-server, a temp directory, and helpers
/// to wait for callbacks. Everything it creates is closed / killed in tearDown.
class SessionTestCase: XCTestCase {
    var loop: EventLoop!
    var redis: RedisTestServer!
    var directory: String!
    private var closers: [(@escaping @Sendable () -> Void) -> Void] = []
    private var extraLoops: [EventLoop] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        loop = EventLoop(name: "session-test")
        loop.start()
        redis = try RedisTestServer()
        try redis.start()
        directory = NSTemporaryDirectory() + "session-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for close in closers.reversed() {
            let done = DispatchSemaphore(value: 0)
            close { done.signal() }
            _ = done.wait(timeout: .now() + 5)
        }
        closers = []
        loop.stop()
        for extra in extraLoops { extra.stop() }
        extraLoops = []
        redis?.kill()
        redis = nil
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        super.tearDown()
    }

    var redisURL: RedisURL { RedisURL(host: "127.0.0.1", port: redis.port) }

    /// Another started loop (a second "host"); stopped in tearDown.
    func makeLoop(_ name: String) -> EventLoop {
        let extra = EventLoop(name: name)
        extra.start()
        extraLoops.append(extra)
        return extra
    }

    func connection(_ url: RedisURL? = nil, on loop: EventLoop? = nil, options: RedisConnection.Options = .init()) -> RedisConnection {
        let connection = RedisConnection(url: url ?? redisURL, loop: loop ?? self.loop, options: options, logger: quietLogger)
        closers.append { done in connection.close(completion: done) }
        connection.start()
        return connection
    }

    func service(_ url: RedisURL? = nil, on loop: EventLoop? = nil, journal: String? = nil, keep: Int = 10,
                 metrics: MetricsRegistry? = nil, options: RedisConnection.Options = .init()) -> SessionRecordService {
        let service = SessionRecordService(url: url ?? redisURL, loop: loop ?? self.loop,
                                           journalPath: journal ?? directory + "/journal.jsonl",
                                           options: options, keep: keep, metrics: metrics, logger: quietLogger)
        closers.append { done in service.close(completion: done) }
        service.start()
        return service
    }

    /// Warnings are expected in fault tests; keep them out of the test log unless debugging.
    let quietLogger = Logger(minimum: ProcessInfo.processInfo.environment["SESSION_TEST_LOG"] == nil ? .error : .debug)

    /// Calls `body` with a completion and waits for its first call (nil on timeout).
    func waitFor<T: Sendable>(_ timeout: Double = 5, _ body: (@escaping @Sendable (T) -> Void) -> Void) -> T? {
        let box = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        body { value in
            box.withLock { if $0 == nil { $0 = value } }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        return box.withLock { $0 }
    }

    /// Polls `condition` every 10 ms until true or `timeout`.
    @discardableResult
    func eventually(_ timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    func waitConnected(_ connection: RedisConnection, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(eventually(timeout) { connection.state == .connected },
                      "not connected: \(connection.state) \(connection.lastError ?? "")", file: file, line: line)
    }

    /// An interaction with millisecond times (what the record keeps), ending `offset` seconds
    /// after a fixed base so order is known.
    func interaction(_ id: String, offset: Double = 0, tools: [String] = ["lookup_order"], outcome: String = "resolved") -> SessionRecord.Interaction {
        let base = Date(timeIntervalSince1970: 1_760_000_000)
        return SessionRecord.Interaction(
            sessionID: id, startedAt: base.addingTimeInterval(offset - 30), endedAt: base.addingTimeInterval(offset + 0.123),
            agents: ["Triage Agent", "Billing Agent"], tools: tools, outcome: outcome,
            transcript: [SessionRecord.Line(role: "user", text: "hi, order \(id)?"),
                         SessionRecord.Line(role: "agent", agent: "Billing Agent", text: "Order \(id) \"shipped\"\nok")])
    }

    /// The stored record, read with redis-cli (independent of the code under test).
    func storedRecord(tenant: String, caller: String) throws -> [String: Any]? {
        let text = try redis.cli("GET", SessionRecord.key(tenant: tenant, caller: caller))
        guard !text.isEmpty else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    func storedSessionIDs(tenant: String, caller: String) throws -> [String] {
        let record = try storedRecord(tenant: tenant, caller: caller)
        let interactions = record?["interactions"] as? [[String: Any]] ?? []
        return interactions.compactMap { $0["session_id"] as? String }
    }
}
