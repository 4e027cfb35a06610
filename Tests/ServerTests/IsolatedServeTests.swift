import Foundation
import Host
import TestSupport
import XCTest

/// `agent-host serve` with `plugins: {isolation: process}`: every reference plugin runs in a
/// runner (a child process with an empty environment); killing one costs at most a turn.
final class IsolatedServeTests: HostProcessTestCase {
    func runners(of host: Host) throws -> [Int32] {
        let listed = try ProcessRunner.run("pgrep", ["-P", String(host.pid), "-f", "agent-host-plugin-runner"])
        return listed.stdout.split(separator: "\n").compactMap { Int32($0) }
    }

    func testServeRunsEveryPluginIsolatedAndSurvivesARunnerBeingKilled() throws {
        let host = try startHost("isolated", plugins: "  isolation: process\n  max_memory_mb: 384")
        let first = try post(host.url + "/v1/chat", #"{"caller":"+15550101","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(first.status, 200, first.body)
        XCTAssertTrue(first.types.contains("tool_result"), first.body)
        XCTAssertTrue(first.body.lowercased().contains("refund"), first.body)

        let pids = try runners(of: host)
        XCTAssertEqual(pids.count, 5, "Triage, Billing, Refund, FAQ and CommerceTools: one runner per file")
        for pid in pids {
            let environment = FileHandle(forReadingAtPath: "/proc/\(pid)/environ")?.readDataToEndOfFile()
            XCTAssertEqual(environment?.count, 0, "runner \(pid) has an empty environment")
        }

        // Kill every runner: the host stays up, restarts them, and the next turn is answered.
        for pid in pids { kill(pid, SIGKILL) }
        XCTAssertTrue(eventually(10) { (try? runners(of: host).count) == 5 && (try? runners(of: host)) != pids }, "runners restarted")
        let next = try post(host.url + "/v1/chat", #"{"caller":"+15550102","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertTrue(next.types.contains("turn_end"), next.body)
        XCTAssertTrue(host.process.isRunning)
        let metrics = try get(host.url + "/metrics")
        XCTAssertTrue(metrics.body.contains(#"agent_host_plugin_restarts_total{plugin="libRefund.so",tenant="demo"} 1"#), metrics.body)
        XCTAssertTrue(host.logText.contains("plugin libRefund.so crashed (killed by SIGKILL)"), host.logText.suffix(3000).description)
    }
}
