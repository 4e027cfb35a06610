import Foundation
import Glibc
import Host
import TestSupport
import XCTest

/// `agent-host serve` as operators run it, attacked over real sockets: trickling clients, one
/// address opening too many connections, a bad HTTP version, and a process out of descriptors.
final class ConnectionProtectionProcessTests: XCTestCase {
    var directory: TemporaryDirectory!
    var hosts: [Process] = []

    override func setUp() {
        directory = TemporaryDirectory(prefix: "connection-protection")
    }

    override func tearDown() {
        for host in hosts where host.isRunning { kill(host.processIdentifier, SIGKILL) }
    }

    func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Starts `agent-host serve` with `limits` under `server.limits` (LimitedHost).
    func startHost(_ name: String, limits: [String: Int], ulimit: String? = nil) throws -> LimitedHost {
        let host = try LimitedHost.start(name, in: directory, limits: limits, ulimit: ulimit) { hosts.append($0) }
        return host
    }

    /// Slowloris: clients sending one header byte every 200 ms get 408 (JSON) at the header
    /// deadline and are closed, while a normal client is served. Before the deadline existed each
    /// byte pushed the 30 s idle timeout back and they stayed open for as long as they trickled.
    /// The host also raised its soft open-file limit (started at 256) to the hard limit.
    func testTricklingClientsGet408AtTheHeaderDeadlineAndAreClosedWhileOthersAreServed() throws {
        let host = try startHost("slowloris", limits: ["header_timeout_ms": 1_000], ulimit: "-Sn 256")
        let head = Array("GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n".utf8)
        let clients = try (0..<20).map { _ in try Client(port: host.port) }
        var received = [[UInt8]](repeating: [], count: clients.count)
        var closed = [Bool](repeating: false, count: clients.count)
        var sent = 0
        let giveUp = Date().addingTimeInterval(5)   // 5 deadlines; without one they would never close
        while closed.contains(false), Date() < giveUp, sent < head.count {
            for (index, client) in clients.enumerated() where !closed[index] {
                switch client.readAvailable() {
                case .bytes(let bytes): received[index] += bytes
                case .closed: closed[index] = true
                case .nothing: break
                }
                if !closed[index] { client.send([head[sent]]) }
            }
            sent += 1
            usleep(200_000)
        }
        XCTAssertLessThan(sent, head.count, "the test trickled slower than the deadline")
        for index in clients.indices {
            let text = String(decoding: received[index], as: UTF8.self)
            XCTAssertTrue(closed[index], "client \(index) still open")
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "client \(index): \(text)")
            XCTAssertTrue(text.contains("Content-Type: application/json"), text)
            XCTAssertTrue(text.contains(#"{"error":"the request line and headers did not arrive within 1 s"#), text)
        }
        XCTAssertEqual(try Client(port: host.port).get("/health")?.status, 200)

        var hard = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &hard)
        XCTAssertTrue(host.log.contains("open-file limit raised from 256 to \(hard.rlim_max)"), host.log)
        let limits = try String(contentsOfFile: "/proc/\(host.process.processIdentifier)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        XCTAssertEqual(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2).map(String.init),
                       ["\(hard.rlim_max)", "\(hard.rlim_max)"], line)
    }

    /// One address past max_connections_per_client gets 503 and is closed; the refusals are counted
    /// in /metrics and logged once, and another client is served meanwhile.
    func testThePerAddressCapRefusesExtraConnectionsAndCountsThemWhileOthersAreServed() throws {
        let host = try startHost("per-address", limits: ["max_connections_per_client": 3])
        var held: [Client] = []
        for _ in 0..<3 {
            let client = try Client(port: host.port, from: "127.0.0.2")
            XCTAssertEqual(client.get("/health")?.status, 200)
            held.append(client)   // kept alive: each holds its place
        }
        for _ in 0..<2 {
            let refused = try Client(port: host.port, from: "127.0.0.2")
            let response = refused.readResponse()
            XCTAssertEqual(response?.status, 503)
            XCTAssertTrue(response?.body.hasPrefix(#"{"error":"your address has 3 connections open"#) == true, response?.body ?? "-")
            XCTAssertTrue(refused.waitForClose())
        }
        let normal = try Client(port: host.port)
        XCTAssertEqual(normal.get("/health")?.status, 200, "another address is served")
        var metrics = normal.get("/metrics")?.body ?? ""
        XCTAssertTrue(metrics.contains(#"agent_host_connections_refused_total{reason="per_client"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"agent_host_connections_refused_total{reason="global"} 0"#), metrics)
        // Three held and this one (once the host has seen the readiness probes' connections close).
        XCTAssertTrue(eventually {
            metrics = normal.get("/metrics")?.body ?? ""
            return metrics.contains("agent_host_open_connections 4\n")
        }, metrics)
        XCTAssertEqual(host.log.components(separatedBy: "max_connections_per_client cap").count - 1, 1, host.log)
        XCTAssertTrue(host.log.contains("refused a connection from 127.0.0.2"), host.log)
    }

    func testAnUnsupportedHTTPVersionGets505WithAJSONError() throws {
        let host = try startHost("version", limits: [:])
        let client = try Client(port: host.port)
        client.send(Array("GET /health HTTP/9.9\r\nHost: x\r\n\r\n".utf8))
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 505)
        XCTAssertEqual(response?.headers["content-type"], "application/json")
        XCTAssertEqual(response?.body, #"{"error":"HTTP/9.9 is not supported: send the request as HTTP/1.1 (or HTTP/1.0)"}"#)
    }

    /// With its open-file limit nearly used up (`ulimit -n` on the child), the host pauses accepting
    /// when accept fails with EMFILE, logs it once and counts it, and serves again once the
    /// connections holding descriptors close. Before, libuv accepted and reset each client unlogged.
    func testOutOfDescriptorsTheHostPausesAcceptingLogsItAndServesAgainOnceConnectionsClose() throws {
        let host = try startHost("emfile", limits: [:], ulimit: "-n 40")
        var held: [Client] = []
        for _ in 0..<40 {
            guard let client = try? Client(port: host.port) else { break }
            client.send(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            held.append(client)
        }
        // The first ones are served; past the limit the rest wait in the kernel's backlog, unanswered.
        XCTAssertEqual(held.first?.readResponse()?.status, 200)
        XCTAssertTrue(eventually { host.log.contains("out of file descriptors (the limit is 40)") }, host.log)
        usleep(200_000)
        let unanswered = held.dropFirst().filter { if case .nothing = $0.readAvailable() { true } else { false } }.count
        XCTAssertGreaterThan(unanswered, 0, "some clients wait while accepting is paused")
        XCTAssertLessThan(unanswered, held.count - 1, "the others were served")
        XCTAssertEqual(host.log.components(separatedBy: "out of file descriptors (the limit is 40): accept failed").count - 1, 1,
                       "logged once, not per attempt: \(host.log)")

        held = []   // closing them frees the host's descriptors
        var served: Int?
        for _ in 0..<100 where served != 200 {
            served = (try? Client(port: host.port))?.get("/metrics")?.status
            if served != 200 { usleep(20_000) }
        }
        XCTAssertEqual(served, 200, "served again")
        let metrics = try Client(port: host.port).get("/metrics")?.body ?? ""
        let emfile = metrics.split(separator: "\n").first { $0.hasPrefix(#"agent_host_connections_refused_total{reason="emfile"}"#) }
        XCTAssertNotNil(emfile.flatMap { Double($0.split(separator: " ").last ?? "") }.flatMap { $0 >= 1 ? $0 : nil }, "\(String(describing: emfile))")
        XCTAssertTrue(host.log.contains("accepting connections again"), host.log)
        XCTAssertTrue(host.log.contains("leaves no room for max_connections (10000)"), "the start-up warning: \(host.log)")
    }
}
