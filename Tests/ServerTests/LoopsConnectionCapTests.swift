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
        let host = try LimitedHost.start("caps", in: directory, limits: ["max_connections": 6, "max_connections_per_client": 3],
                                         loops: 2) { self.process = $0 }
        let port = host.port
        usleep(300_000)   // the readiness probes' connections have closed and given their places back

        // Three held from one address, then each new connection, landing on either loop, is over a cap of
        // the host: first the per-client cap (from the same address), then, with three more held from
        // a second address (six open across both loops), max_connections (from a third).
        let caps: [(holder: String, intruder: String, status: Int, refusal: String)] = [
            ("127.0.0.2", "127.0.0.2", 503, #"{"error":"your address has 3 connections open"#),
            ("127.0.0.3", "127.0.0.4", 503, #"{"error":"the server has 6 connections open"#),
        ]
        var held: [Client] = []
        for cap in caps {
            for _ in 0..<3 {
                let client = try Client(port: port, from: cap.holder)
                XCTAssertEqual(client.get("/health")?.status, 200)
                held.append(client)
            }
            for attempt in 0..<4 {
                let refused = try Client(port: port, from: cap.intruder)
                let response = refused.readResponse()
                XCTAssertEqual(response?.status, cap.status, "attempt \(attempt)")
                XCTAssertTrue(response?.body.hasPrefix(cap.refusal) == true, response?.body ?? "-")
            }
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
