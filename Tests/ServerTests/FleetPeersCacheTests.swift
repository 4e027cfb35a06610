import Foundation
@testable import Host
import HostNet
import HostSessions
import HostSupport
import HostTestSupport
import Synchronization
import TestSupport
import XCTest

/// The drain hand-over asks "does another host serve this tenant?" once per open conversation;
/// `FleetPeersCache` answers them all from one SCAN + MGET per heartbeat interval (a real
/// redis-server, counted by its own `INFO commandstats`).
final class FleetPeersCacheTests: XCTestCase {
    private var redis: RedisTestServer!
    private var loop: EventLoop!
    private var connection: RedisConnection!

    override func setUpWithError() throws {
        redis = try RedisTestServer()
        try redis.start()
        loop = EventLoop(name: "fleet-peers-test")
        loop.start()
        connection = RedisConnection(url: try RedisURL(parsing: redis.url), loop: loop, logger: Logger(minimum: .error))
        connection.start()
    }

    override func tearDown() {
        let closed = DispatchSemaphore(value: 0)
        connection.close { closed.signal() }
        XCTAssertNil(closed.wait(seconds: 5, for: "redis connection close"))
        loop.stop()
        redis.stop()
    }

    func testConversationsAskingTogetherShareOneReadOfTheFleet() throws {
        try publish(FleetMember.sample(hostID: "other-host", tenants: ["acme"]))
        try publish(FleetMember.sample(hostID: "me", tenants: ["acme"]))
        _ = try redis.cli("CONFIG", "RESETSTAT")
        let cache = FleetPeersCache(me: "me", connection: connection, maxAgeMilliseconds: 60_000)

        let answers = ask(cache, tenant: "acme", times: 50)
        XCTAssertEqual(answers, Array(repeating: true, count: 50))
        XCTAssertEqual(try calls("scan"), 1, "50 conversations asking at once: one SCAN")
        XCTAssertEqual(try calls("mget"), 1)

        // Within the interval the heartbeats read stay the answer, even if the fleet changed since.
        _ = try redis.cli("DEL", FleetMember.key("other-host"))
        XCTAssertEqual(ask(cache, tenant: "acme", times: 5), Array(repeating: true, count: 5))
        XCTAssertEqual(ask(cache, tenant: "other-tenant", times: 1), [false], "nobody serves it")
        XCTAssertEqual(try calls("scan"), 1)
    }

    func testAReadOlderThanTheIntervalIsReadAgain() throws {
        try publish(FleetMember.sample(hostID: "other-host", tenants: ["acme"]))
        _ = try redis.cli("CONFIG", "RESETSTAT")
        let cache = FleetPeersCache(me: "me", connection: connection, maxAgeMilliseconds: 200)
        XCTAssertEqual(ask(cache, tenant: "acme", times: 1), [true])
        _ = try redis.cli("DEL", FleetMember.key("other-host"))
        usleep(300_000)
        XCTAssertEqual(ask(cache, tenant: "acme", times: 1), [false], "the other host's heartbeat is gone")
        XCTAssertEqual(try calls("scan"), 2)
    }

    func testAFailedReadIsNotKept() throws {
        try publish(FleetMember.sample(hostID: "other-host", tenants: ["acme"]))
        let cache = FleetPeersCache(me: "me", connection: connection, maxAgeMilliseconds: 60_000)
        redis.pause()
        // Redis does not answer within the command timeout: no hand-over (the conversation ends here).
        XCTAssertEqual(ask(cache, tenant: "acme", times: 3), [false, false, false])
        redis.resume()
        let deadline = Date().addingTimeInterval(10)
        var answer = [false]
        while answer != [true], Date() < deadline {
            answer = ask(cache, tenant: "acme", times: 1)
            if answer != [true] { usleep(100_000) }
        }
        XCTAssertEqual(answer, [true], "once Redis answers again the fleet is read again")
    }

    // MARK: helpers

    private func publish(_ member: FleetMember) throws {
        _ = try redis.cli("SET", FleetMember.key(member.hostID), try member.jsonText(), "PX", "60000")
    }

    /// `times` concurrent asks, answers in arrival order (all of them, or the test fails).
    private func ask(_ cache: FleetPeersCache, tenant: String, times: Int) -> [Bool] {
        let answers = Mutex<[Bool]>([])
        let group = DispatchGroup()
        for _ in 0..<times {
            group.enter()
            DispatchQueue.global().async {
                cache.anotherServes(tenant: tenant) { answer in
                    answers.withLock { $0.append(answer) }
                    group.leave()
                }
            }
        }
        XCTAssertNil(group.wait(seconds: 10, for: "\(times) fleet questions"))
        return answers.withLock { $0 }
    }

    /// How often redis-server ran `command` since the last CONFIG RESETSTAT.
    private func calls(_ command: String) throws -> Int {
        let info = try redis.cli("INFO", "commandstats")
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
              let field = line.split(separator: ",").first(where: { $0.hasPrefix("cmdstat_\(command):calls=") }) else { return 0 }
        return Int(field.split(separator: "=").last ?? "") ?? -1
    }
}

private extension FleetMember {
    static func sample(hostID: String, tenants: [String], draining: Bool = false) -> FleetMember {
        FleetMember(hostID: hostID, address: "http://127.0.0.1:1", version: "test", loops: 1, activeSessions: 0, capacity: 10,
                    draining: draining, tenants: tenants, startedAt: "2026-12-06T00:00:00Z", updatedAt: "2026-12-06T00:00:00Z")
    }
}
