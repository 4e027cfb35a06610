import Foundation
import Glibc
import Host
import TestSupport
import XCTest

/// `server.limits.max_connections` and `max_connections_per_client` on a host with two loops
/// (docs/operations.md, "Loops"): each loop has its own listening socket, but the caps count the
/// connections of both together (one shared `ConnectionCounts`). With caps per loop, connections
/// the kernel spreads over two loops would get up to twice the cap.
final class LoopsConnectionCapTests: XCTestCase {
    var directory: TemporaryDirectory!
    var process: Process?

    override func setUp() { directory = TemporaryDirectory(prefix: "loops-caps") }
    override func tearDown() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func testTheCapsHoldForTheHostAcrossItsLoops() throws {
        let port = try LoopbackPort.free()
        let yaml = """
        server:
          host: 127.0.0.1
          port: \(port)
          loops: 2
          limits:
            max_connections: 6
            max_connections_per_client: 3
        plugins:
          directories: ["\(BuildProducts.directory)"]
        tenants:
          - id: demo
            entry_agent: com.agenthost.support.triage
            plugins: [com.agenthost.support.triage, com.agenthost.support.faq]

        """
        let config = directory.file("caps.yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = directory.file("caps.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuildProducts.path("agent-host"))
        process.arguments = ["serve", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        self.process = process
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? Client(port: port))?.get("/ready")?.status == 200
            if !ready { usleep(50_000) }
        }
        XCTAssertTrue(ready, (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
        usleep(300_000)   // the readiness probes' connections have closed and given their places back

        var held: [Client] = []
        for _ in 0..<3 {
            let client = try Client(port: port, from: "127.0.0.2")
            XCTAssertEqual(client.get("/health")?.status, 200)
            held.append(client)
        }
        // Each new connection lands on either loop: every one is over the host's per-client cap.
        for attempt in 0..<4 {
            let refused = try Client(port: port, from: "127.0.0.2")
            let response = refused.readResponse()
            XCTAssertEqual(response?.status, 503, "attempt \(attempt)")
            XCTAssertTrue(response?.body.hasPrefix(#"{"error":"your address has 3 connections open"#) == true, response?.body ?? "-")
        }
        for _ in 0..<3 {
            let client = try Client(port: port, from: "127.0.0.3")
            XCTAssertEqual(client.get("/health")?.status, 200)
            held.append(client)
        }
        // Six open across both loops: the host's max_connections.
        for attempt in 0..<4 {
            let refused = try Client(port: port, from: "127.0.0.4")
            let response = refused.readResponse()
            XCTAssertEqual(response?.status, 503, "attempt \(attempt)")
            XCTAssertTrue(response?.body.hasPrefix(#"{"error":"the server has 6 connections open"#) == true, response?.body ?? "-")
        }
        // One place freed: once the host has seen the close (a probe refused before that is one
        // more global refusal), /metrics is answered, from whichever loop.
        held.removeLast()
        var metrics = ""
        for _ in 0..<100 {
            let probe = try Client(port: port, from: "127.0.0.4")
            if let response = probe.get("/metrics"), response.status == 200 { metrics = response.body; break }
            usleep(20_000)
        }
        XCTAssertTrue(metrics.contains(#"agent_host_connections_refused_total{reason="per_client"} 4"#), metrics)
        let global = metrics.split(separator: "\n").first { $0.hasPrefix(#"agent_host_connections_refused_total{reason="global"}"#) }
        XCTAssertGreaterThanOrEqual(global.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0, 4, metrics)
        XCTAssertTrue(metrics.contains("agent_host_open_connections 6\n"), "the host's total, whichever loop answered: \(metrics)")
    }
}
