import Foundation
import Glibc
import Host
import HostSupport
import HostTestSupport
import TestSupport
import XCTest

/// The rolling upgrade with two real builds (docs/scaling.md, "Rolling upgrade"): three hosts of
/// the previous release — its `agent-host` and its plugins, built from that commit by
/// `scripts/build-previous-release` — behind HAProxy are drained and replaced one at a time by
/// this build while chat load runs through the proxy. `.ci/run` builds the previous release and
/// runs this test with `AGENT_HOST_PREVIOUS_BUILD` set; without it the test is skipped.
extension FleetHAProxyTests {
    /// The previous release's bin directory (`scripts/build-previous-release` prints it).
    static var previousBuild: String? { ProcessInfo.processInfo.environment["AGENT_HOST_PREVIOUS_BUILD"] }

    /// Not one request fails while every host is replaced by the new build, and a conversation
    /// open on each old host at its drain is continued by a new host from the checkpoint the old
    /// build wrote. Two replacements load the previous release's plugin files (a host upgrade
    /// leaves third-party plugins as they are: ABI 1.0 plugins keep loading), the third this
    /// build's plugins (their checkpointed state, written by the old plugins, carries over).
    func testRollingUpgradeFromThePreviousReleaseFailsNoRequest() throws {
        guard let previous = Self.previousBuild else {
            throw XCTSkip("needs the previous release's build: AGENT_HOST_PREVIOUS_BUILD=$(scripts/build-previous-release) (.ci/run sets it)")
        }
        let oldExecutable = previous + "/agent-host"
        guard FileManager.default.isExecutableFile(atPath: oldExecutable) else {
            return XCTFail("no agent-host in AGENT_HOST_PREVIOUS_BUILD=\(previous): run scripts/build-previous-release")
        }
        let thisBuild = URL(fileURLWithPath: BuildProducts.directory).resolvingSymlinksInPath().path
        XCTAssertNotEqual(URL(fileURLWithPath: previous).resolvingSymlinksInPath().path, thisBuild,
                          "AGENT_HOST_PREVIOUS_BUILD names this build: the test would prove nothing")

        let thisBuildID = try XCTUnwrap(ExecutableBuildID.read(BuildProducts.path("agent-host")), "this build's agent-host has no build id")
        var (ports, hosts, proxy) = try startFleetBehindProxy(executable: oldExecutable, pluginDirectory: previous)

        // One conversation held open on each old host (its cookie names the host).
        let jars = directory.file("upgrade-jars")
        try FileManager.default.createDirectory(atPath: jars, withIntermediateDirectories: true)
        var held: [String: (caller: String, jar: String, id: String)] = [:]
        for n in 0..<30 where held.count < 3 {
            let caller = "+1889000\(String(format: "%04d", n))", jar = "\(jars)/\(n).txt"
            let first = try proxied(proxy, jar: jar, #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
            XCTAssertEqual(first.status, 200, first.body)
            if let host = stickyHost(inCookieJar: jar), held[host] == nil {
                held[host] = (caller, jar, first.sessionID)
            } else {
                XCTAssertEqual(try proxied(proxy, jar: jar, #"{"session_id":"\#(first.sessionID)","end":true}"#).status, 200)
            }
        }
        XCTAssertEqual(held.count, 3, "leastconn did not put a conversation on every host in 30 tries: \(held.keys.sorted())")

        let load = Load()
        run(load, through: proxy.url, workers: 4, prefix: "556")
        XCTAssertTrue(eventually(30) { load.count >= 10 }, "load did not start: \(load.failed)")

        for index in 0..<3 {
            let name = "host\(index + 1)"
            kill(hosts[index].pid, SIGTERM)
            XCTAssertEqual(waitForExit(hosts[index], timeout: 30), 0, hosts[index].logText.suffix(2000).description)
            let beforeReplacement = load.count
            hosts[index] = try startFleetHost(index + 1, port: ports[index], pluginDirectory: index < 2 ? previous : nil)
            let replacement = hosts[index]
            XCTAssertTrue(try eventually(10) { try fleetStatus().contains("3 host(s), 3 serving") }, (try? fleetStatus()) ?? "")
            // The heartbeats tell the builds apart: the replaced hosts name this build, the others not.
            let status = try fleetStatus().split(separator: "\n")
            for (other, port) in ports.enumerated() {
                let line = status.first { $0.contains("127.0.0.1:\(port) ") } ?? ""
                XCTAssertEqual(line.contains(" \(thisBuildID.prefix(12)) "), other <= index, "host\(other + 1) after \(name)'s replacement: \(line)")
            }
            XCTAssertTrue(eventually(20) {
                ((try? metric(replacement, "agent_host_sessions_started_total{tenant=\"demo\"}")) ?? nil ?? 0) > 0
            }, "HAProxy sent the new \(name) no conversation")
            XCTAssertGreaterThan(load.count, beforeReplacement, "no conversation finished while \(name) was replaced")

            // The conversation held on the old host goes on, on this build, from the old build's checkpoint.
            guard let kept = held[name] else { continue }
            let next = try proxied(proxy, jar: kept.jar, #"{"session_id":"\#(kept.id)","text":"yes"}"#)
            XCTAssertEqual(next.status, 200, "\(name) \(kept.id): \(next.body)")
            XCTAssertEqual(next.sessionID, kept.id)
            XCTAssertEqual(next.json["agent"] as? String, "Refund Agent", next.body)
            XCTAssertFalse(next.types.contains("session"), "a continued conversation is not a new session: \(next.types)")
            let end = try proxied(proxy, jar: kept.jar, #"{"session_id":"\#(kept.id)","end":true}"#)
            XCTAssertEqual(end.types.last, "end", end.body)
        }
        load.finish()
        XCTAssertEqual(load.failed, [], "requests failed during the rolling upgrade")

        // Every host now runs this build; each held conversation is recorded once, whole.
        for host in hosts {
            XCTAssertEqual(host.process.executableURL?.resolvingSymlinksInPath().path,
                           URL(fileURLWithPath: BuildProducts.path("agent-host")).resolvingSymlinksInPath().path)
        }
        for (name, kept) in held {
            XCTAssertEqual(try storedSessionIDs(caller: kept.caller), [kept.id], "\(name)")
            let record = try redis.cli("GET", "support:session:demo:\(kept.caller)")
            XCTAssertTrue(record.contains("ORD-12345") && record.contains(#""outcome":"caller_hangup""#), "\(name): \(record.prefix(600))")
        }
        print("rolling upgrade from \(previous): \(load.count) conversations (3 requests each), 0 failed; 3 held conversations moved across builds")
    }
}
