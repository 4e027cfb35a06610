import Foundation
import Glibc
import Host
import HostSupport
import HostTestSupport
import Synchronization
import TestSupport
import XCTest

/// Three real `agent-host serve` processes sharing one real redis-server behind a real HAProxy
/// running the shipped deploy/haproxy.cfg (docs/scaling.md). Clients are curl processes keeping
/// HAProxy's stickiness cookie per conversation, as a browser would.
final class FleetHAProxyTests: HostProcessTestCase {
    var proxy: HAProxyTestServer?

    override func tearDown() {
        proxy?.stop()
        super.tearDown()
    }

    /// Starts host `index` (1…3) on its fixed port: this build's `agent-host` and plugins unless
    /// another build's are given (the upgrade test, FleetHAProxyTests+Upgrade.swift).
    func startFleetHost(_ index: Int, port: Int, executable: String = BuildProducts.path("agent-host"),
                        pluginDirectory: String? = nil) throws -> Host {
        let path = directory.file("fleet\(index).yaml")
        try demoYAML(port: port, journal: "fleet\(index)", drainSeconds: 10, pluginDirectory: pluginDirectory)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return try launchHost("fleet\(index)", config: path, port: port, executable: executable)
    }

    /// Hosts 1…3 (`startFleetHost`) behind a real HAProxy, once the proxy answers `/ready` through
    /// to a host and `fleet status` shows all three serving.
    func startFleetBehindProxy(executable: String = BuildProducts.path("agent-host"),
                               pluginDirectory: String? = nil) throws -> (ports: [Int], hosts: [Host], proxy: HAProxyTestServer) {
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let hosts = try (1...3).map { try startFleetHost($0, port: ports[$0 - 1], executable: executable, pluginDirectory: pluginDirectory) }
        let proxy = try HAProxyTestServer(backends: ports.map { "127.0.0.1:\($0)" }, directory: directory.path)
        self.proxy = proxy
        guard eventually(15, { (try? get(proxy.url + "/ready"))?.status == 200 }) else {
            throw FleetNotReady(description: "haproxy did not answer /ready through to a host:\n\(proxy.logText.suffix(2000))")
        }
        guard try eventually(10, { try fleetStatus().contains("3 host(s), 3 serving") }) else {
            throw FleetNotReady(description: "the fleet did not show three serving hosts: \((try? fleetStatus()) ?? "")")
        }
        return (ports, hosts, proxy)
    }

    struct FleetNotReady: Error, CustomStringConvertible { let description: String }

    /// The host HAProxy's stickiness cookie in curl's cookie jar `jar` names ("host1"…), if any.
    func stickyHost(inCookieJar jar: String) -> String? {
        let cookie = (try? String(contentsOfFile: jar, encoding: .utf8)) ?? ""
        return ["host1", "host2", "host3"].first { cookie.contains("AGENT_HOST\t\($0)") }
    }

    /// One whole conversation through the proxy: start, a second turn, hang up. nil when every
    /// request answered 200 as the protocol says; else what went wrong.
    static func conversation(_ proxy: String, caller: String, jar: String) -> String? {
        func post(_ body: String) -> (status: Int, body: String) {
            guard let result = try? ProcessRunner.run("curl", ["--max-time", "20", "-s", "-b", jar, "-c", jar, "-w", "\n%{http_code}",
                                                               "--data-binary", body, proxy + "/v1/chat"]) else { return (0, "curl did not run") }
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        let first = post(#"{"caller":"\#(caller)","text":"I want a refund"}"#)
        guard first.status == 200,
              let json = try? JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any],
              let id = json["session_id"] as? String else { return "start \(caller): \(first.status) \(first.body.prefix(200))" }
        let second = post(#"{"session_id":"\#(id)","text":"what are your store hours?"}"#)
        guard second.status == 200 else { return "turn \(caller) \(id): \(second.status) \(second.body.prefix(200))" }
        let end = post(#"{"session_id":"\#(id)","end":true}"#)
        guard end.status == 200, end.body.contains(#""reason":"caller_hangup""#) else { return "end \(caller) \(id): \(end.status) \(end.body.prefix(200))" }
        return nil
    }

    /// What the load threads share with the test.
    final class Load: Sendable {
        let stop = Atomic<Bool>(false)
        let done = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        var count: Int { done.load(ordering: .relaxed) }
        /// The first five failures (a broken set-up fails every request: keep the message short).
        var failed: [String] { failures.withLock { Array($0.prefix(5)) + ($0.count > 5 ? ["… \($0.count) in all"] : []) } }
        /// Stops the load; the conversations under way finish first (each request has curl's 20 s limit).
        func finish(file: StaticString = #filePath, line: UInt = #line) {
            stop.store(true, ordering: .releasing)
            XCTAssertNil(group.wait(seconds: 90, for: "the load threads' last conversations"), file: file, line: line)
        }
    }

    /// Runs conversations on `workers` threads until `load.finish()`.
    func run(_ load: Load, through proxyURL: String, workers: Int, prefix: String) {
        let jarDirectory = directory.file("jars")
        try? FileManager.default.createDirectory(atPath: jarDirectory, withIntermediateDirectories: true)
        for worker in 0..<workers {
            DispatchQueue.global().async(group: load.group) {
                var n = 0
                while !load.stop.load(ordering: .acquiring) {
                    n += 1
                    let caller = "+1\(prefix)\(worker)\(String(format: "%05d", n))"
                    let jar = "\(jarDirectory)/\(caller).txt"
                    if let failure = Self.conversation(proxyURL, caller: caller, jar: jar) {
                        load.failures.withLock { $0.append(failure) }
                    } else {
                        load.done.add(1, ordering: .relaxed)
                    }
                    try? FileManager.default.removeItem(atPath: jar)
                }
            }
        }
    }

    func fleetStatus() throws -> String {
        try ProcessRunner.run(BuildProducts.path("agent-host"), ["fleet", "status", "--redis", redis.url]).stdout
    }

    /// Rolling upgrade: host 2 drains (SIGTERM) and a new process takes its place while
    /// conversations keep running through HAProxy; not one request fails. The fleet's heartbeats
    /// show the three hosts before and after, the replacement with its version. A conversation
    /// left open on host 2 moves at its drain deadline and is continued by the replacement process
    /// from the checkpoint the old process wrote (the replacement is the same build: docs/scaling.md
    /// says what that does and does not prove).
    func testRollingRestartBehindHAProxyFailsNoRequest() throws {
        var (ports, hosts, proxy) = try startFleetBehindProxy()

        // A conversation on host 2 that stays open through its drain (cookie jar names host2).
        let jars = directory.file("held-jars")
        try FileManager.default.createDirectory(atPath: jars, withIntermediateDirectories: true)
        var held: (caller: String, jar: String, id: String)?
        for n in 0..<9 where held == nil {
            let caller = "+1888000\(String(format: "%04d", n))", jar = "\(jars)/\(n).txt"
            let first = try proxied(proxy, jar: jar, #"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#)
            XCTAssertEqual(first.status, 200, first.body)
            if stickyHost(inCookieJar: jar) == "host2" {
                held = (caller, jar, first.sessionID)
            } else {
                XCTAssertEqual(try proxied(proxy, jar: jar, #"{"session_id":"\#(first.sessionID)","end":true}"#).status, 200)
            }
        }
        let kept = try XCTUnwrap(held, "leastconn put none of nine conversations on host2")

        let load = Load()
        run(load, through: proxy.url, workers: 4, prefix: "555")
        XCTAssertTrue(eventually(30) { load.count >= 10 }, "load did not start: \(load.failed)")

        // Drain host 2 as a rolling upgrade does, wait for it to exit, start its replacement.
        let beforeDrain = load.count
        kill(hosts[1].pid, SIGTERM)
        XCTAssertEqual(waitForExit(hosts[1], timeout: 30), 0, hosts[1].logText.suffix(2000).description)
        XCTAssertFalse(try fleetStatus().contains("127.0.0.1:\(ports[1])"), "a host that exited still has a heartbeat record")
        let duringDrain = load.count
        hosts[1] = try startFleetHost(2, port: ports[1])
        XCTAssertTrue(try eventually(10) { try fleetStatus().contains("3 host(s), 3 serving") }, (try? fleetStatus()) ?? "")
        // Conversations reach the new process once HAProxy's checks put it back (rise 2 × 1 s).
        let replacement = hosts[1]
        let replacementServed = eventually(20) {
            ((try? metric(replacement, "agent_host_sessions_started_total{tenant=\"demo\"}")) ?? nil ?? 0) > 0
        }
        load.finish()

        // The held conversation moved at host 2's drain deadline (recorded `handed_over` for now);
        // the new process takes it up from the old one's checkpoint, and it is recorded once.
        let resumed = try post(replacement.url + "/v1/chat", #"{"session_id":"\#(kept.id)","text":"yes"}"#)
        XCTAssertEqual(resumed.status, 200, resumed.body)
        XCTAssertEqual(resumed.json["agent"] as? String, "Refund Agent", resumed.body)
        XCTAssertFalse(resumed.types.contains("session"))
        XCTAssertTrue(replacement.logText.contains("resumed chat session \(kept.id)"), replacement.logText.suffix(1500).description)
        XCTAssertEqual(try post(replacement.url + "/v1/chat", #"{"session_id":"\#(kept.id)","end":true}"#).types.last, "end")
        XCTAssertEqual(try storedSessionIDs(caller: kept.caller), [kept.id])
        XCTAssertTrue(try redis.cli("GET", "support:session:demo:\(kept.caller)").contains(#""outcome":"caller_hangup""#))
        // The heartbeat says which version each host runs.
        let replacementLine = try fleetStatus().split(separator: "\n").first { $0.contains("127.0.0.1:\(ports[1])") } ?? ""
        XCTAssertTrue(replacementLine.contains(" \(HostInfo.version) "), "fleet status shows no version for the replacement: \(replacementLine)")

        let total = load.count
        XCTAssertEqual(load.failed, [], "requests failed during the rolling restart")
        XCTAssertGreaterThan(duringDrain, beforeDrain, "no conversation ran while host 2 drained")
        XCTAssertTrue(replacementServed, "the restarted host got no conversation from HAProxy")
        print("rolling restart behind haproxy: \(total) conversations (3 requests each), 0 failed; \(beforeDrain) before the drain")
    }

    /// `curl` through the proxy with a conversation's cookie jar: (status, JSON body).
    func proxied(_ proxy: HAProxyTestServer, jar: String, _ body: String) throws -> Reply {
        try curl(["-s", "-b", jar, "-c", jar, "-w", "\n%{http_code}", "--data-binary", body, proxy.url + "/v1/chat"])
    }

    /// A host is SIGKILLed mid-load: conversations it held continue on the other hosts from their
    /// checkpoints (same session id, same agent, the history it had), the load sees no failed
    /// request, and new conversations never reach the dead host.
    func testKilledHostsConversationsContinueOnTheOthers() throws {
        let (_, hosts, proxy) = try startFleetBehindProxy()
        // Twelve open conversations, one turn each, spread by leastconn over the three hosts.
        let jars = directory.file("open-jars")
        try FileManager.default.createDirectory(atPath: jars, withIntermediateDirectories: true)
        var open: [(caller: String, jar: String, id: String, agent: String, host: String)] = []
        for n in 0..<12 {
            let caller = "+1666000\(String(format: "%04d", n))"
            let jar = "\(jars)/\(n).txt"
            let first = try proxied(proxy, jar: jar, #"{"caller":"\#(caller)","text":"I was charged twice, I want a refund"}"#)
            XCTAssertEqual(first.status, 200, first.body)
            let host = stickyHost(inCookieJar: jar) ?? "?"
            open.append((caller, jar, first.sessionID, first.json["agent"] as? String ?? "", host))
        }
        let victims = open.filter { $0.host == "host3" }
        XCTAssertFalse(victims.isEmpty, "leastconn put no conversation on host3: \(open.map(\.host))")

        let load = Load()
        run(load, through: proxy.url, workers: 3, prefix: "777")
        XCTAssertTrue(eventually(30) { load.count >= 6 }, "load did not start: \(load.failed)")
        kill(hosts[2].pid, SIGKILL)
        XCTAssertNotNil(waitForExit(hosts[2], timeout: 10))
        let killedAt = load.count

        // Every open conversation goes on: the dead host's on another host, from its checkpoint.
        for conversation in open {
            let next = try proxied(proxy, jar: conversation.jar, #"{"session_id":"\#(conversation.id)","text":"yes please"}"#)
            XCTAssertEqual(next.status, 200, "\(conversation.host) \(conversation.id): \(next.body)")
            XCTAssertEqual(next.sessionID, conversation.id)
            XCTAssertFalse(next.types.contains("session"), "a continued conversation is not a new session: \(next.types)")
            let end = try proxied(proxy, jar: conversation.jar, #"{"session_id":"\#(conversation.id)","end":true}"#)
            XCTAssertEqual(end.status, 200, end.body)
            XCTAssertEqual(end.types.last, "end")
        }
        XCTAssertTrue(eventually(20) { load.count >= killedAt + 6 }, "the load stalled after the kill: \(load.failed)")
        load.finish()
        XCTAssertEqual(load.failed, [], "requests failed while a host was killed")

        // Each record has the whole conversation: the first turn (on the dead host) and the rest.
        for conversation in open {
            let json = try redis.cli("GET", "support:session:demo:\(conversation.caller)")
            XCTAssertTrue(json.contains(conversation.id), "no record of \(conversation.id) (\(conversation.host))")
            XCTAssertTrue(json.contains("I was charged twice") && json.contains("yes please"),
                          "the record of \(conversation.id) (\(conversation.host)) lacks part of the conversation: \(json.prefix(600))")
        }
        let resumed = try (0..<2).map { try metric(hosts[$0], "agent_host_sessions_resumed_total{tenant=\"demo\"}") ?? 0 }.reduce(0, +)
        // At least the dead host's open conversations; a load conversation it held mid-way counts too.
        XCTAssertGreaterThanOrEqual(Int(resumed), victims.count, "the other hosts did not resume the dead host's conversations")
        // The dead host drops out of the fleet once its heartbeat's TTL ends.
        XCTAssertTrue(try eventually(10) { try fleetStatus().contains("2 host(s), 2 serving") }, (try? fleetStatus()) ?? "")
        print("killed host: \(victims.count) of \(open.count) conversations continued on the others; load \(load.count) conversations, 0 failed")
    }
}
