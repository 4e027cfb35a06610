import Host
import HostSessions
import HostTenancy
import XCTest

/// `redis: {sentinels, master_name, database, password, replica_acks}` (docs/operations.md, "Redis
/// Sentinel"): accepted forms, and every mistake stopped at its line.
final class SentinelConfigurationTests: XCTestCase {
    let tenants = "tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]\n"

    func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> HostConfiguration {
        try HostConfiguration.parse(yaml, file: "t.yaml", environment: environment)
    }

    func problem(_ yaml: String) -> String {
        do { _ = try parse(yaml); return "no error" } catch { return error.description }
    }

    func testSentinelsWithTheirMasterAreAccepted() throws {
        let redis = try parse("""
            redis:
              sentinels: ["10.0.0.1:26379", "[::1]:26380"]
              master_name: agent-host
              database: 2
              password: ${PW}
            """ + "\n" + tenants, environment: ["PW": "secret"]).redis
        XCTAssertEqual(redis.sentinels, ["10.0.0.1:26379", "[::1]:26380"])
        XCTAssertEqual(redis.masterName, "agent-host")
        XCTAssertEqual(redis.database, 2)
        XCTAssertEqual(redis.password, "secret")
        XCTAssertNil(redis.url)
        XCTAssertNil(redis.replicaAcks, "unset: 1 with sentinels (SessionStores)")
        XCTAssertEqual(try parse("redis:\n  url: redis://r:6379\n  replica_acks: 2\n" + tenants).redis.replicaAcks, 2)
        XCTAssertEqual(RedisSentinels.Address(parsing: "[::1]:26380"), RedisSentinels.Address(host: "::1", port: 26380))
        XCTAssertNil(RedisSentinels.Address(parsing: "::1:26380"), "a bare IPv6 address is ambiguous")
    }

    func testMistakesAreRefusedAtTheirLine() {
        XCTAssertEqual(problem("redis:\n  sentinels: [\"10.0.0.1:26379\"]\n" + tenants),
                       "t.yaml:2:14: redis.sentinels: master_name is required with sentinels (the name in `sentinel monitor NAME …`)")
        XCTAssertEqual(problem("redis:\n  url: redis://r:6379\n  sentinels: [\"10.0.0.1:26379\"]\n  master_name: m\n" + tenants),
                       "t.yaml:3:14: redis.sentinels: give either url or sentinels, not both (with sentinels the host asks them where the master is)")
        XCTAssertEqual(problem("redis:\n  sentinels: [\"10.0.0.1\"]\n  master_name: m\n" + tenants),
                       #"t.yaml:2:15: redis.sentinels: "10.0.0.1" is not host:port (e.g. 10.0.0.5:26379)"#)
        XCTAssertEqual(problem("redis:\n  sentinels: []\n  master_name: m\n" + tenants),
                       "t.yaml:2:14: redis.sentinels: must list at least one sentinel as host:port")
        XCTAssertEqual(problem("redis:\n  url: redis://r:6379\n  master_name: m\n" + tenants),
                       "t.yaml:3:16: redis.master_name: is only for sentinels (with url, put it in the URL)")
        XCTAssertEqual(problem("redis:\n  sentinels: [\"10.0.0.1:26379\"]\n  master_name: m\n  replica_acks: 99\n" + tenants),
                       "t.yaml:4:17: redis.replica_acks: must be between 0 and 16, got 99")
        XCTAssertEqual(problem("redis:\n  sentinels: [\"a:1\"]\n  master_name: m\n  sentinel: x\n" + tenants).contains("unknown key \"sentinel\""), true)
    }
}
